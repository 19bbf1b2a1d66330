"""Who gets what: the rules of each audience, free of storage.

- A material policy change is announced to every customer the store has a relationship with
  (an order or a consent record), once per version (PC2); a non-material one to nobody.
- Marketing goes only to customers whose marketing consent is granted now: not withdrawn
  (K3), not suspended until re-confirmed after a material change (PC1), never erased (K2).
- Nobody erased gets anything: their key is gone, so their address no longer opens.

The consent service decides; its events carry the decision (each ledger event states its
purpose's status in full, ``CustomerErased`` the erasure), and ``MarketingConsent`` is the one
place the notifier reads them as "may market now" (K2): the address book's audience index, the
fan-out's last check before each message and the unit tests' fakes all ask it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from allwan_contracts import (
    ConsentGranted,
    ConsentReconfirmationRequired,
    ConsentWithdrawn,
    PolicyChanged,
    Sealed,
)

from allwan_notifier.domain.deliveries import SkipReason

Locale = Literal["ar", "en"]
ConsentEvent = ConsentGranted | ConsentWithdrawn | ConsentReconfirmationRequired


class ConsentStatus(StrEnum):
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"
    RECONFIRMATION_REQUIRED = "reconfirmation_required"


def status_after(event: ConsentEvent) -> ConsentStatus:
    """A purpose's status after one ledger event (each event states it in full)."""
    match event:
        case ConsentGranted():
            return ConsentStatus.GRANTED
        case ConsentWithdrawn():
            return ConsentStatus.WITHDRAWN
        case ConsentReconfirmationRequired():
            return ConsentStatus.RECONFIRMATION_REQUIRED


@dataclass(frozen=True)
class Address:
    """Where a customer is written to: the sealed email and the language, nothing more."""

    email: Sealed
    locale: Locale | None = None


@dataclass(frozen=True)
class Recipient:
    customer_id: str
    address: Address | None
    erased: bool = False

    def unreachable(self) -> SkipReason | None:
        """Why no message can go to this customer, or None if one can."""
        if self.erased:
            return SkipReason.ERASED
        if self.address is None:
            return SkipReason.NO_ADDRESS
        return None


@dataclass(frozen=True)
class MarketingConsent:
    status: ConsentStatus | None = None
    erased: bool = False

    def allows_marketing(self) -> bool:
        """K2: an explicit grant that is neither withdrawn, suspended, nor erased."""
        return self.status is ConsentStatus.GRANTED and not self.erased


def notice_is_due(changed: PolicyChanged) -> bool:
    """PC2: only a material change is announced by email."""
    return changed.material


def language(locale: Locale | None, default: Locale) -> Locale:
    """The customer's language, or the store's when they never told us."""
    return locale or default
