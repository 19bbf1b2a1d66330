"""What one purpose's consent is at any moment, and how each ledger event changes it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from allwan_contracts import (
    ConsentGranted,
    ConsentPurpose,
    ConsentReconfirmationRequired,
    ConsentWithdrawn,
)

LedgerEvent = ConsentGranted | ConsentWithdrawn | ConsentReconfirmationRequired

SECONDARY_PURPOSES = frozenset(
    {
        ConsentPurpose.MARKETING,
        ConsentPurpose.ANALYTICS_COOKIES,
        ConsentPurpose.FUNCTIONAL_COOKIES,
    }
)
"""Purposes that need a consent of their own (K2, CK1, CK2) and are re-confirmed after a
material policy change; ``order_processing`` is implied by a purchase (K1). Essential
cookies need no consent and are not a purpose at all (CK2)."""


class PurposeStatus(StrEnum):
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"
    RECONFIRMATION_REQUIRED = "reconfirmation_required"


@dataclass(frozen=True)
class PurposeState:
    """The ledger's last word on one purpose.

    ``policy_version`` is the version the last grant or withdrawal was given under;
    ``reconfirm_for`` is the material version to confirm while the consent is suspended.
    """

    status: PurposeStatus
    policy_version: int
    reconfirm_for: int | None = None

    @property
    def granted(self) -> bool:
        """Whether the purpose may be pursued now (suspended consents may not)."""
        return self.status is PurposeStatus.GRANTED


def in_force(state: PurposeState | None, *, erased: bool) -> bool:
    """Whether a purpose may be pursued now: granted, not suspended until re-confirmed (PC1),
    and the customer not erased. The ledger and its read model both answer with this."""
    return not erased and state is not None and state.granted


def advance(event: LedgerEvent) -> PurposeState:
    """The purpose's state after ``event``: every ledger event states it in full."""
    match event:
        case ConsentGranted():
            return PurposeState(PurposeStatus.GRANTED, event.policy_version)
        case ConsentWithdrawn():
            return PurposeState(PurposeStatus.WITHDRAWN, event.policy_version)
        case ConsentReconfirmationRequired():
            return PurposeState(
                PurposeStatus.RECONFIRMATION_REQUIRED,
                event.granted_under_version,
                event.policy_version,
            )


def grant_changes(state: PurposeState | None, policy_version: int) -> bool:
    """Whether a grant under ``policy_version`` is news to the ledger.

    A grant already given under the same or a later version changes nothing (idempotent),
    and so does a stale one: older than the withdrawal the ledger holds, or older than the
    material version a suspended consent waits for.
    """
    if state is None:
        return True
    match state.status:
        case PurposeStatus.GRANTED:
            return policy_version > state.policy_version
        case PurposeStatus.WITHDRAWN:
            return policy_version >= state.policy_version
        case PurposeStatus.RECONFIRMATION_REQUIRED:
            return policy_version >= (state.reconfirm_for or 0)


def withdrawal_changes(state: PurposeState | None) -> bool:
    """Withdrawing what was never granted, or already withdrawn, changes nothing (K3)."""
    return state is not None and state.status is not PurposeStatus.WITHDRAWN


def needs_reconfirmation(
    purpose: ConsentPurpose, state: PurposeState | None, material_version: int
) -> bool:
    """A secondary purpose granted under a version older than a material change (PC1)."""
    return (
        purpose in SECONDARY_PURPOSES
        and state is not None
        and state.granted
        and state.policy_version < material_version
    )
