"""The handlers on the runtime's in-memory stores: what they store, refuse and seal."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from allwan_contracts import (
    CancellationReason,
    ExpiryReason,
    OrderPlaced,
    OrderRejected,
    OrderRequestKind,
    RefundReason,
    RejectionReason,
    SubscriptionActivated,
)
from allwan_contracts.envelope import Envelope
from allwan_contracts.intake import CancellationRequested, OrderRequested, RefundRequested
from allwan_orders.handlers.ending import cancel_order, refund_order
from allwan_orders.handlers.expiry import expire_due
from allwan_orders.handlers.payment import report_payment
from allwan_orders.handlers.placing import place_order
from allwan_runtime.eventstore import ConcurrencyConflict
from allwan_runtime.handlers import Handlers
from allwan_runtime.keystore import Purpose
from allwan_runtime.memory import InMemoryEventStore

from tests.unit.orders.fakes import (
    NOW,
    Orders,
    intake,
    order_requested,
    orders,
    payment,
    sealed_contact,
)

PAN = "4111 1111 1111 1111"
WHO = {"order_id": "o-1", "customer_id": "c-1", "requested_by": "staff:7"}


async def placed(o: Orders, **overrides: Any) -> Envelope:
    contact = await sealed_contact(o.keys, overrides.get("customer_id", "c-1"))
    return await o.handle(place_order, order_requested(contact, **overrides))


async def test_k1_placing_records_the_policy_in_force_caused_by_the_request() -> None:
    o = orders()
    request = await placed(o)
    [envelope] = o.stream("o-1")
    [event] = o.events("o-1")
    assert isinstance(event, OrderPlaced)
    assert event.policy_version == 3
    assert event.marketing_opt_in is False
    assert envelope.causation_id == request.event_id
    assert envelope.correlation_id == request.correlation_id
    email = await o.keys.open(event.contact.email, field="email", purpose=Purpose.SUPPORT)
    assert email == "sara@example.com"


async def test_the_same_idempotency_key_twice_places_one_order() -> None:
    o = orders()
    await placed(o)
    await placed(o, quantity=2)
    assert o.types("o-1") == ["OrderPlaced"]


async def test_a1_a_refusal_is_recorded_once_even_when_the_request_is_redelivered() -> None:
    o = orders()
    contact = await sealed_contact(o.keys, "c-1")
    request = order_requested(contact, age_attestation=None)
    same = intake(request)
    await o.handle(place_order, request, same)
    await o.handle(place_order, request, same)
    [event] = o.events("o-1")
    assert isinstance(event, OrderRejected)
    assert event.reason is RejectionReason.AGE_ATTESTATION_MISSING
    assert event.request_id == same.event_id


async def test_c3_a_card_number_in_a_sealed_contact_field_refuses_the_order() -> None:
    o = orders()
    contact = await sealed_contact(o.keys, "c-1", name=f"Sara {PAN}")
    await o.handle(place_order, order_requested(contact))
    [event] = o.events("o-1")
    assert isinstance(event, OrderRejected)
    assert event.reason is RejectionReason.CARD_DATA_PRESENT
    assert "$.contact.name" in event.message
    stored = json.dumps([e.model_dump(mode="json") for e in o.stream("o-1")])
    # Not the number as sent nor its digits, nor its last eight digits run together (a random
    # id may hold "4111" by chance, never eight 1s in a row).
    digits = PAN.replace(" ", "")
    assert PAN not in stored
    assert digits not in stored
    assert digits[-8:] not in stored
    assert "Sara" not in stored


async def test_t2_contact_sealed_under_another_customers_key_is_refused() -> None:
    o = orders()
    contact = await sealed_contact(o.keys, "someone-else")
    await o.handle(place_order, order_requested(contact))
    [event] = o.events("o-1")
    assert isinstance(event, OrderRejected)
    assert event.reason is RejectionReason.CUSTOMER_MISMATCH


async def test_an_erased_customers_new_order_is_refused() -> None:
    o = orders()
    contact = await sealed_contact(o.keys, "c-1")
    await o.keys.shred("c-1")
    await o.handle(place_order, order_requested(contact))
    [event] = o.events("o-1")
    assert isinstance(event, OrderRejected)
    assert event.reason is RejectionReason.CUSTOMER_ERASED


async def test_payment_activates_the_subscription_in_the_same_commit() -> None:
    o = orders()
    await placed(o, plan_id="shahid-vip-3m")
    await o.handle(report_payment, payment(amount_halalas=7935))
    assert o.types("o-1") == ["OrderPlaced", "OrderPaid", "SubscriptionActivated"]
    activated = o.events("o-1")[-1]
    assert isinstance(activated, SubscriptionActivated)
    assert (activated.starts_at, activated.ends_at) == (NOW, NOW.replace(month=6))
    paid = o.stream("o-1")[1:]
    assert paid[0].causation_id == paid[1].causation_id
    # Placed; then paid and activated as one commit; then its disclosure (D1).
    assert o.store.appends == 3


async def test_a_refused_payment_is_recorded_for_the_gateway() -> None:
    o = orders()
    await placed(o)
    await o.handle(report_payment, payment(amount_halalas=1))
    rejected = o.events("o-1")[-1]
    assert isinstance(rejected, OrderRejected)
    assert (rejected.request.value, rejected.reason) == ("payment", RejectionReason.AMOUNT_MISMATCH)


async def test_cancel_then_refund_through_the_handlers() -> None:
    o = orders()
    await placed(o)
    await o.handle(report_payment, payment())
    cancel = CancellationRequested(**WHO, reason=CancellationReason.CUSTOMER_REQUEST)
    await o.handle(cancel_order, cancel)
    refund = RefundRequested(
        **WHO, reason=RefundReason.ORDER_CANCELLED, refund_halalas=2990, refund_reference="rf_1"
    )
    await o.handle(refund_order, refund)
    await o.handle(refund_order, refund)
    assert o.types("o-1")[-2:] == ["OrderCancelled", "OrderRefunded"]
    assert o.events("o-1")[-1].fully_refunded is True


def registered(o: Orders) -> Handlers[Any]:
    """The intake handlers as the service registers them: a lost race runs them again."""
    handlers = Handlers(o.deps, producers={"gateway"}, retry_conflicts=True)
    handlers.on(OrderRequested, place_order)
    handlers.on(CancellationRequested, cancel_order)
    handlers.on(RefundRequested, refund_order)
    return handlers


async def test_a_lost_concurrency_race_reloads_and_decides_again() -> None:
    o = orders()
    contact = await sealed_contact(o.keys, "c-1")
    event = order_requested(contact)
    o.store.conflicts_to_raise = 2

    await registered(o).bound()[OrderRequested](intake(event), event)
    assert o.types("o-1") == ["OrderPlaced"]


class RacedStore(InMemoryEventStore):
    """Lets another writer append first, between a handler's load and its own append."""

    def __init__(self) -> None:
        super().__init__()
        self.before_next_append: Callable[[], Awaitable[None]] | None = None

    async def append(self, events: Sequence[Envelope], *, expected_version: int) -> int:
        rival, self.before_next_append = self.before_next_append, None
        if rival is not None:
            await rival()
        return await super().append(events, expected_version=expected_version)


async def test_a_refund_that_loses_the_race_to_another_is_decided_again_on_the_new_state() -> None:
    store = RacedStore()
    o = orders(store)
    await placed(o)
    await o.handle(report_payment, payment())
    first = RefundRequested(
        **WHO, reason=RefundReason.GOODWILL, refund_halalas=2000, refund_reference="rf_a"
    )
    late = RefundRequested(
        **WHO, reason=RefundReason.GOODWILL, refund_halalas=2990, refund_reference="rf_b"
    )

    async def rival() -> None:
        await o.handle(refund_order, first)

    store.before_next_append = rival
    await registered(o).bound()[RefundRequested](intake(late), late)

    assert o.types("o-1")[2:] == ["SubscriptionActivated", "OrderRefunded", "OrderRejected"]
    refunded, rejected = o.events("o-1")[-2:]
    assert (refunded.refund_reference, refunded.fully_refunded) == ("rf_a", False)
    assert (rejected.request, rejected.reason) == (
        OrderRequestKind.REFUND,
        RejectionReason.REFUND_EXCEEDS_PAYMENT,
    )


async def test_an_order_that_lost_the_race_keeps_its_version_and_what_it_decided() -> None:
    o = orders()
    await placed(o)
    order = await o.deps.orders.get("o-1")
    order.cancel("c-1", CancellationReason.CUSTOMER_REQUEST)
    o.store.conflicts_to_raise = 1

    with pytest.raises(ConcurrencyConflict):
        await o.deps.orders.save(order, correlation_id=uuid4())

    assert order.version == 1
    assert [type(event).__name__ for event in order.pending] == ["OrderCancelled"]
    assert o.types("o-1") == ["OrderPlaced"]
    await o.deps.orders.save(order, correlation_id=uuid4())
    assert (order.version, order.pending) == (2, ())
    assert o.types("o-1") == ["OrderPlaced", "OrderCancelled"]


class Due:
    def __init__(self, ended: list[str], unpaid: list[tuple[str, Any]]) -> None:
        self.ended, self.unpaid = ended, unpaid

    async def subscriptions_ended(self, now: Any) -> list[str]:
        return self.ended

    async def unpaid_since(self, cutoff: Any) -> list[tuple[str, Any]]:
        return self.unpaid


async def test_the_periodic_expiry_ends_due_orders_and_leaves_the_rest() -> None:
    today = [NOW]
    o = orders(clock=lambda: today[0])
    await placed(o)
    await o.handle(report_payment, payment())  # a month from NOW
    await placed(o, order_id="o-2")
    await placed(o, order_id="o-3")
    today[0] = NOW + timedelta(days=40)
    recent = today[0] - timedelta(minutes=5)
    due = Due(["o-1", "o-2"], [("o-2", NOW), ("o-3", recent)])
    assert await expire_due(o.deps, due) == 2
    assert o.types("o-1")[-1] == "OrderExpired"
    reason = o.events("o-2")[-1].reason
    assert reason is ExpiryReason.PAYMENT_TIMEOUT
    assert o.types("o-3") == ["OrderPlaced"]
    assert await expire_due(o.deps, due) == 0
