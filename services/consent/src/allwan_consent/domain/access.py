"""The consent service's part of a customer's access request (PDPL: the right to know and to
obtain a copy): the consent history with its proof, and the cookie preferences in force.

The ledger holds no personal data (purposes, versions, channels, keyed hashes, message ids)
and stays after erasure as the controller's proof of what was consented. It is the customer's
own history all the same: after erasure the customer can no longer be given anything sealed
under their key, so the part says that nothing is held.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from allwan_contracts import (
    ConsentGranted,
    ConsentPurpose,
    ConsentReconfirmationRequired,
    CustomerErased,
)
from allwan_contracts.privacy_export import ConsentsPart, ExportConsent, ExportCookiePreference

from allwan_consent.domain.purposes import LedgerEvent, PurposeState, advance, in_force

COOKIE_PURPOSES: tuple[Literal["analytics_cookies"], Literal["functional_cookies"]] = (
    "analytics_cookies",
    "functional_cookies",
)
"""Non-essential cookies, each off until consented (CK1, CK2)."""


@dataclass(frozen=True)
class LedgerRecord:
    """One event of a customer's ledger and when it was recorded."""

    event: LedgerEvent | CustomerErased
    at: datetime


def consents_part(history: Sequence[LedgerRecord]) -> ConsentsPart | None:
    """The customer's consents, oldest first, and their cookie preferences now; None when
    nothing is held: a customer the ledger never saw, or one who was erased."""
    changes: list[tuple[LedgerEvent, datetime]] = []
    for record in history:
        if isinstance(record.event, CustomerErased):
            return None
        changes.append((record.event, record.at))
    if not changes:
        return None
    return ConsentsPart(
        consents=[_consent(event, at) for event, at in changes],
        cookie_preferences=[_cookies(purpose, changes) for purpose in COOKIE_PURPOSES],
    )


def _consent(event: LedgerEvent, at: datetime) -> ExportConsent:
    if isinstance(event, ConsentReconfirmationRequired):
        # The version named is the material one the customer is asked to confirm.
        return ExportConsent(
            purpose=event.purpose.value,
            change="reconfirmation_required",
            policy_version=event.policy_version,
            recorded_by=event.recorded_by,
            at=at,
        )
    change: Literal["granted", "withdrawn"] = (
        "granted" if isinstance(event, ConsentGranted) else "withdrawn"
    )
    return ExportConsent(
        purpose=event.purpose.value,
        change=change,
        policy_version=event.policy_version,
        channel=event.channel.value,
        recorded_by=event.recorded_by,
        at=at,
        evidence=event.evidence.model_dump(mode="json", exclude_none=True),
    )


def _cookies(
    purpose: Literal["analytics_cookies", "functional_cookies"],
    changes: Sequence[tuple[LedgerEvent, datetime]],
) -> ExportCookiePreference:
    """Whether the cookies of ``purpose`` are allowed now (granted and not suspended), since
    the ledger's last word on them; never chosen: not allowed (CK2)."""
    state: PurposeState | None = None
    since: datetime | None = None
    for event, at in changes:
        if event.purpose is ConsentPurpose(purpose):
            state, since = advance(event), at
    return ExportCookiePreference(
        purpose=purpose, granted=in_force(state, erased=False), since=since
    )
