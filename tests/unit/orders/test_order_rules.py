"""The order's rules, straight on the aggregate: what is recorded and what is refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from allwan_contracts import (
    CancellationReason,
    ExpiryReason,
    OrderPlaced,
    OrderRequestKind,
    RefundReason,
    RejectionReason,
)
from allwan_contracts.intake import OrderRequested, OrderSource, PaymentReported, RefundRequested
from allwan_orders.domain.ending import cancel, expire, refund
from allwan_orders.domain.errors import OrderRefused
from allwan_orders.domain.order import Order
from allwan_orders.domain.payment import activate, pay
from allwan_orders.domain.placing import place
from allwan_orders.domain.status import OrderStatus

from tests.unit.contracts.factories import contact
from tests.unit.orders.fakes import CATALOGUE, NOW

PLAN = CATALOGUE.plan("shahid-vip-1m")


def request(**overrides: Any) -> OrderRequested:
    fields: dict[str, Any] = {
        "order_id": "o-1",
        "customer_id": "cust-42",
        "requested_by": "customer",
        "plan_id": "shahid-vip-1m",
        "quantity": 1,
        "contact": contact(),
        "age_attestation": "legal_age",
        "payment_token": "tok_1",
        "locale": "ar",
        "source": OrderSource.STOREFRONT,
    }
    return OrderRequested(**(fields | overrides))


def paid(**overrides: Any) -> PaymentReported:
    fields: dict[str, Any] = {
        "order_id": "o-1",
        "customer_id": "cust-42",
        "requested_by": "service:gateway",
        "payment_reference": "pay_1",
        "amount_halalas": 2990,
    }
    return PaymentReported(**(fields | overrides))


def refunded(amount: int = 2990, reference: str = "rf_1") -> RefundRequested:
    return RefundRequested(
        order_id="o-1",
        customer_id="cust-42",
        requested_by="staff:7",
        reason=RefundReason.GOODWILL,
        refund_halalas=amount,
        refund_reference=reference,
    )


def placed() -> Order:
    order = Order("o-1")
    place(order, request(), PLAN, 15, policy_version=3)
    return order


def active() -> Order:
    order = placed()
    pay(order, paid())
    activate(order, NOW, 1, "dlv-1")
    return order


def status_of(order: Order) -> OrderStatus:
    return order.status


def refused(reason: RejectionReason, action: Any, *args: Any) -> None:
    with pytest.raises(OrderRefused) as caught:
        action(*args)
    assert caught.value.reason is reason


def test_k1_placing_records_the_policy_version_in_force_and_prices_with_vat() -> None:
    order = placed()
    [event] = order.collect()
    assert isinstance(event, OrderPlaced)
    assert event.policy_version == 3
    assert (event.unit_price_halalas, event.vat_halalas, event.total_halalas) == (2600, 390, 2990)
    assert order.status is OrderStatus.PLACED


def test_k2_marketing_is_off_unless_the_buyer_opts_in() -> None:
    [silent] = placed().collect()
    keen = Order("o-2")
    place(keen, request(order_id="o-2", marketing_opt_in=True), PLAN, 15, 3)
    [opted] = keen.collect()
    assert isinstance(silent, OrderPlaced)
    assert isinstance(opted, OrderPlaced)
    assert (silent.marketing_opt_in, opted.marketing_opt_in) == (False, True)


def test_a1_an_order_without_an_age_or_guardian_attestation_is_refused() -> None:
    refused(
        RejectionReason.AGE_ATTESTATION_MISSING,
        place,
        Order("o-1"),
        request(age_attestation=None),
        PLAN,
        15,
        1,
    )


def test_a1_guardian_consent_is_enough_to_order() -> None:
    order = Order("o-1")
    place(order, request(age_attestation="guardian_consent"), PLAN, 15, 1)
    assert order.status is OrderStatus.PLACED


@pytest.mark.parametrize(
    ("overrides", "plan", "reason"),
    [
        ({}, None, RejectionReason.UNKNOWN_PLAN),
        ({}, PLAN.model_copy(update={"retired": True}) if PLAN else None, "plan_unavailable"),
        ({"quantity": 6}, PLAN, RejectionReason.QUANTITY_NOT_ALLOWED),
    ],
    ids=["unknown-plan", "retired-plan", "too-many"],
)
def test_placing_refuses_what_the_catalogue_does_not_sell(
    overrides: dict[str, Any], plan: Any, reason: str
) -> None:
    refused(RejectionReason(reason), place, Order("o-1"), request(**overrides), plan, 15, 1)


def test_placing_the_same_order_twice_records_it_once() -> None:
    order = placed()
    order.collect()
    place(order, request(quantity=3), PLAN, 15, 1)
    assert order.collect() == []


def test_paying_activates_for_the_plans_months() -> None:
    order = active()
    assert order.status is OrderStatus.ACTIVE
    assert order.ends_at == NOW.replace(month=4)


@pytest.mark.parametrize(
    ("setup", "request_", "reason"),
    [
        (lambda: Order("o-1"), paid(), RejectionReason.ORDER_NOT_FOUND),
        (placed, paid(customer_id="someone-else"), RejectionReason.CUSTOMER_MISMATCH),
        (placed, paid(amount_halalas=100), RejectionReason.AMOUNT_MISMATCH),
        (active, paid(payment_reference="pay_2"), RejectionReason.INVALID_TRANSITION),
    ],
    ids=["unknown-order", "other-customer", "wrong-amount", "paid-twice-differently"],
)
def test_refused_payments(setup: Any, request_: PaymentReported, reason: RejectionReason) -> None:
    refused(reason, pay, setup(), request_)


def test_a_payment_reported_again_changes_nothing() -> None:
    order = active()
    order.collect()
    pay(order, paid())
    assert order.collect() == []


def test_cancelling_an_active_order_owes_back_what_was_paid() -> None:
    order = active()
    order.collect()
    cancel(order, "cust-42", CancellationReason.CUSTOMER_REQUEST)
    [event] = order.collect()
    assert event.refund_halalas == 2990
    assert order.status is OrderStatus.CANCELLED


def test_cancelling_twice_is_once() -> None:
    order = placed()
    cancel(order, "cust-42", CancellationReason.CUSTOMER_REQUEST)
    order.collect()
    cancel(order, "cust-42", CancellationReason.CUSTOMER_REQUEST)
    assert order.collect() == []


def _expired() -> Order:
    order = placed()
    expire(order, NOW, ExpiryReason.PAYMENT_TIMEOUT, placed_at=NOW - timedelta(hours=2))
    return order


def _refunded() -> Order:
    order = active()
    refund(order, refunded())
    return order


@pytest.mark.parametrize("setup", [_expired, _refunded], ids=["expired", "refunded"])
def test_an_ended_order_cannot_be_cancelled(setup: Any) -> None:
    refused(
        RejectionReason.INVALID_TRANSITION,
        cancel,
        setup(),
        "cust-42",
        CancellationReason.CUSTOMER_REQUEST,
    )


def test_an_expired_unpaid_order_cannot_be_paid() -> None:
    refused(RejectionReason.INVALID_TRANSITION, pay, _expired(), paid())


def test_refunds_never_exceed_the_payment_and_a_full_refund_ends_the_order() -> None:
    order = active()
    refused(RejectionReason.INVALID_TRANSITION, refund, placed(), refunded())
    refused(RejectionReason.REFUND_EXCEEDS_PAYMENT, refund, order, refunded(2991))
    refund(order, refunded(1000, "rf_a"))
    assert status_of(order) is OrderStatus.ACTIVE
    refund(order, refunded(1000, "rf_a"))  # the same refund again
    refused(RejectionReason.REFUND_EXCEEDS_PAYMENT, refund, order, refunded(1991, "rf_b"))
    refund(order, refunded(1990, "rf_b"))
    assert status_of(order) is OrderStatus.REFUNDED
    assert order.refunded == 2990


def test_a_subscription_expires_only_once_its_end_has_passed() -> None:
    order = active()
    assert order.ends_at is not None
    refused(
        RejectionReason.INVALID_TRANSITION,
        expire,
        order,
        order.ends_at - timedelta(seconds=1),
        ExpiryReason.SUBSCRIPTION_ENDED,
    )
    expire(order, order.ends_at, ExpiryReason.SUBSCRIPTION_ENDED)
    assert order.status is OrderStatus.EXPIRED


def test_an_unpaid_order_expires_only_after_the_payment_timeout() -> None:
    order = placed()
    recent = NOW - timedelta(minutes=59)
    refused(
        RejectionReason.INVALID_TRANSITION,
        lambda: expire(order, NOW, ExpiryReason.PAYMENT_TIMEOUT, placed_at=recent),
    )
    refused(
        RejectionReason.INVALID_TRANSITION,
        lambda: expire(
            active(), NOW, ExpiryReason.PAYMENT_TIMEOUT, placed_at=NOW - timedelta(days=9)
        ),
    )


def test_activation_needs_a_paid_order() -> None:
    refused(RejectionReason.INVALID_TRANSITION, activate, placed(), NOW, 1, "dlv-1")


def test_a_refused_placement_takes_the_order_id_and_is_recorded_once() -> None:
    order = Order("o-1")
    request_id = uuid4()
    refusal = OrderRefused(RejectionReason.AGE_ATTESTATION_MISSING, "An attestation (A1).")
    order.refuse(OrderRequestKind.PLACE, request_id, "cust-42", refusal)
    order.refuse(OrderRequestKind.PLACE, request_id, "cust-42", refusal)
    assert len(order.collect()) == 1
    assert order.status is OrderStatus.REJECTED
    place(order, request(), PLAN, 15, 1)
    assert order.collect() == []
    refused(RejectionReason.AGE_ATTESTATION_MISSING, pay, order, paid())
    refused(RejectionReason.ORDER_NOT_FOUND, pay, order, paid(customer_id="someone-else"))
