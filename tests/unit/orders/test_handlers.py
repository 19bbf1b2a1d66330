"""The handlers, driven with hand-written fakes: what they store, refuse and seal."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from uuid import uuid4

from allwan_contracts import (
    CancellationReason,
    ExpiryReason,
    OrderPlaced,
    OrderRejected,
    RefundReason,
    RejectionReason,
    SubscriptionActivated,
    new_envelope,
)
from allwan_contracts.intake import CancellationRequested, RefundRequested
from allwan_orders.handlers.deps import Request
from allwan_orders.handlers.ending import cancel_order, refund_order
from allwan_orders.handlers.expiry import expire_due
from allwan_orders.handlers.payment import report_payment
from allwan_orders.handlers.placing import place_order
from allwan_runtime.guards import retry_on_conflict
from allwan_runtime.keystore import Purpose

from tests.unit.orders.fakes import (
    NOW,
    MemoryKeys,
    MemoryRepository,
    deps,
    intake,
    order_requested,
    payment,
    sealed_contact,
)

PAN = "4111 1111 1111 1111"


def orders_of(d: Any) -> MemoryRepository[Any]:
    assert isinstance(d.orders, MemoryRepository)
    return d.orders


def keys_of(d: Any) -> MemoryKeys:
    assert isinstance(d.keys, MemoryKeys)
    return d.keys


async def placed(d: Any, **overrides: Any) -> Request:
    contact = await sealed_contact(keys_of(d), overrides.get("customer_id", "c-1"))
    request = intake()
    await place_order(order_requested(contact, **overrides), request, d)
    return request


async def test_k1_placing_records_the_policy_in_force_caused_by_the_request() -> None:
    d = deps()
    request = await placed(d)
    [envelope] = orders_of(d).streams["o-1"]
    [event] = orders_of(d).events("o-1")
    assert isinstance(event, OrderPlaced)
    assert event.policy_version == 3
    assert event.marketing_opt_in is False
    assert envelope.causation_id == request.request_id
    assert envelope.correlation_id == request.correlation_id
    email = await keys_of(d).open(event.contact.email, field="email", purpose=Purpose.SUPPORT)
    assert email == "sara@example.com"


async def test_the_same_idempotency_key_twice_places_one_order() -> None:
    d = deps()
    await placed(d)
    await placed(d, quantity=2)
    assert orders_of(d).types("o-1") == ["OrderPlaced"]


async def test_a1_a_refusal_is_recorded_once_even_when_the_request_is_redelivered() -> None:
    d = deps()
    contact = await sealed_contact(keys_of(d), "c-1")
    request = order_requested(contact, age_attestation=None)
    same = intake()
    await place_order(request, same, d)
    await place_order(request, same, d)
    [event] = orders_of(d).events("o-1")
    assert isinstance(event, OrderRejected)
    assert event.reason is RejectionReason.AGE_ATTESTATION_MISSING
    assert event.request_id == same.request_id


async def test_c3_a_card_number_in_a_sealed_contact_field_refuses_the_order() -> None:
    d = deps()
    contact = await sealed_contact(keys_of(d), "c-1", name=f"Sara {PAN}")
    await place_order(order_requested(contact), intake(), d)
    [event] = orders_of(d).events("o-1")
    assert isinstance(event, OrderRejected)
    assert event.reason is RejectionReason.CARD_DATA_PRESENT
    stored = json.dumps([e.model_dump(mode="json") for e in orders_of(d).streams["o-1"]])
    assert "4111" not in stored
    assert "Sara" not in stored


async def test_t2_contact_sealed_under_another_customers_key_is_refused() -> None:
    d = deps()
    contact = await sealed_contact(keys_of(d), "someone-else")
    await place_order(order_requested(contact), intake(), d)
    [event] = orders_of(d).events("o-1")
    assert isinstance(event, OrderRejected)
    assert event.reason is RejectionReason.CUSTOMER_MISMATCH


async def test_an_erased_customers_new_order_is_refused() -> None:
    d = deps()
    contact = await sealed_contact(keys_of(d), "c-1")
    await keys_of(d).shred("c-1")
    await place_order(order_requested(contact), intake(), d)
    [event] = orders_of(d).events("o-1")
    assert isinstance(event, OrderRejected)
    assert event.reason is RejectionReason.CUSTOMER_ERASED


async def test_payment_activates_the_subscription_in_the_same_commit() -> None:
    d = deps()
    await placed(d, plan_id="shahid-vip-3m")
    await report_payment(payment(amount_halalas=7935), intake(), d)
    assert orders_of(d).types("o-1") == ["OrderPlaced", "OrderPaid", "SubscriptionActivated"]
    activated = orders_of(d).events("o-1")[-1]
    assert isinstance(activated, SubscriptionActivated)
    assert (activated.starts_at, activated.ends_at) == (NOW, NOW.replace(month=6))
    paid = orders_of(d).streams["o-1"][1:]
    assert paid[0].causation_id == paid[1].causation_id


async def test_a_refused_payment_is_recorded_for_the_gateway() -> None:
    d = deps()
    await placed(d)
    await report_payment(payment(amount_halalas=1), intake(), d)
    rejected = orders_of(d).events("o-1")[-1]
    assert isinstance(rejected, OrderRejected)
    assert (rejected.request.value, rejected.reason) == ("payment", RejectionReason.AMOUNT_MISMATCH)


async def test_cancel_then_refund_through_the_handlers() -> None:
    d = deps()
    await placed(d)
    await report_payment(payment(), intake(), d)
    ids = {"order_id": "o-1", "customer_id": "c-1", "requested_by": "staff:7"}
    cancel = CancellationRequested(**ids, reason=CancellationReason.CUSTOMER_REQUEST)
    await cancel_order(cancel, intake(), d)
    refund = RefundRequested(
        **ids, reason=RefundReason.ORDER_CANCELLED, refund_halalas=2990, refund_reference="rf_1"
    )
    await refund_order(refund, intake(), d)
    await refund_order(refund, intake(), d)
    assert orders_of(d).types("o-1")[-2:] == ["OrderCancelled", "OrderRefunded"]


async def test_a_lost_concurrency_race_reloads_and_decides_again() -> None:
    d = deps()
    contact = await sealed_contact(keys_of(d), "c-1")
    event = order_requested(contact)
    envelope = new_envelope(event, aggregate_version=1, producer="gateway", correlation_id=uuid4())
    orders_of(d).conflicts_to_raise = 2

    async def handler(env: Any, ev: Any) -> None:
        await place_order(ev, Request.of(env), d)

    await retry_on_conflict(handler)(envelope, event)
    assert orders_of(d).types("o-1") == ["OrderPlaced"]


class Due:
    def __init__(self, ended: list[str], unpaid: list[tuple[str, Any]]) -> None:
        self.ended, self.unpaid = ended, unpaid

    async def subscriptions_ended(self, now: Any) -> list[str]:
        return self.ended

    async def unpaid_since(self, cutoff: Any) -> list[tuple[str, Any]]:
        return self.unpaid


async def test_the_periodic_expiry_ends_due_orders_and_leaves_the_rest() -> None:
    today = [NOW]
    d = deps(clock=lambda: today[0])
    await placed(d)
    await report_payment(payment(), intake(), d)  # a month from NOW
    await placed(d, order_id="o-2")
    await placed(d, order_id="o-3")
    today[0] = NOW + timedelta(days=40)
    recent = today[0] - timedelta(minutes=5)
    due = Due(["o-1", "o-2"], [("o-2", NOW), ("o-3", recent)])
    assert await expire_due(d, due) == 2
    assert orders_of(d).types("o-1")[-1] == "OrderExpired"
    reason = orders_of(d).events("o-2")[-1].reason
    assert reason is ExpiryReason.PAYMENT_TIMEOUT
    assert orders_of(d).types("o-3") == ["OrderPlaced"]
    assert await expire_due(d, due) == 0
