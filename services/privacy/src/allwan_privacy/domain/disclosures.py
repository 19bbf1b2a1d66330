"""The disclosure ledger's rules (D1-D3, P2): what a legal disclosure recorded by staff must
be, how an entry is shown and exported, and the ledger's order (newest first).

A disclosure records that a customer's data left allwan, for whom, which categories and why;
never the data. The ledger keeps every one it is told of, even to a recipient the registry
does not know (``recipient_name`` then shows the id): an entry lost would be a disclosure the
customer is never told of.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from allwan_contracts.accountability import Disclosure, LegalDisclosureRequest
from allwan_contracts.disclosures import DataDisclosed, LegalBasis, disclosure_id
from allwan_contracts.privacy_export import ExportDisclosure
from allwan_runtime.keystore import Purpose

from allwan_privacy.domain.recipients import RecipientRegistry

LEGAL_RECIPIENT_SPACE = "legal"
"""``disclosure_id(LEGAL_RECIPIENT_SPACE, <Idempotency-Key>)``: a retried legal disclosure
names the same disclosure."""


class DisclosureRefused(Exception):
    """A legal disclosure the rules do not allow; ``code`` is the problem's slug."""

    code: ClassVar[str] = "refused"


class UnknownRecipient(DisclosureRefused):
    """The recipient is not in the registry: staff name someone it describes (D2)."""

    code = "unknown-recipient"


class DisclosedInFuture(DisclosureRefused):
    """A disclosure is recorded once it happened, not before."""

    code = "disclosed-in-future"


class KeyReused(DisclosureRefused):
    """The Idempotency-Key names a disclosure recorded with other details."""

    code = "idempotency-key-reused"


def legal_disclosure_id(key: str) -> str:
    return disclosure_id(LEGAL_RECIPIENT_SPACE, key)


def legal_disclosure(
    request: LegalDisclosureRequest,
    *,
    disclosure: str,
    registry: RecipientRegistry,
    by: str,
    now: datetime,
) -> DataDisclosed:
    """The ``DataDisclosed`` of a disclosure the law required (D2), recorded by ``by``."""
    recipient = registry.get(request.recipient)
    if recipient is None:
        raise UnknownRecipient("the recipient is not in the registry")
    if request.disclosed_at > now:
        raise DisclosedInFuture("a disclosure is recorded after it happened")
    return DataDisclosed(
        disclosure_id=disclosure,
        customer_id=request.customer_id,
        recipient=recipient.id,
        role=recipient.role,
        categories=request.categories,
        purpose=Purpose.LEGAL_OBLIGATION.value,
        legal_basis=LegalBasis.LAW,
        source=f"legal:{disclosure}",
        reference=request.reference,
        recorded_by=by,
        at=request.disclosed_at,
    )


def same_disclosure(recorded: DataDisclosed, asked: DataDisclosed) -> bool:
    """Whether ``asked`` repeats the disclosure ``recorded`` (a retry), whoever sends it."""
    fields = ("customer_id", "recipient", "reference", "at")
    return all(getattr(recorded, name) == getattr(asked, name) for name in fields) and set(
        recorded.categories
    ) == set(asked.categories)


def view(event: DataDisclosed, registry: RecipientRegistry) -> Disclosure:
    """One entry of the ledger as customers and staff read it."""
    return Disclosure(
        disclosure_id=event.disclosure_id,
        customer_id=event.customer_id,
        recipient=event.recipient,
        recipient_name=registry.name_of(event.recipient),
        role=event.role,
        categories=list(event.categories),
        purpose=event.purpose,
        legal_basis=event.legal_basis,
        reference=event.reference,
        source=event.source,
        recorded_by=event.recorded_by,
        at=event.at,
    )


def export_entry(disclosure: Disclosure) -> ExportDisclosure:
    """One entry of the ledger as the access export lists it (D3: the customer sees it)."""
    return ExportDisclosure(
        recipient=disclosure.recipient,
        recipient_name=disclosure.recipient_name,
        role=disclosure.role.value,
        categories=[category.value for category in disclosure.categories],
        purpose=disclosure.purpose,
        legal_basis=disclosure.legal_basis.value,
        reference=disclosure.reference,
        at=disclosure.at,
    )


# -- the ledger's order ------------------------------------------------------------------------


class InvalidCursor(ValueError):
    """A cursor this ledger did not hand out."""


def position(at: datetime, disclosure: str) -> str:
    """Where an entry sits in the ledger: sorted as text, later positions are newer, and two
    disclosures at the same instant are told apart by their ids."""
    return f"{at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}|{disclosure}"


def id_at(entry_position: str) -> str:
    """The disclosure id of a position."""
    return entry_position.partition("|")[2]


def cursor_of(entry_position: str) -> str:
    return base64.urlsafe_b64encode(entry_position.encode()).decode().rstrip("=")


def position_of(cursor: str) -> str:
    """The position a cursor stands for; ``InvalidCursor`` if it is not one."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, bar, ident = text.partition("|")
        datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor("not a cursor of this ledger") from None
    if not bar or not ident:
        raise InvalidCursor("not a cursor of this ledger")
    return text


@dataclass(frozen=True)
class Page:
    """The positions of one page, newest first, and the cursor of the next (None: last)."""

    positions: list[str]
    next_cursor: str | None


def page(positions: Sequence[str], limit: int, cursor: str | None = None) -> Page:
    """Up to ``limit`` positions, newest first, older than the cursor's when one is given."""
    if not 1 <= limit <= 100:
        raise ValueError("a page holds 1 to 100 entries")
    newest_first = sorted(set(positions), reverse=True)
    if cursor is not None:
        after = position_of(cursor)
        newest_first = [entry for entry in newest_first if entry < after]
    shown = newest_first[:limit]
    more = len(newest_first) > limit
    return Page(shown, cursor_of(shown[-1]) if more else None)
