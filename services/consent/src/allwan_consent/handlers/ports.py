"""What the handlers need from the outside world; ``adapters`` has the real ones, the unit
tests hand-written fakes."""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar
from uuid import UUID

from allwan_contracts import Sealed
from allwan_runtime.aggregate import Aggregate
from allwan_runtime.keystore import Purpose

from allwan_consent.domain.ledger import ConsentLedger
from allwan_consent.domain.policy import PrivacyPolicy

A = TypeVar("A", bound=Aggregate)


class Aggregates(Protocol, Generic[A]):
    """Event-sourced aggregates of one type."""

    async def get(self, aggregate_id: str) -> A: ...

    async def save(
        self, aggregate: A, *, correlation_id: UUID, causation_id: UUID | None = None
    ) -> int:
        """Store new events; ``ConcurrencyConflict`` if another writer got there first."""
        ...

    async def handled(self, aggregate_id: str, input_id: UUID) -> bool:
        """Whether the input with this event id already caused events on the stream."""
        ...

    async def ids(self) -> list[str]:
        """Every aggregate of the type that has a stream."""
        ...


Ledgers = Aggregates[ConsentLedger]
Policies = Aggregates[PrivacyPolicy]


class Secrets(Protocol):
    """The part of the key store this service uses (C4: it holds ``CONSENT_MATCHING``)."""

    async def open(self, sealed: Sealed, *, field: str, purpose: Purpose) -> str: ...

    async def shred(self, subject: str) -> bool: ...

    async def is_erased(self, subject: str) -> bool: ...

    def blind_index(self, kind: str, value: str) -> str: ...


class PhoneIndex(Protocol):
    """Customers by the blind index of their phone number, never the number itself."""

    async def add(self, phone_hash: str, customer_id: str) -> None: ...

    async def customers(self, phone_hash: str) -> list[str]: ...

    async def forget(self, customer_id: str) -> None: ...
