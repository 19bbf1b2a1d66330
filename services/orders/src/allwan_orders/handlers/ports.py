"""What the handlers need: their dependencies (``Deps``, ``Views``) and, as protocols, the
adapters behind them, which the real adapters and the runtime's in-memory stores both fit."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from allwan_contracts import Sealed
from allwan_contracts.base import Event
from allwan_contracts.envelope import Envelope
from allwan_runtime.eventstore import Streams
from allwan_runtime.keystore import Purpose
from allwan_runtime.repository import AggregateRepository

from allwan_orders.domain.catalogue import Catalogue
from allwan_orders.domain.customer import CustomerContactRecord
from allwan_orders.domain.order import Order


class Keys(Protocol):
    """``allwan_runtime.keystore.KeyStore`` as the handlers use it (T2, C4)."""

    async def seal(self, subject: str, field: str, plaintext: str) -> Sealed: ...

    async def open(self, sealed: Sealed, *, field: str, purpose: Purpose) -> str: ...

    async def open_many(
        self, sealed: Mapping[str, Sealed], *, purpose: Purpose
    ) -> dict[str, str]: ...

    async def shred(self, subject: str) -> bool: ...

    async def is_erased(self, subject: str) -> bool: ...


class KeyGenerations(Keys, Protocol):
    """The key store's generations, which make a corrected value unreadable (PDPL)."""

    async def rotate(self, subject: str) -> str: ...

    async def retire(self, subject: str, keep_kid: str) -> int: ...


class Replies(Protocol):
    """``allwan_runtime.recorder.EventRecorder``: each answer to a privacy request is the
    first event of a stream of its own (``reply_id``), so a repeated answer is recorded once."""

    async def first(
        self, event: Event, correlation_id: UUID, *, surely_new: bool = False
    ) -> bool: ...


class Disclosures(Protocol):
    """``allwan_runtime.recorder.EventRecorder``: each disclosure is the first event of a
    stream of its own (``disclosure_id``), so a disclosure recorded again is recorded once."""

    async def first(
        self, event: Event, correlation_id: UUID, *, surely_new: bool = False
    ) -> bool: ...


class CustomerOrderIds(Protocol):
    async def order_ids(self, customer_id: str) -> Sequence[str]:
        """The ids of the orders placed for the customer."""
        ...


class PolicyInForce(Protocol):
    async def in_force(self) -> int:
        """The privacy-policy version in force (K1): 1 until another is published."""
        ...


class PolicyVersions(PolicyInForce, Protocol):
    async def record(self, policy_id: str, version: int) -> None:
        """A published version (PC1); an older or repeated one changes nothing."""
        ...


class ReadModel(Protocol):
    """A projection of orders' own events (``allwan_runtime.projection.Projection``)."""

    async def __call__(self, envelope: Envelope, event: Any) -> None: ...


class Redaction(Protocol):
    async def redact(self, customer_id: str, erased_at: datetime) -> None:
        """Drop what a read model holds of an erased customer, for good."""
        ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    """What the intake handlers (requests the gateway recorded, Salla webhooks) need.

    ``disclosures`` records what leaves for a recipient (D1-D3, P2): a paid order's details
    for ``payment_recipient``, the payment provider's id in the privacy service's registry.
    """

    orders: AggregateRepository[Order]
    contacts: AggregateRepository[CustomerContactRecord]
    keys: Keys
    catalogue: Catalogue
    policies: PolicyInForce
    disclosures: Disclosures
    payment_recipient: str = "payment"
    service: str = "orders"
    clock: Callable[[], datetime] = _utc_now
    payment_timeout: timedelta = timedelta(hours=1)
    salla_checkout_attests_legal_age: bool = False


@dataclass(frozen=True)
class Views:
    """What the read-model handlers need; ``replies`` answer privacy requests once the read
    models show a correction or an erasure."""

    read_models: ReadModel
    customers: Redaction
    policies: PolicyVersions
    keys: KeyGenerations
    replies: Replies
    service: str = "orders"
    clock: Callable[[], datetime] = _utc_now


@dataclass(frozen=True)
class Privacy:
    """What the privacy-request handlers need: the event store (events with their times),
    the contact records, where each customer's orders are listed, the key store, and the
    recorder of answers."""

    store: Streams
    contacts: AggregateRepository[CustomerContactRecord]
    customer_orders: CustomerOrderIds
    keys: KeyGenerations
    replies: Replies
    service: str = "orders"
    clock: Callable[[], datetime] = _utc_now
