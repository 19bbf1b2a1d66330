"""Notices the law requires: a breach that affects the customer (S2, PDPL), and the erasure
the retention schedule will make of their data unless they come back (PDPL: data is
destroyed once its purpose ends, P3).

The privacy service decides who is owed each (``BreachNoticeRequested``,
``RetentionNoticeRequested``); the notifier writes it, in the customer's language, once per
notice (its ledger id: ``breach:<notice>``, ``retention:<case>``). Both open the customer's
email for ``LEGAL_OBLIGATION`` (C4), carry the contact details (CT1) and take replies at the
privacy address.
"""

from __future__ import annotations

from typing import Any, ClassVar

from allwan_contracts import PolicyContact
from allwan_contracts.breaches import BreachNoticeRequested
from allwan_contracts.disclosures import DataCategory
from allwan_contracts.retention import RetentionNoticeRequested
from allwan_runtime.keystore import Purpose
from pydantic import AwareDatetime

from allwan_notifier.domain.deliveries import Kind
from allwan_notifier.domain.messages import HttpsUrl, Letter, day
from allwan_notifier.domain.recipients import Locale

CATEGORY_LABELS: dict[Locale, dict[DataCategory, str]] = {
    "ar": {
        DataCategory.NAME: "الاسم",
        DataCategory.EMAIL: "البريد الإلكتروني",
        DataCategory.PHONE: "رقم الهاتف",
        DataCategory.BILLING_ADDRESS: "عنوان الفوترة",
        DataCategory.ORDER_DETAILS: "تفاصيل الطلبات",
        DataCategory.PAYMENT: "بيانات الدفع (المبالغ ومرجع مزوّد الدفع، دون بيانات البطاقة)",
        DataCategory.MESSAGE_CONTENT: "محتوى الرسائل",
        DataCategory.CONSENT_RECORDS: "سجل الموافقات",
        DataCategory.BROWSING_EVIDENCE: "بيانات التصفح",
        DataCategory.PRIVACY_REQUESTS: "الطلبات المتعلقة بالبيانات الشخصية",
    },
    "en": {
        DataCategory.NAME: "name",
        DataCategory.EMAIL: "email address",
        DataCategory.PHONE: "phone number",
        DataCategory.BILLING_ADDRESS: "billing address",
        DataCategory.ORDER_DETAILS: "order details",
        DataCategory.PAYMENT: "payment details (amounts and the payment provider's reference, "
        "never card data)",
        DataCategory.MESSAGE_CONTENT: "message contents",
        DataCategory.CONSENT_RECORDS: "consent records",
        DataCategory.BROWSING_EVIDENCE: "browsing data",
        DataCategory.PRIVACY_REQUESTS: "privacy requests",
    },
}
"""Each category of data as the customer reads it (the contracts' ``DataCategory``)."""


class LegalNotice(Letter):
    """A notice the law requires: opened for ``LEGAL_OBLIGATION`` only (C4)."""

    purpose: ClassVar[Purpose] = Purpose.LEGAL_OBLIGATION

    contact: PolicyContact

    def reply_to(self) -> str:
        return self.contact.email  # a reply reaches whoever answers privacy questions (CT1)


class BreachLetter(LegalNotice):
    """S2: a breach affected the customer's data: what staff say happened, what it means and
    what was done (in the customer's language), which categories of data, when it was
    detected, and whom to ask. Nothing of the customer but their address."""

    kind: ClassVar[Kind] = Kind.BREACH
    template: ClassVar[str] = "breach_notice"

    notice_id: str
    breach_id: str
    message_ar: str
    message_en: str
    categories: tuple[DataCategory, ...]
    detected_at: AwareDatetime

    @classmethod
    def of(cls, requested: BreachNoticeRequested, contact: PolicyContact) -> BreachLetter:
        return cls(
            notice_id=requested.notice_id,
            breach_id=requested.breach_id,
            message_ar=requested.notice.message_ar,
            message_en=requested.notice.message_en,
            categories=tuple(requested.categories),
            detected_at=requested.detected_at,
            contact=contact,
        )

    def context(self, locale: Locale) -> dict[str, Any]:
        return {
            "breach_id": self.breach_id,
            "message": self.message_ar if locale == "ar" else self.message_en,
            "categories": [CATEGORY_LABELS[locale][category] for category in self.categories],
            "detected_on": day(self.detected_at),
            "contact": self.contact,
        }


class RetentionLetter(LegalNotice):
    """PDPL: the customer's data will be erased on ``erase_after`` because they have had no
    order or subscription since ``last_activity``; ordering again or asking us keeps it, and
    they may first ask for a copy on the privacy page."""

    kind: ClassVar[Kind] = Kind.RETENTION
    template: ClassVar[str] = "retention_notice"

    case_id: str
    last_activity: AwareDatetime
    erase_after: AwareDatetime
    privacy_url: HttpsUrl

    @classmethod
    def of(
        cls, requested: RetentionNoticeRequested, contact: PolicyContact, privacy_url: str
    ) -> RetentionLetter:
        return cls(
            case_id=requested.case_id,
            last_activity=requested.last_activity,
            erase_after=requested.erase_after,
            privacy_url=privacy_url,
            contact=contact,
        )

    def context(self, locale: Locale) -> dict[str, Any]:
        return {
            "last_activity_on": day(self.last_activity),
            "erase_on": day(self.erase_after),
            "privacy_url": self.privacy_url,
            "contact": self.contact,
        }
