"""A1, T1: a Salla order refused at placement keeps that refusal as the one it shows.

Salla sends ``order.created`` and, right after, the payment (``order.payment.updated``) as two
deliveries that may be consumed in either order. Every read model shows an order's latest
``OrderRejected``, so the payment's refusal must name the reason that explains it: the
placement's.
"""

from __future__ import annotations

from typing import Any

import pytest
from allwan_contracts import OrderRejected, OrderRequestKind, RejectionReason
from allwan_orders.handlers.salla import handle_webhook
from structlog.testing import capture_logs

from tests.unit.orders.fakes import Orders, orders
from tests.unit.orders.salla_samples import order_event
from tests.unit.orders.test_salla_webhooks import ORDER, delivery

CREATED, PAID = order_event("order.created"), order_event("order.payment.updated")


def refusals(o: Orders) -> list[OrderRejected]:
    found = o.events(ORDER)
    assert all(isinstance(event, OrderRejected) for event in found), found
    return found


@pytest.mark.parametrize(
    "bodies", [(CREATED, PAID), (PAID, CREATED)], ids=["created-first", "payment-first"]
)
async def test_a1_a_salla_order_refused_for_age_shows_that_refusal_after_its_payment(
    bodies: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    o = orders()  # the default: the Salla checkout is not said to attest legal age
    for body in bodies:
        await o.handle(handle_webhook, await delivery(o.keys, body))

    placement, payment = refusals(o)
    assert (placement.request, placement.reason) == (
        OrderRequestKind.PLACE,
        RejectionReason.AGE_ATTESTATION_MISSING,
    )
    # The payment Salla took is still on record (staff refund it there), with the reason
    # that explains its refusal, so the latest refusal shown is the first one.
    assert (payment.request, payment.reason) == (
        OrderRequestKind.PAYMENT,
        RejectionReason.AGE_ATTESTATION_MISSING,
    )
    assert placement.message in payment.message


async def test_a1_a_redelivered_payment_of_a_refused_salla_order_is_refused_once() -> None:
    o = orders()
    paid = await delivery(o.keys, PAID)
    await o.handle(handle_webhook, await delivery(o.keys, CREATED))
    await o.handle(handle_webhook, paid)
    await o.handle(handle_webhook, paid)  # its key is shredded: nothing happens

    assert [event.request for event in refusals(o)] == [
        OrderRequestKind.PLACE,
        OrderRequestKind.PAYMENT,
    ]


async def test_a1_a_refused_salla_order_tells_the_operator_which_setting_turns_attestation_on() -> (
    None
):
    o = orders()
    with capture_logs() as logs:
        await o.handle(handle_webhook, await delivery(o.keys, CREATED))

    [hint] = [log for log in logs if log["event"] == "salla.order_without_age_attestation"]
    assert "ALLWAN_SALLA_CHECKOUT_ATTESTS_LEGAL_AGE=true" in hint["hint"]
    assert "Mohammed" not in str(hint)  # an order id, never the buyer's details


async def test_a1_a_store_whose_salla_checkout_attests_age_gets_no_refusal_and_no_hint() -> None:
    o = orders(salla_checkout_attests_legal_age=True)
    with capture_logs() as logs:
        for body in (CREATED, PAID):
            await o.handle(handle_webhook, await delivery(o.keys, body))

    assert o.types(ORDER) == ["OrderPlaced", "OrderPaid", "SubscriptionActivated"]
    assert not [log for log in logs if log["event"] == "salla.order_without_age_attestation"]
