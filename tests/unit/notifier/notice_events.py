"""Builders of the privacy service's notices (breach, retention), as the notifier receives them."""

from __future__ import annotations

from datetime import timedelta

from allwan_contracts.breaches import BreachNotice, BreachNoticeRequested, notice_id
from allwan_contracts.disclosures import DataCategory
from allwan_contracts.retention import RetentionNoticeRequested, case_id

from tests.unit.notifier.fakes import WHEN

DETECTED_AT = WHEN - timedelta(days=2)
LAST_ACTIVITY = WHEN - timedelta(days=700)
ERASE_AFTER = WHEN + timedelta(days=30)
BREACH_CATEGORIES = (DataCategory.EMAIL, DataCategory.PHONE)
MESSAGES = {
    "ar": "تمكّن طرف غير مخوَّل من الاطلاع على نسخة احتياطية. غيّرنا مفاتيح التشفير.",
    "en": "An unauthorised party read a backup copy. We have rotated the encryption keys.",
}


def breach_notice(customer_id: str, breach_id: str = "br-1") -> BreachNoticeRequested:
    return BreachNoticeRequested(
        notice_id=notice_id(breach_id, customer_id),
        breach_id=breach_id,
        customer_id=customer_id,
        detected_at=DETECTED_AT,
        categories=list(BREACH_CATEGORIES),
        notice=BreachNotice(message_ar=MESSAGES["ar"], message_en=MESSAGES["en"]),
        at=WHEN,
    )


def retention_notice(customer_id: str) -> RetentionNoticeRequested:
    return RetentionNoticeRequested(
        case_id=case_id(customer_id, "customer_contact", LAST_ACTIVITY),
        customer_id=customer_id,
        rule="customer_contact",
        last_activity=LAST_ACTIVITY,
        erase_after=ERASE_AFTER,
        at=WHEN,
    )
