"""What each message says and how it is addressed: the composition rules, free of I/O.

A ``Letter`` names its kind, the purpose the customer's email is opened for (C4), its
template (``templates/<template>.<locale>.{txt,html}``), what the template is given, its
extra headers, and the categories of the customer's data it hands the SMTP provider (P2,
D3). Every privacy email carries the contact details (CT1) and the ways to withdraw consent
(K3). Marketing has its own module (``domain.marketing``); notices the law requires,
``domain.notices``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar

from allwan_contracts import (
    ConsentWithdrawn,
    OrderPlaced,
    PolicyChanged,
    PolicyContact,
    SubscriptionActivated,
)
from allwan_contracts.disclosures import DataCategory
from allwan_runtime.keystore import Purpose
from pydantic import BaseModel, ConfigDict, StringConstraints

from allwan_notifier.domain.deliveries import Kind
from allwan_notifier.domain.recipients import Locale

HttpsUrl = Annotated[str, StringConstraints(max_length=2000, pattern=r"^https://[^\s<>\"]+$")]
SubjectLine = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\r\n]+$")]

PURPOSE_LABELS: dict[Locale, dict[str, str]] = {
    "ar": {
        "order_processing": "معالجة الطلبات",
        "marketing": "الرسائل التسويقية",
        "analytics_cookies": "ملفات تعريف الارتباط التحليلية",
        "functional_cookies": "ملفات تعريف الارتباط الوظيفية",
    },
    "en": {
        "order_processing": "order processing",
        "marketing": "marketing messages",
        "analytics_cookies": "analytics cookies",
        "functional_cookies": "functional cookies",
    },
}
CHANNEL_LABELS: dict[Locale, dict[str, str]] = {
    "ar": {
        "web": "الموقع",
        "email": "البريد الإلكتروني",
        "whatsapp": "واتساب",
        "phone": "الهاتف",
        "salla": "منصة سلة",
    },
    "en": {
        "web": "the website",
        "email": "email",
        "whatsapp": "WhatsApp",
        "phone": "phone",
        "salla": "Salla",
    },
}


class Withdrawal(BaseModel):
    """K3: how a customer withdraws consent: by email, WhatsApp, or on the web."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    email: str
    whatsapp: str
    web: HttpsUrl

    @classmethod
    def of(cls, contact: PolicyContact, web: str) -> Withdrawal:
        """The ways a version's contact details (CT1) and the web page leave open."""
        return cls(email=contact.email, whatsapp=contact.whatsapp, web=web)


class Letter(BaseModel):
    """One kind of message; subclasses fill in the class variables and ``context``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ClassVar[Kind]
    purpose: ClassVar[Purpose]
    template: ClassVar[str]
    disclosed: ClassVar[tuple[DataCategory, ...]] = (
        DataCategory.EMAIL,
        DataCategory.MESSAGE_CONTENT,
    )
    """What of the customer the message hands the SMTP provider: their address and what the
    letter says. A letter that names the customer adds ``NAME`` (none does today)."""

    def context(self, locale: Locale) -> dict[str, Any]:
        raise NotImplementedError

    def headers(self) -> dict[str, str]:
        return {}

    def reply_to(self) -> str | None:
        return None


def day(when: datetime) -> str:
    """A moment as the calendar day customers read (ISO 8601, as every message shows it)."""
    return when.date().isoformat()


def _sar(halalas: int) -> str:
    return f"{halalas // 100:,}.{halalas % 100:02d}"


class PolicyNotice(Letter):
    """PC2: a material change, what changed, where to read it, whom to ask, how to withdraw."""

    kind: ClassVar[Kind] = Kind.POLICY
    purpose: ClassVar[Purpose] = Purpose.POLICY_NOTICES
    template: ClassVar[str] = "policy_notice"

    version: int
    summary_ar: str
    summary_en: str
    url: HttpsUrl
    effective_at: datetime
    contact: PolicyContact
    withdrawal: Withdrawal

    @classmethod
    def of(
        cls, changed: PolicyChanged, contact: PolicyContact, withdrawal: Withdrawal
    ) -> PolicyNotice:
        return cls(
            version=changed.version,
            summary_ar=changed.summary_ar,
            summary_en=changed.summary_en,
            url=str(changed.url),
            effective_at=changed.effective_at,
            contact=contact,
            withdrawal=withdrawal,
        )

    def context(self, locale: Locale) -> dict[str, Any]:
        return {
            "version": self.version,
            "summary": self.summary_ar if locale == "ar" else self.summary_en,
            "url": self.url,
            "effective_on": day(self.effective_at),
            "contact": self.contact,
            "withdrawal": self.withdrawal,
        }

    def reply_to(self) -> str:
        return self.contact.email  # a reply is a withdrawal by email (K3)


class Receipt(Letter):
    """The order as placed: plan, quantity, amounts with VAT."""

    kind: ClassVar[Kind] = Kind.RECEIPT
    purpose: ClassVar[Purpose] = Purpose.ORDER_RECEIPTS
    template: ClassVar[str] = "receipt"

    order_id: str
    plan_id: str
    quantity: int
    subtotal_halalas: int
    vat_rate_percent: int
    vat_halalas: int
    total_halalas: int
    placed_at: datetime
    contact: PolicyContact

    @classmethod
    def of(cls, placed: OrderPlaced, placed_at: datetime, contact: PolicyContact) -> Receipt:
        return cls(
            order_id=placed.order_id,
            plan_id=placed.plan_id,
            quantity=placed.quantity,
            subtotal_halalas=placed.subtotal_halalas,
            vat_rate_percent=placed.vat_rate_percent,
            vat_halalas=placed.vat_halalas,
            total_halalas=placed.total_halalas,
            placed_at=placed_at,
            contact=contact,
        )

    def context(self, locale: Locale) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "plan_id": self.plan_id,
            "quantity": self.quantity,
            "subtotal": _sar(self.subtotal_halalas),
            "vat_rate_percent": self.vat_rate_percent,
            "vat": _sar(self.vat_halalas),
            "total": _sar(self.total_halalas),
            "placed_on": day(self.placed_at),
            "contact": self.contact,
        }


class Activation(Letter):
    """The subscription is delivered and runs from ``starts_at`` until ``ends_at``."""

    kind: ClassVar[Kind] = Kind.ACTIVATION
    purpose: ClassVar[Purpose] = Purpose.ORDER_RECEIPTS
    template: ClassVar[str] = "activation"

    order_id: str
    plan_id: str
    starts_at: datetime
    ends_at: datetime
    contact: PolicyContact

    @classmethod
    def of(cls, activated: SubscriptionActivated, contact: PolicyContact) -> Activation:
        return cls(
            order_id=activated.order_id,
            plan_id=activated.plan_id,
            starts_at=activated.starts_at,
            ends_at=activated.ends_at,
            contact=contact,
        )

    def context(self, locale: Locale) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "plan_id": self.plan_id,
            "starts_on": day(self.starts_at),
            "ends_on": day(self.ends_at),
            "contact": self.contact,
        }


class WithdrawalConfirmation(Letter):
    """K3: the withdrawal is recorded, by which channel, and how to reach us if it was not you."""

    kind: ClassVar[Kind] = Kind.WITHDRAWAL
    purpose: ClassVar[Purpose] = Purpose.CONSENT_NOTICES
    template: ClassVar[str] = "withdrawal_confirmation"

    consent_purpose: str
    channel: str
    withdrawn_at: datetime
    contact: PolicyContact
    withdrawal: Withdrawal

    @classmethod
    def of(
        cls,
        withdrawn: ConsentWithdrawn,
        withdrawn_at: datetime,
        contact: PolicyContact,
        withdrawal: Withdrawal,
    ) -> WithdrawalConfirmation:
        return cls(
            consent_purpose=withdrawn.purpose.value,
            channel=withdrawn.channel.value,
            withdrawn_at=withdrawn_at,
            contact=contact,
            withdrawal=withdrawal,
        )

    def context(self, locale: Locale) -> dict[str, Any]:
        return {
            "purpose": PURPOSE_LABELS[locale].get(self.consent_purpose, self.consent_purpose),
            "channel": CHANNEL_LABELS[locale].get(self.channel, self.channel),
            "withdrawn_on": day(self.withdrawn_at),
            "contact": self.contact,
            "withdrawal": self.withdrawal,
        }

    def reply_to(self) -> str:
        return self.contact.email
