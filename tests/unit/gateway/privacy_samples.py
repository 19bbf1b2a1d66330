"""What the privacy service's fake (``privacy_fake``) holds: the recipients' registry, a
retention rule, a record of processing and an export, as the contracts shape them."""

from __future__ import annotations

from allwan_contracts.accountability import (
    ProcessingActivity,
    Recipient,
    RecordOfProcessing,
    RetentionRule,
)
from allwan_contracts.disclosures import DataCategory, LegalBasis, RecipientRole
from allwan_contracts.privacy_export import ExportEmail, PrivacyExport

from tests.unit.gateway.fakes import NOW

RECIPIENTS = [
    Recipient(
        id="salla",
        name="Salla",
        role=RecipientRole.PLATFORM,
        country="SA",
        receives=[DataCategory.NAME, DataCategory.EMAIL],
        why="The platform the store runs on (T1).",
        legal_basis=LegalBasis.CONTRACT,
    ),
    Recipient(
        id="authority",
        name="A public authority",
        role=RecipientRole.AUTHORITY,
        country="SA",
        receives=list(DataCategory),
        why="What a legal obligation requires (D2).",
        legal_basis=LegalBasis.LAW,
    ),
]
RULE = RetentionRule(
    name="customer_contact",
    categories=[DataCategory.NAME, DataCategory.EMAIL],
    ends_with="last_subscription_ended",
    period_days=365,
    notice_days=14,
    action="erase_customer",
    applied_by="consent",
    reason="Complaints and refunds are raised within a year.",
)
RECORD = RecordOfProcessing(
    controller="ALLWANSTORES",
    activities=[
        ProcessingActivity(
            purpose="order_processing",
            title_ar="تنفيذ الطلبات",
            title_en="Order processing",
            legal_basis="contract",
            categories=[DataCategory.NAME],
            sources=["customer"],
            services=["orders"],
            recipients=["salla"],
            retention=["customer_contact"],
        )
    ],
    recipients=RECIPIENTS,
    retention=[RULE],
)


def export_of(request_id: str, customer_id: str) -> PrivacyExport:
    """An export as the privacy service makes it (``allwan_contracts.privacy_export``)."""
    return PrivacyExport(
        customer_id=customer_id,
        request_id=request_id,
        generated_at=NOW,
        personal_data_held=True,
        emails=[ExportEmail(kind="order_placed", at=NOW, outcome="sent")],
    )
