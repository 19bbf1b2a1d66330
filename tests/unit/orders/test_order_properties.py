"""Any sequence of requests leaves an order in a valid state, and its events rebuild it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

from allwan_contracts import (
    CancellationReason,
    ExpiryReason,
    OrderRequestKind,
    RefundReason,
    new_envelope,
    read_event,
)
from allwan_contracts.intake import OrderRequested, OrderSource, PaymentReported, RefundRequested
from allwan_orders.domain.errors import OrderRefused
from allwan_orders.domain.order import Order
from allwan_orders.domain.placing import OpenedContact
from allwan_orders.domain.status import OrderStatus
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.contracts.factories import contact
from tests.unit.orders.fakes import CATALOGUE, NOW

PLAN = CATALOGUE.plan("osn-plus-1m")
TOTAL = 3450
CUSTOMERS = st.sampled_from(["cust-42", "cust-43"])

place_cmd = st.tuples(
    st.just("place"), st.booleans(), st.integers(1, 7), st.sampled_from([PLAN, None])
)
pay_cmd = st.tuples(
    st.just("pay"), CUSTOMERS, st.sampled_from([TOTAL, TOTAL - 1]), st.sampled_from(["p1", "p2"])
)
cancel_cmd = st.tuples(st.just("cancel"), CUSTOMERS)
refund_cmd = st.tuples(
    st.just("refund"), CUSTOMERS, st.integers(1, TOTAL + 10), st.sampled_from(["r1", "r2", "r3"])
)
expire_cmd = st.tuples(
    st.just("expire"), st.sampled_from(list(ExpiryReason)), st.integers(0, 24 * 60)
)
KINDS = {
    "place": OrderRequestKind.PLACE,
    "pay": OrderRequestKind.PAYMENT,
    "cancel": OrderRequestKind.CANCELLATION,
    "refund": OrderRequestKind.REFUND,
}
commands = st.lists(st.one_of(place_cmd, pay_cmd, cancel_cmd, refund_cmd, expire_cmd), max_size=12)


def run(order: Order, command: tuple[Any, ...]) -> None:
    match command:
        case ("place", attested, quantity, plan):
            request = OrderRequested(
                order_id="o-1",
                customer_id="cust-42",
                requested_by="customer",
                plan_id="osn-plus-1m",
                quantity=quantity,
                contact=contact(),
                age_attestation="legal_age" if attested else None,
                payment_token="tok_1",
                locale="ar",
                source=OrderSource.STOREFRONT,
            )
            opened = OpenedContact({"name": "Sara Al-Harbi"})
            order.place(request, opened, plan, vat_rate_percent=15, policy_version=1)
        case ("pay", customer, amount, reference):
            order.pay(
                PaymentReported(
                    order_id="o-1",
                    customer_id=customer,
                    requested_by="service:gateway",
                    payment_reference=reference,
                    amount_halalas=amount,
                ),
            )
            if order.status is OrderStatus.PAID:
                order.activate(NOW, 1, "dlv-1")
        case ("cancel", customer):
            order.cancel(customer, CancellationReason.CUSTOMER_REQUEST)
        case ("refund", customer, amount, reference):
            order.refund(
                RefundRequested(
                    order_id="o-1",
                    customer_id=customer,
                    requested_by="staff:1",
                    reason=RefundReason.GOODWILL,
                    refund_halalas=amount,
                    refund_reference=reference,
                ),
            )
        case ("expire", reason, minutes):
            now = NOW + timedelta(days=minutes)
            order.expire(now, reason, placed_at=NOW, payment_timeout=timedelta(minutes=60))


def check_invariants(order: Order) -> None:
    assert 0 <= order.refunded <= order.paid
    assert order.paid in (0, TOTAL)
    if order.status is OrderStatus.PLACED:
        assert order.paid == 0
    if order.status is OrderStatus.ACTIVE:
        assert order.paid == TOTAL
        assert order.ends_at is not None
    if order.status is OrderStatus.REFUNDED:
        assert order.refunded == order.paid > 0
    if order.status in (OrderStatus.NEW, OrderStatus.REJECTED):
        assert order.paid == 0
        assert not order.refund_references


@settings(max_examples=300, deadline=None)
@given(commands)
def test_no_sequence_of_requests_reaches_an_invalid_state(sequence: list[Any]) -> None:
    order = Order("o-1")
    stored: list[Any] = []
    for command in sequence:
        try:
            run(order, command)
        except OrderRefused as refusal:
            assert order.pending == ()  # a refusal records nothing but itself
            if command[0] in KINDS:
                order.refuse(KINDS[command[0]], uuid4(), "cust-42", refusal)
        for event in order.pending:
            envelope = new_envelope(
                event, aggregate_version=len(stored) + 1, producer="orders", correlation_id=uuid4()
            )
            stored.append(read_event(envelope))  # each event honours its contract
        order.mark_stored()
        check_invariants(order)
        rebuilt = Order.rehydrate("o-1", stored)
        assert (rebuilt.status, rebuilt.paid, rebuilt.refunded, rebuilt.version) == (
            order.status,
            order.paid,
            order.refunded,
            order.version,
        )
