"""The read models' side: what a refund does to an order's document, and which records the
service's two consumer groups obey."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from allwan_contracts import (
    CustomerErased,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    PolicyChanged,
    encode,
    new_envelope,
)
from allwan_contracts.base import Event
from allwan_contracts.envelope import Envelope
from allwan_contracts.intake import OrderRequested
from allwan_orders.adapters.order_views import view_update
from allwan_orders.bootstrap import OrdersService, intake_handlers, view_handlers
from allwan_orders.handlers.ports import Views
from allwan_runtime.dispatch import DeadLetter, Dispatcher, Outcome
from allwan_runtime.handlers import Handlers
from allwan_runtime.keystore import InMemoryKeyStore
from allwan_runtime.memory import InMemoryEventStore
from allwan_runtime.recorder import EventRecorder

from tests.unit.contracts.factories import SAMPLES
from tests.unit.orders.fakes import orders


def refund(**changes: Any) -> OrderRefunded:
    sample = SAMPLES[OrderRefunded]
    assert isinstance(sample, OrderRefunded)
    return sample.model_copy(update=changes)


FULL, PARTIAL = refund(), refund(refund_halalas=100, fully_refunded=False)


def envelope_of(event: Event, producer: str = "orders") -> Envelope:
    return new_envelope(event, aggregate_version=3, producer=producer, correlation_id=uuid.uuid4())


def test_a_full_refund_ends_the_order_in_its_document_as_the_order_decided() -> None:
    update = view_update(envelope_of(FULL), FULL)
    assert update["$set"] == {"status": "refunded"}
    assert update["$inc"] == {"refunded_halalas": FULL.refund_halalas}


def test_a_partial_refund_adds_up_in_the_document_and_leaves_its_status() -> None:
    update = view_update(envelope_of(PARTIAL), PARTIAL)
    assert "$set" not in update
    assert update["$inc"] == {"refunded_halalas": 100}
    assert update["$push"]["history"]["event"] == "OrderRefunded"


@dataclass
class Recorded:
    """The read-model ports, recording what reached them."""

    projected: list[str] = field(default_factory=list)
    redacted: list[str] = field(default_factory=list)
    policies: list[tuple[str, int]] = field(default_factory=list)

    async def __call__(self, envelope: Envelope, event: Any) -> None:
        self.projected.append(envelope.event_type)

    async def redact(self, customer_id: str, erased_at: datetime) -> None:
        self.redacted.append(customer_id)

    async def record(self, policy_id: str, version: int) -> None:
        self.policies.append((policy_id, version))

    async def in_force(self) -> int:
        return 1


def service(views: Views | None = None, **parts: Any) -> OrdersService:
    settings = SimpleNamespace(
        service_name="orders",
        intake_producers=frozenset({"gateway"}),
        privacy_producers=frozenset({"privacy"}),
        consent_producers=frozenset({"consent"}),
    )
    return cast(OrdersService, SimpleNamespace(settings=settings, views=views, **parts))


async def dispatch(handlers: Handlers[Any], event: Event, producer: str) -> Outcome:
    letters: list[DeadLetter] = []

    async def keep(letter: DeadLetter) -> None:
        letters.append(letter)

    outcome = await Dispatcher(handlers.bound()).dispatch(
        encode(envelope_of(event, producer)), keep
    )
    assert not letters
    return outcome


async def test_the_views_take_own_events_from_orders_and_erasures_and_policies_from_consent() -> (
    None
):
    seen = Recorded()
    views = Views(
        read_models=seen,
        customers=seen,
        policies=seen,
        keys=InMemoryKeyStore(),
        replies=EventRecorder(InMemoryEventStore(), "orders"),
    )
    handlers = view_handlers(service(views))

    await dispatch(handlers, SAMPLES[OrderPlaced], "orders")
    await dispatch(handlers, SAMPLES[OrderPaid], "someone-else")
    await dispatch(handlers, SAMPLES[CustomerErased], "someone-else")
    await dispatch(handlers, SAMPLES[PolicyChanged], "someone-else")
    assert seen.redacted == []  # a forged erasure redacts nobody (S1)
    assert seen.policies == []
    await dispatch(handlers, SAMPLES[CustomerErased], "consent")
    await dispatch(handlers, SAMPLES[PolicyChanged], "consent")

    assert seen.projected == ["OrderPlaced"]
    assert seen.redacted == ["cust-42"]
    assert seen.policies == [("privacy", 4)]


async def test_the_intake_obeys_only_the_gateway() -> None:
    o = orders()
    handlers = intake_handlers(service(deps=o.deps))
    requested = SAMPLES[OrderRequested]

    assert await dispatch(handlers, requested, "someone-else") is Outcome.HANDLED
    assert o.store.streams == {}
    await dispatch(handlers, requested, "gateway")
    # Decided: the sample's contact is sealed under another key than the customer's (T2).
    assert o.types("1001") == ["OrderRejected"]
