"""The orders handlers' dependencies on the runtime's in-memory event and key stores, and
builders for the requests the tests send."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from allwan_contracts import AgeAttestation, CustomerContact, OrderPlaced, new_envelope
from allwan_contracts.base import Event
from allwan_contracts.envelope import Envelope
from allwan_contracts.intake import OrderRequested, OrderSource, PaymentReported
from allwan_orders.adapters.catalogue_file import load_catalogue
from allwan_orders.bootstrap import PURPOSES
from allwan_orders.domain.customer import CustomerContactRecord
from allwan_orders.domain.order import Order
from allwan_orders.handlers.ports import Deps, Privacy
from allwan_runtime.eventstore import stream_id
from allwan_runtime.keystore import InMemoryKeyStore
from allwan_runtime.memory import InMemoryEventStore
from allwan_runtime.recorder import EventRecorder
from allwan_runtime.repository import AggregateRepository

E = TypeVar("E", bound=Event)
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
CATALOGUE = load_catalogue(None)


class FixedPolicy:
    def __init__(self, version: int = 1) -> None:
        self.version = version

    async def in_force(self) -> int:
        return self.version


class ListedOrders:
    """The ``customer_orders`` read model's answer, from the orders placed in ``store``."""

    def __init__(self, store: InMemoryEventStore) -> None:
        self.store = store

    async def order_ids(self, customer_id: str) -> Sequence[str]:
        return [
            event.order_id
            for event in self.store.all_events("order")
            if isinstance(event, OrderPlaced) and event.customer_id == customer_id
        ]


@dataclass
class Orders:
    """The handlers' ``deps`` and the stores behind them, to read back what was stored;
    ``privacy``: the privacy-request handlers' dependencies, on the same stores."""

    store: InMemoryEventStore
    keys: InMemoryKeyStore
    deps: Deps
    privacy: Privacy

    async def handle(
        self,
        handler: Callable[[E, Envelope, Deps], Awaitable[None]],
        event: E,
        envelope: Envelope | None = None,
    ) -> Envelope:
        """Call ``handler`` as the intake consumer does; the envelope it received."""
        received = envelope or intake(event)
        await handler(event, received, self.deps)
        return received

    def stream(self, order_id: str) -> list[Envelope]:
        return self.store.streams.get(stream_id("order", order_id), [])

    def events(self, order_id: str) -> list[Any]:
        return self.store.events("order", order_id)

    def types(self, order_id: str) -> list[str]:
        return [envelope.event_type for envelope in self.stream(order_id)]

    def contact_events(self, customer_id: str) -> list[Any]:
        return self.store.events("customer_contact", customer_id)

    def disclosures(self) -> list[Any]:
        """Every disclosure recorded (``DataDisclosed``), stream by stream."""
        return self.store.all_events("disclosure")


def orders(store: InMemoryEventStore | None = None, **overrides: Any) -> Orders:
    """The orders handlers in memory; ``overrides`` replace fields of their ``Deps``."""
    store = store or InMemoryEventStore()
    keys = InMemoryKeyStore(PURPOSES, service="orders")
    fields: dict[str, Any] = {
        "orders": AggregateRepository(store, Order, "orders"),
        "contacts": AggregateRepository(store, CustomerContactRecord, "orders"),
        "keys": keys,
        "catalogue": CATALOGUE,
        "policies": FixedPolicy(3),
        "disclosures": EventRecorder(store, "orders"),
        "clock": lambda: NOW,
    }
    deps = Deps(**(fields | overrides))
    privacy = Privacy(
        store=store,
        contacts=deps.contacts,
        customer_orders=ListedOrders(store),
        keys=keys,
        replies=EventRecorder(store, "orders"),
        clock=lambda: NOW,
    )
    return Orders(store, keys, deps, privacy)


def intake(event: Event, producer: str = "gateway") -> Envelope:
    """``event`` as the gateway recorded it."""
    return new_envelope(event, aggregate_version=1, producer=producer, correlation_id=uuid.uuid4())


async def sealed_contact(
    keys: InMemoryKeyStore, customer_id: str, name: str = "Sara Al-Harbi", **fields: str
) -> CustomerContact:
    values = {
        "name": name,
        "email": "sara@example.com",
        "phone": "+966501234567",
        "billing_address": "King Fahd Rd, Riyadh 12211",
    } | fields
    return CustomerContact(
        **{field: await keys.seal(customer_id, field, value) for field, value in values.items()}
    )


def order_requested(contact: CustomerContact, **overrides: Any) -> OrderRequested:
    fields: dict[str, Any] = {
        "order_id": "o-1",
        "customer_id": "c-1",
        "requested_by": "customer",
        "plan_id": "shahid-vip-1m",
        "quantity": 1,
        "contact": contact,
        "age_attestation": AgeAttestation.LEGAL_AGE,
        "payment_token": "tok_9f8e7d",
        "locale": "ar",
        "source": OrderSource.STOREFRONT,
    }
    return OrderRequested(**(fields | overrides))


def payment(**overrides: Any) -> PaymentReported:
    fields: dict[str, Any] = {
        "order_id": "o-1",
        "customer_id": "c-1",
        "requested_by": "service:gateway",
        "payment_reference": "pay_1",
        "amount_halalas": 2990,
        "card_brand": "mada",
        "card_last4": "0415",
    }
    return PaymentReported(**(fields | overrides))
