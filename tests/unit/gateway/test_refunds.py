"""A refunded order as the API shows it: the amount refunded so far, and ``refunded`` once
orders says the order is fully refunded (``OrderRefunded.fully_refunded``), never re-derived
by adding refunds up against what the gateway happened to see paid."""

from __future__ import annotations

from allwan_contracts import OrderRefunded
from allwan_contracts.orders import RefundReason

from tests.unit.gateway.fakes import Harness
from tests.unit.gateway.seed import deliver, paid, placed


def refunded(order_id: str, amount: int, *, fully: bool) -> OrderRefunded:
    return OrderRefunded(
        order_id=order_id,
        customer_id="c-1",
        reason=RefundReason.CUSTOMER_REQUEST,
        refund_halalas=amount,
        currency="SAR",
        refund_reference=f"rf_{amount}",
        fully_refunded=fully,
    )


async def test_a_partial_refund_shows_its_amount_and_keeps_the_status(gw: Harness) -> None:
    await deliver(gw.gateway, placed("o-1", "c-1"), 1)
    await deliver(gw.gateway, paid("o-1", "c-1"), 2)
    await deliver(gw.gateway, refunded("o-1", 1000, fully=False), 3)

    order = await gw.gateway.queries.order("o-1")
    assert order is not None
    assert (order["status"], order["refunded_halalas"]) == ("paid", 1000)


async def test_the_order_reads_refunded_when_orders_says_it_is_fully_refunded(
    gw: Harness,
) -> None:
    # The payment is older than what the gateway's views reach (a rebuild reads the orders
    # topic only as far back as its retention): only orders knows the refunds cover it.
    await deliver(gw.gateway, placed("o-1", "c-1"), 1)
    await deliver(gw.gateway, refunded("o-1", 1000, fully=False), 3)
    await deliver(gw.gateway, refunded("o-1", 1990, fully=True), 4)

    order = await gw.gateway.queries.order("o-1")
    assert order is not None
    assert (order["status"], order["refunded_halalas"]) == ("refunded", 2990)
