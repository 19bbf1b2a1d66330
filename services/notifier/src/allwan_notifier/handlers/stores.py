"""What the notifier keeps of its own: the delivery ledger, the address book, the privacy
letters waiting for an address and the fan-out jobs, as the handlers use them (``adapters``
has the MongoDB ones, the unit tests fakes)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Protocol

from allwan_contracts import PolicyContact

from allwan_notifier.domain.deliveries import Delivery
from allwan_notifier.domain.fanout import FanoutJob
from allwan_notifier.domain.parked import ParkedLetter
from allwan_notifier.domain.recipients import (
    Address,
    ConsentStatus,
    MarketingConsent,
    Recipient,
)


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

    async def of_customer(self, customer_id: str) -> list[Delivery]:
        """Every entry of one customer that left ``pending`` (sent, or at least tried)."""
        ...


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
        """Customers whose marketing consent allowed marketing when last recorded (K2); each
        is asked again just before their message."""
        ...


class ParkedLetters(Protocol):
    """Privacy letters waiting for their customer's address (``domain.parked``), by the id
    of the ledger entry that owes each."""

    async def park(self, parked: ParkedLetter) -> ParkedLetter:
        """Insert ``parked``; the letter as parked: ``parked`` itself, or the one parked
        under its id before (a redelivered event: it keeps its first time)."""
        ...

    async def of_customer(self, customer_id: str) -> list[ParkedLetter]:
        """The letters parked for one customer, oldest first."""
        ...

    async def parked_before(self, when: datetime) -> list[ParkedLetter]:
        """The letters parked before ``when``, oldest first."""
        ...

    async def discard(self, letter_id: str) -> None:
        """Forget a parked letter: its ledger entry has its outcome."""
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
