"""The purposes personal data may be used for (C4), one per use the policy allows."""

from __future__ import annotations

from enum import StrEnum


class Purpose(StrEnum):
    """Why a service opens a customer's personal data."""

    ORDER_PROCESSING = "order_processing"  # record and fulfil the order (P1, K1)
    ORDER_RECEIPTS = "order_receipts"  # transactional email about an order
    POLICY_NOTICES = "policy_notices"  # material policy changes (PC2)
    CONSENT_NOTICES = "consent_notices"  # confirmations of consent changes (K3)
    MARKETING = "marketing"  # only with marketing consent (K2)
    CONSENT_MATCHING = "consent_matching"  # match a WhatsApp/email withdrawal to a customer (K3)
    SUPPORT = "support"  # staff answering the customer (C4)
    DATA_ACCESS = "data_access"  # the customer's own access request (PDPL)
    DATA_CORRECTION = "data_correction"  # old value and changes of a correction request (PDPL)
    LEGAL_OBLIGATION = "legal_obligation"  # disclosures and notices the law requires (D2, S2)
    ANALYTICS = "analytics"  # counting visits, only with analytics-cookie consent (CK1, CK2)


class PurposeNotGranted(PermissionError):
    """A service asked for personal data for a purpose it does not hold (C4)."""

    def __init__(self, service: str, purpose: Purpose) -> None:
        super().__init__(f"{service} may not use personal data for {purpose.value}")
        self.service = service
        self.purpose = purpose
