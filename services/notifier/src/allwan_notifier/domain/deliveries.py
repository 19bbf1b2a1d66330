"""The delivery ledger: one entry per message owed to one customer, and its state machine.

An entry is created by inserting its deterministic id (``policy:3:c-42``, ``receipt:ord-1``)
against the unique ``_id``: whoever inserts first owns the message, a second insert of the
same id fails, so one event or one fan-out never owes a customer two messages (PC2).

    pending ──► sending ──► sent
       │           ├──────► failed     (refused for good by the server: 5xx)
       │           ╰──────► skipped    (erased since the last attempt)
       ├──────────────────► skipped    (erased, no address, no consent; a parked letter
       │                                whose address came too late: no address)
       ╰──────────────────► failed     (an address that does not open, an error)

A privacy letter whose customer has no address yet is not skipped: its entry stays
``pending`` and the letter is parked apart from the ledger (``domain.parked``) until the
notifier learns the address. It then goes on as any pending entry, or is skipped
(``no_address``) if it waited longer than ``PARKING_BOUND``. Parking writes nothing to the
ledger and adds no state: the entry is claimed and not yet tried, which is what ``pending``
means.

``sending`` is written just before the SMTP transaction and ``sent`` just after the server's
250. Every step is an insert against a unique id, never an update: the n-th attempt
(``<id>#<n>``, so two workers never make the same attempt) and then exactly one outcome.

An entry found in ``pending`` or ``sending`` (after a crash, a restart, or a deferral by the
server) is sent again, with the same Message-ID: ``pending`` was never handed to the server;
``sending`` may or may not have been accepted. The server's 250 is followed by the message's
disclosure record (``domain.disclosures``) and then ``sent``: a ``sending`` entry whose
disclosure is recorded was accepted, and is marked ``sent`` without sending again. That leaves
one window for a duplicate: from the server's acceptance of the DATA until the event store
acknowledges the disclosure (a few milliseconds per message, at most one per message in
flight per crash: ``fanout_lanes`` for a fan-out). The deterministic Message-ID lets mail
clients and the store's own outbound MTA recognise such a duplicate. Losing a notice is worse
than repeating one (PC2), hence resending rather than giving up on ``sending``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """What a message is for; it decides the template and the purpose the email is opened for."""

    POLICY = "policy"
    RECEIPT = "receipt"
    ACTIVATION = "activation"
    WITHDRAWAL = "withdrawal"
    MARKETING = "marketing"
    PRIVACY_RECEIVED = "privacy_received"
    PRIVACY_EXTENDED = "privacy_extended"
    PRIVACY_ERASING = "privacy_erasing"
    PRIVACY_COMPLETED = "privacy_completed"
    PRIVACY_DENIED = "privacy_denied"
    BREACH = "breach"
    RETENTION = "retention"


class State(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


FINAL = frozenset({State.SENT, State.FAILED, State.SKIPPED})

_ALLOWED: dict[State, frozenset[State]] = {
    State.PENDING: frozenset({State.SENDING, State.SKIPPED, State.FAILED}),
    State.SENDING: frozenset({State.SENDING, State.SENT, State.FAILED, State.SKIPPED}),
    State.SENT: frozenset(),
    State.FAILED: frozenset(),
    State.SKIPPED: frozenset(),
}


class SkipReason(StrEnum):
    ERASED = "erased"
    NO_ADDRESS = "no_address"
    NOT_CONSENTED = "not_consented"


class InvalidTransition(Exception):
    """A ledger entry was asked to move where its state machine does not go."""


def must_send(state: State) -> bool:
    """Whether an entry still owes its message: never sent, or interrupted while sending."""
    return state not in FINAL


def advance(current: State, target: State) -> State:
    """``target`` if the state machine allows it from ``current``; ``InvalidTransition`` if not."""
    if target not in _ALLOWED[current]:
        raise InvalidTransition(f"{current.value} -> {target.value}")
    return target


def delivery_id(kind: Kind, *parts: str | int) -> str:
    """The ledger id of a message: its kind and what makes it unique, ``:``-separated."""
    return ":".join([kind.value, *(str(part) for part in parts)])


def message_id(delivery: str, domain: str) -> str:
    """The RFC 5322 Message-ID of a ledger entry: the same id for every attempt."""
    return f"<{delivery.replace(':', '.')}@{domain}>"


@dataclass(frozen=True)
class Delivery:
    """One ledger entry. ``job`` names the fan-out that owes it (policy notices, campaigns)."""

    id: str
    kind: Kind
    customer_id: str
    queued_at: datetime
    job: str | None = None
    state: State = State.PENDING
    reason: str | None = None
    message_id: str | None = None
    locale: str | None = None
    attempts: int = 0
    sending_at: datetime | None = None
    done_at: datetime | None = None

    def moved(self, target: State, **changes: Any) -> Delivery:
        """This entry in state ``target`` (checked against the state machine)."""
        return replace(self, state=advance(self.state, target), **changes)


@dataclass(frozen=True)
class Tally:
    """How far the messages of one fan-out got: what staff see as proof of PC2."""

    total: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def pending(self) -> int:
        return max(0, self.total - self.sent - self.failed - self.skipped)

    def plus(self, state: State) -> Tally:
        """The tally with one more entry that reached ``state`` (non-final states add nothing)."""
        if state is State.SENT:
            return replace(self, sent=self.sent + 1)
        if state is State.FAILED:
            return replace(self, failed=self.failed + 1)
        if state is State.SKIPPED:
            return replace(self, skipped=self.skipped + 1)
        return self

    def as_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "sent": self.sent,
            "pending": self.pending,
            "failed": self.failed,
            "skipped": self.skipped,
        }
