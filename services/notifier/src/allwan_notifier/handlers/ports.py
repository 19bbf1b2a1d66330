"""What the handlers need from the outside world; ``adapters`` has the real ones, the unit
tests hand-written fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from allwan_contracts import PolicyContact, Sealed
from allwan_runtime.dispatch import TransientError
from allwan_runtime.keystore import Purpose

from allwan_notifier.domain.deliveries import Delivery, Kind, State
from allwan_notifier.domain.fanout import FanoutJob
from allwan_notifier.domain.messages import Letter
from allwan_notifier.domain.recipients import (
    Address,
    ConsentStatus,
    Locale,
    MarketingConsent,
    Recipient,
)


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


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Mail:
    """One message ready for SMTP; ``to`` is the only personal datum and lives only here."""

    to: str
    subject: str
    text: str
    html: str
    message_id: str
    locale: Locale
    reply_to: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


class Ledger(Protocol):
    """The delivery ledger: one entry per message owed (see ``domain.deliveries``)."""

    async def claim(self, entry: Delivery) -> bool:
        """Insert ``entry``; False if an entry with its id exists (someone owns it)."""
        ...

    async def claim_many(self, entries: Sequence[Delivery]) -> int:
        """Insert each entry that does not exist yet; how many were new."""
        ...

    async def get(self, delivery_id: str) -> Delivery | None: ...

    async def begin_attempt(self, entry: Delivery) -> bool:
        """Record attempt number ``entry.attempts`` (``sending``), just before the SMTP
        transaction; False if that attempt is recorded already (another worker makes it)."""
        ...

    async def finish(self, entry: Delivery) -> bool:
        """Record the entry's final state; False if it has one already."""
        ...

    def of_job(self, job_id: str) -> AsyncIterator[Delivery]:
        """Every entry of one fan-out, through one cursor."""
        ...

    async def count_job(self, job_id: str) -> int: ...


class AddressBook(Protocol):
    """Customers' sealed emails and languages, and their consent to marketing."""

    async def remember(self, customer_id: str, address: Address, at: datetime) -> None: ...

    async def record_consent(
        self, customer_id: str, purpose: str, status: ConsentStatus, version: int
    ) -> None: ...

    async def erase(self, customer_id: str, version: int) -> None: ...

    async def redact(self, customer_id: str) -> None:
        """Drop what the book holds of an erased customer; keep that they were erased."""
        ...

    async def recipient(self, customer_id: str) -> Recipient: ...

    async def marketing_consent(self, customer_id: str) -> MarketingConsent: ...

    def relationships(self) -> AsyncIterator[str]:
        """Every customer with an order or a consent record, not erased (may repeat one)."""
        ...

    def marketing_audience(self) -> AsyncIterator[str]:
        """Customers whose marketing consent is granted now."""
        ...


class Secrets(Protocol):
    """The part of the key store the notifier uses."""

    async def open(self, sealed: Sealed, *, field: str, purpose: Purpose) -> str: ...

    def blind_index(self, kind: str, value: str) -> str: ...


class Renderer(Protocol):
    def render_letter(self, letter: Letter, locale: Locale) -> Rendered: ...


class Sender(Protocol):
    async def send(self, mail: Mail) -> str:
        """Hand ``mail`` to the SMTP server; its reply. ``SendDeferred`` or ``SendRefused``."""
        ...


class Jobs(Protocol):
    """Fan-out jobs and the contact details of each policy version."""

    async def record(self, job: FanoutJob) -> bool:
        """Insert a new job; False if a job with its id exists."""
        ...

    async def get(self, job_id: str) -> FanoutJob | None: ...

    async def unfinished(self) -> list[FanoutJob]: ...

    async def save(self, job: FanoutJob) -> None: ...

    async def remember_contact(self, version: int, contact: PolicyContact) -> None: ...

    async def contact_for(self, version: int) -> PolicyContact | None: ...


class Lease(Protocol):
    async def hold(self) -> bool:
        """Whether this process may run fan-outs now; renews the lease as it goes."""
        ...


class Metrics(Protocol):
    def counted(self, kind: Kind, outcome: State | str) -> None:
        """One message reached ``outcome`` (a final state, or ``deferred``)."""
        ...
