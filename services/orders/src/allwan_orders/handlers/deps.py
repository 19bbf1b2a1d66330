"""What the handlers need, as protocols: the real adapters and the unit tests' fakes fit them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar
from uuid import UUID

from allwan_contracts import Sealed
from allwan_contracts.envelope import Envelope
from allwan_runtime.aggregate import Aggregate
from allwan_runtime.keystore import Purpose

from allwan_orders.domain.catalogue import Catalogue
from allwan_orders.domain.customer import CustomerContactRecord
from allwan_orders.domain.order import Order

A = TypeVar("A", bound=Aggregate)


class Repository(Protocol[A]):
    """``allwan_runtime.repository.AggregateRepository`` as the handlers use it."""

    async def get(self, aggregate_id: str) -> A: ...

    async def save(
        self, aggregate: A, *, correlation_id: UUID, causation_id: UUID | None = None
    ) -> int: ...


class Keys(Protocol):
    """``allwan_runtime.keystore.KeyStore`` as the handlers use it (T2, C4)."""

    async def seal(self, subject: str, field: str, plaintext: str) -> Sealed: ...

    async def open(self, sealed: Sealed, *, field: str, purpose: Purpose) -> str: ...

    async def shred(self, subject: str) -> bool: ...


class PolicyVersions(Protocol):
    async def in_force(self) -> int:
        """The privacy-policy version in force (K1): 1 until another is published."""
        ...


@dataclass(frozen=True)
class Request:
    """Which intake event is being decided, to tie what it causes back to it."""

    request_id: UUID
    correlation_id: UUID

    @classmethod
    def of(cls, envelope: Envelope) -> Request:
        return cls(request_id=envelope.event_id, correlation_id=envelope.correlation_id)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    orders: Repository[Order]
    contacts: Repository[CustomerContactRecord]
    keys: Keys
    catalogue: Catalogue
    policies: PolicyVersions
    clock: Callable[[], datetime] = _utc_now
    payment_timeout: timedelta = timedelta(hours=1)
    salla_checkout_attests_legal_age: bool = False
