"""``Deps``: everything a handler or the fan-out worker is given, and the ports it names.

The notifier's own records (ledger, address book, parked letters, jobs) are in
``handlers.stores``; the ports to the key store, the templates and the SMTP server are here.
``bootstrap`` binds the real adapters; the unit tests bind fakes and the runtime's in-memory
key store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

from allwan_contracts import Event, PolicyContact, Sealed
from allwan_contracts.disclosures import DataDisclosed
from allwan_contracts.fields import utc_now
from allwan_runtime.dispatch import TransientError
from allwan_runtime.keystore import Purpose

from allwan_notifier.domain.deliveries import Delivery, Kind, State
from allwan_notifier.domain.mail import Mail, Rendered
from allwan_notifier.domain.messages import Letter, Withdrawal
from allwan_notifier.domain.recipients import Locale
from allwan_notifier.handlers.stores import AddressBook, Jobs, Ledger, ParkedLetters


class SendDeferred(TransientError):
    """The SMTP server did not take the message now (unreachable, 4xx): send it again later.

    ``reason`` is a code such as ``smtp_421`` or ``connection``, never the server's text (it
    may quote the recipient's address).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SendRefused(Exception):
    """The SMTP server refused the message for good (5xx): recorded as failed, not retried."""

    def __init__(self, code: int) -> None:
        super().__init__(f"smtp_{code}")
        self.reason = f"smtp_{code}"


class AddressSuperseded(TransientError):
    """The address opened as ``ERASED`` though the customer is not erased: a correction
    retired the key generation it was sealed under, and the address book has not taken the
    corrected address yet (it will, from the correction's ``CustomerContactChanged``)."""

    def __init__(self) -> None:
        super().__init__("address_superseded")


class Secrets(Protocol):
    """The part of the key store the notifier uses."""

    async def open(self, sealed: Sealed, *, field: str, purpose: Purpose) -> str: ...

    async def seal(self, subject: str, field: str, plaintext: str) -> Sealed:
        """``LookupError`` for an erased customer: they get no key again."""
        ...

    async def is_erased(self, subject: str) -> bool: ...

    def blind_index(self, kind: str, value: str) -> str: ...


class Replies(Protocol):
    """What the notifier records in its own event store for the relay to publish
    (``adapters.records.Records``, the runtime's ``EventRecorder``): its answers to privacy
    requests (``allwan.privacy.replies``) and its disclosures to the SMTP provider
    (``allwan.disclosures``)."""

    async def first(self, event: Event, correlation_id: UUID, *, surely_new: bool = False) -> bool:
        """Record ``event`` as its stream's first; False if it was recorded already."""
        ...

    async def recorded(self, aggregate_type: str, aggregate_id: str) -> bool:
        """Whether the stream of ``aggregate_type`` ``aggregate_id`` holds an event."""
        ...


class Renderer(Protocol):
    def render_letter(self, letter: Letter, locale: Locale) -> Rendered: ...


class Sender(Protocol):
    async def send(self, mail: Mail) -> str:
        """Hand ``mail`` to the SMTP server; its reply. ``SendDeferred`` or ``SendRefused``."""
        ...


class Lease(Protocol):
    async def hold(self) -> bool:
        """Whether this process may run fan-outs now; renews the lease as it goes."""
        ...


class Metrics(Protocol):
    def counted(self, kind: Kind, outcome: State | str) -> None:
        """One message reached ``outcome`` (a final state, ``deferred``, or ``parked``: waiting
        for an address, ``domain.parked``)."""
        ...


@dataclass(frozen=True)
class Accepted:
    """A message the SMTP server accepted (250) whose disclosure is not recorded yet: the
    attempt as it was made, and the disclosure owed for it."""

    sending: Delivery
    disclosed: DataDisclosed


def _no_worker() -> None:
    """Nothing to wake: a process without a fan-out worker (a command)."""


@dataclass(frozen=True)
class Deps:
    """Everything a notifier handler is given: its records, the way out, the shop's details.

    ``contact`` is the store's privacy contact (CT1), used for a policy version that published
    none; ``withdraw_url`` the web page every privacy email names (K3); ``privacy_url`` the
    page where customers follow their privacy requests and download their copy; ``service``
    the name the notifier answers privacy requests and records disclosures under;
    ``smtp_recipient`` the SMTP provider's id in the privacy service's recipient registry
    (P2, D3); ``wake`` tells the fan-out worker that a job is waiting. ``accepted`` is this
    process's memory of messages accepted whose disclosure could not be recorded yet (the
    database was away): by delivery id, so that the retry records them and never sends them
    again.
    """

    book: AddressBook
    ledger: Ledger
    parked: ParkedLetters
    jobs: Jobs
    secrets: Secrets
    replies: Replies
    renderer: Renderer
    sender: Sender
    metrics: Metrics
    contact: PolicyContact
    withdraw_url: str
    privacy_url: str
    service: str
    mail_domain: str
    default_locale: Locale
    smtp_recipient: str = "smtp"
    clock: Callable[[], datetime] = utc_now
    wake: Callable[[], None] = _no_worker
    accepted: dict[str, Accepted] = field(default_factory=dict)

    def withdrawal(self, contact: PolicyContact | None = None) -> Withdrawal:
        """K3: the ways to withdraw that a privacy email names, with ``contact``'s details."""
        return Withdrawal.of(contact or self.contact, self.withdraw_url)
