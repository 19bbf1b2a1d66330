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
from allwan_orders.domain.errors import OrderRefused
from allwan_orders.domain.order import Order
from allwan_orders.domain.placing import OpenedContact, fields_to_open
from allwan_orders.domain.status import OrderStatus

from tests.unit.contracts.factories import contact, sealed
from tests.unit.orders.fakes import CATALOGUE, NOW

PLAN = CATALOGUE.plan("shahid-vip-1m")
CONTACT = OpenedContact({"name": "Sara Al-Harbi", "email": "sara@example.com"})


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


def place(order: Order, request: OrderRequested, plan: Any, vat: int, policy: int) -> bool:
    return order.place(request, CONTACT, plan, vat_rate_percent=vat, policy_version=policy)


def placed() -> Order:
    order = Order("o-1")
    place(order, request(), PLAN, 15, policy=3)
    return order


def active() -> Order:
    order = placed()
    order.pay(paid())
    order.activate(NOW, 1, "dlv-1")
    return order


def status_of(order: Order) -> OrderStatus:
    return order.status


def refused(reason: RejectionReason, action: Any, *args: Any, **kwargs: Any) -> None:
    """``action`` refuses for ``reason``, and the order it was asked of records nothing."""
    target = getattr(action, "__self__", None)
    order = (
        target
        if isinstance(target, Order)
        else next((arg for arg in args if isinstance(arg, Order)), None)
    )
    before = order.pending if order is not None else ()
    with pytest.raises(OrderRefused) as caught:
        action(*args, **kwargs)
    assert caught.value.reason is reason
    if order is not None:
        assert order.pending == before


def test_k1_placing_records_the_policy_version_in_force_and_prices_with_vat() -> None:
    order = placed()
    [event] = order.pending
    assert isinstance(event, OrderPlaced)
    assert event.policy_version == 3
    assert (event.unit_price_halalas, event.vat_halalas, event.total_halalas) == (2600, 390, 2990)
    assert order.status is OrderStatus.PLACED


def test_k2_marketing_is_off_unless_the_buyer_opts_in() -> None:
    [silent] = placed().pending
    keen = Order("o-2")
    place(keen, request(order_id="o-2", marketing_opt_in=True), PLAN, 15, 3)
    [opted] = keen.pending
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


def test_t2_placing_opens_only_a_contact_sealed_wholly_under_the_customers_key() -> None:
    mine = contact().model_copy(update={"billing_address": None})
    mine = mine.model_copy(update={f: sealed("cust-42") for f in ("name", "email", "phone")})
    assert set(fields_to_open(request(contact=mine))) == {"name", "email", "phone"}
    theirs = mine.model_copy(update={"phone": sealed("someone-else")})
    refused(RejectionReason.CUSTOMER_MISMATCH, fields_to_open, request(contact=theirs))


def test_t2_a_contact_sealed_under_a_later_generation_of_the_customers_key_is_theirs() -> None:
    kids = {
        "name": "cust-42.2",
        "email": "cust-42.2",
        "phone": "cust-42",
        "billing_address": "cust-42",
    }
    rotated = contact().model_copy(update={f: sealed(kid) for f, kid in kids.items()})
    assert set(fields_to_open(request(contact=rotated))) == set(kids)
    lookalike = rotated.model_copy(update={"email": sealed("cust-42.x")})
    refused(RejectionReason.CUSTOMER_MISMATCH, fields_to_open, request(contact=lookalike))


def test_an_erased_customers_order_is_refused_before_any_other_rule() -> None:
    gone = OpenedContact(dict.fromkeys(("name", "email"), "[erased]"), erased=True)
    order = Order("o-1")
    refused(
        RejectionReason.CUSTOMER_ERASED,
        order.place,
        request(age_attestation=None),
        gone,
        PLAN,
        vat_rate_percent=15,
        policy_version=1,
    )


def test_placing_the_same_order_twice_records_it_once() -> None:
    order = placed()
    order.mark_stored()
    assert not place(order, request(quantity=3), PLAN, 15, 1)
    assert order.pending == ()


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
    refused(reason, setup().pay, request_)


def test_a_payment_reported_again_changes_nothing() -> None:
    order = active()
    order.mark_stored()
    assert not order.pay(paid())
    assert order.pending == ()


def test_cancelling_an_active_order_owes_back_what_was_paid() -> None:
    order = active()
    order.mark_stored()
    order.cancel("cust-42", CancellationReason.CUSTOMER_REQUEST)
    [event] = order.pending
    assert event.refund_halalas == 2990
    assert order.status is OrderStatus.CANCELLED


def test_cancelling_twice_is_once() -> None:
    order = placed()
    order.cancel("cust-42", CancellationReason.CUSTOMER_REQUEST)
    order.mark_stored()
    assert not order.cancel("cust-42", CancellationReason.CUSTOMER_REQUEST)
    assert order.pending == ()


def _expired() -> Order:
    order = placed()
    order.expire(NOW, ExpiryReason.PAYMENT_TIMEOUT, placed_at=NOW - timedelta(hours=2))
    return order


def _refunded() -> Order:
    order = active()
    order.refund(refunded())
    return order


@pytest.mark.parametrize("setup", [_expired, _refunded], ids=["expired", "refunded"])
def test_an_ended_order_cannot_be_cancelled(setup: Any) -> None:
    refused(
        RejectionReason.INVALID_TRANSITION,
        setup().cancel,
        "cust-42",
        CancellationReason.CUSTOMER_REQUEST,
    )


def test_an_expired_unpaid_order_cannot_be_paid() -> None:
    refused(RejectionReason.INVALID_TRANSITION, _expired().pay, paid())


def test_refunds_never_exceed_the_payment_and_a_full_refund_ends_the_order() -> None:
    order = active()
    refused(RejectionReason.INVALID_TRANSITION, placed().refund, refunded())
    refused(RejectionReason.REFUND_EXCEEDS_PAYMENT, order.refund, refunded(2991))
    order.refund(refunded(1000, "rf_a"))
    assert status_of(order) is OrderStatus.ACTIVE
    assert not order.refund(refunded(1000, "rf_a"))  # the same refund again
    refused(RejectionReason.REFUND_EXCEEDS_PAYMENT, order.refund, refunded(1991, "rf_b"))
    order.refund(refunded(1990, "rf_b"))
    assert status_of(order) is OrderStatus.REFUNDED
    assert order.refunded == 2990
    partial, full = order.pending[-2:]
    assert (partial.fully_refunded, full.fully_refunded) == (False, True)


def test_a_subscription_expires_only_once_its_end_has_passed() -> None:
    order = active()
    assert order.ends_at is not None
    refused(
        RejectionReason.INVALID_TRANSITION,
        order.expire,
        order.ends_at - timedelta(seconds=1),
        ExpiryReason.SUBSCRIPTION_ENDED,
    )
    order.expire(order.ends_at, ExpiryReason.SUBSCRIPTION_ENDED)
    assert order.status is OrderStatus.EXPIRED


def test_an_unpaid_order_expires_only_after_the_payment_timeout() -> None:
    order = placed()
    recent = NOW - timedelta(minutes=59)
    refused(
        RejectionReason.INVALID_TRANSITION,
        lambda: order.expire(NOW, ExpiryReason.PAYMENT_TIMEOUT, placed_at=recent),
    )
    refused(
        RejectionReason.INVALID_TRANSITION,
        lambda: active().expire(
            NOW, ExpiryReason.PAYMENT_TIMEOUT, placed_at=NOW - timedelta(days=9)
        ),
    )


def test_activation_needs_a_paid_order() -> None:
    refused(RejectionReason.INVALID_TRANSITION, placed().activate, NOW, 1, "dlv-1")


def test_a_refused_placement_takes_the_order_id_and_is_recorded_once() -> None:
    order = Order("o-1")
    request_id = uuid4()
    refusal = OrderRefused(RejectionReason.AGE_ATTESTATION_MISSING, "An attestation (A1).")
    order.refuse(OrderRequestKind.PLACE, request_id, "cust-42", refusal)
    order.refuse(OrderRequestKind.PLACE, request_id, "cust-42", refusal)
    assert [type(event).__name__ for event in order.pending] == ["OrderRejected"]
    order.mark_stored()
    assert order.status is OrderStatus.REJECTED
    place(order, request(), PLAN, 15, 1)
    assert order.pending == ()
    refused(RejectionReason.AGE_ATTESTATION_MISSING, order.pay, paid())
    refused(RejectionReason.ORDER_NOT_FOUND, order.pay, paid(customer_id="someone-else"))
