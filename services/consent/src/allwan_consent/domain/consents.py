"""A customer's consents at one moment, as the read model holds them: the same answers as
the ledger, from the same rules (``purposes.in_force``, ``browsing``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from allwan_contracts import ConsentPurpose

from allwan_consent.domain.browsing import may_record_browsing
from allwan_consent.domain.purposes import PurposeState, in_force


@dataclass(frozen=True)
class CustomerConsents:
    """Per purpose, the ledger's last word; and whether the customer is erased."""

    customer_id: str
    purposes: Mapping[ConsentPurpose, PurposeState] = field(default_factory=dict)
    erased: bool = False

    def granted(self, purpose: ConsentPurpose) -> bool:
        """Whether ``purpose`` may be pursued now (K2, K3, PC1)."""
        return in_force(self.purposes.get(purpose), erased=self.erased)

    def may_record_browsing(self) -> bool:
        """C2: browsing data only while analytics cookies are granted (CK1)."""
        return may_record_browsing(self.purposes, erased=self.erased)
