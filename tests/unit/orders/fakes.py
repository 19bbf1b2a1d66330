"""Hand-written fakes for the orders handlers: an in-memory repository and key store."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from allwan_contracts import AgeAttestation, CustomerContact, Sealed, new_envelope, read_event
from allwan_contracts.envelope import Envelope
from allwan_contracts.intake import OrderRequested, OrderSource, PaymentReported
from allwan_orders.adapters.catalogue_file import load_catalogue
from allwan_orders.domain.customer import CustomerContactRecord
from allwan_orders.domain.order import Order
from allwan_orders.handlers.deps import Deps, Request
from allwan_runtime.aggregate import Aggregate
from allwan_runtime.eventstore import ConcurrencyConflict
from allwan_runtime.keystore import ERASED, Purpose, PurposeNotGranted
from allwan_runtime.keystore.cipher import open_sealed, seal
from cryptography.exceptions import InvalidTag

A = TypeVar("A", bound=Aggregate)
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
CATALOGUE = load_catalogue(None)


class MemoryRepository(Generic[A]):
    """Streams of envelopes in memory, with the event store's optimistic concurrency."""

    def __init__(self, factory: Callable[[str], A]) -> None:
        self.factory = factory
        self.streams: dict[str, list[Envelope]] = {}
        self.conflicts_to_raise = 0

    async def get(self, aggregate_id: str) -> A:
        aggregate = self.factory(aggregate_id)
        for envelope in self.streams.get(aggregate_id, []):
            aggregate.apply(read_event(envelope))
            aggregate.version = envelope.aggregate_version
        return aggregate

    async def save(
        self, aggregate: A, *, correlation_id: UUID, causation_id: UUID | None = None
    ) -> int:
        stream = self.streams.setdefault(aggregate.id, [])
        if self.conflicts_to_raise:
            self.conflicts_to_raise -= 1
            raise ConcurrencyConflict(aggregate.id, aggregate.version)
        if len(stream) != aggregate.version:
            raise ConcurrencyConflict(aggregate.id, aggregate.version)
        expected = aggregate.version
        for offset, event in enumerate(aggregate.collect(), start=1):
            envelope = new_envelope(
                event,
                aggregate_version=expected + offset,
                producer="orders",
                correlation_id=correlation_id,
                causation_id=causation_id,
            )
            read_event(envelope)  # every recorded event honours its contract
            stream.append(envelope)
        return aggregate.version

    def events(self, aggregate_id: str) -> list[Any]:
        return [read_event(envelope) for envelope in self.streams.get(aggregate_id, [])]

    def types(self, aggregate_id: str) -> list[str]:
        return [envelope.event_type for envelope in self.streams.get(aggregate_id, [])]


class MemoryKeys:
    """The key store's behaviour with real AES-256-GCM, keys in a dict (None once shredded)."""

    def __init__(self, *purposes: Purpose) -> None:
        self.purposes = frozenset(purposes or (Purpose.ORDER_PROCESSING, Purpose.SUPPORT))
        self.keys: dict[str, bytes | None] = {}

    async def seal(self, subject: str, field: str, plaintext: str) -> Sealed:
        if subject in self.keys and self.keys[subject] is None:
            raise LookupError(subject)
        key = self.keys.setdefault(subject, os.urandom(32))
        assert key is not None
        return seal(key, subject, field, plaintext)

    async def open(self, sealed: Sealed, *, field: str, purpose: Purpose) -> str:
        if purpose not in self.purposes:
            raise PurposeNotGranted("orders", purpose)
        key = self.keys.get(sealed.kid)
        if key is None:
            return ERASED
        try:
            return open_sealed(key, sealed, field)
        except InvalidTag as error:
            raise ValueError(field) from error

    async def shred(self, subject: str) -> bool:
        existed = self.keys.get(subject) is not None
        self.keys[subject] = None
        return existed

    async def is_erased(self, subject: str) -> bool:
        return subject in self.keys and self.keys[subject] is None


class FixedPolicy:
    def __init__(self, version: int = 1) -> None:
        self.version = version

    async def in_force(self) -> int:
        return self.version


def deps(**overrides: Any) -> Deps:
    fields: dict[str, Any] = {
        "orders": MemoryRepository(Order),
        "contacts": MemoryRepository(CustomerContactRecord),
        "keys": MemoryKeys(),
        "catalogue": CATALOGUE,
        "policies": FixedPolicy(3),
        "clock": lambda: NOW,
    }
    return Deps(**(fields | overrides))


def intake() -> Request:
    return Request(request_id=uuid.uuid4(), correlation_id=uuid.uuid4())


async def sealed_contact(
    keys: MemoryKeys, customer_id: str, name: str = "Sara Al-Harbi", **fields: str
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
