"""The orders the API shows, in the gateway's own database: each order by its id, each
customer's list of orders, and the orders the gateway recorded that orders has not decided.

A customer's orders are an append-only list of slots ``<customer>#<n>`` claimed by insert
(``allwan_runtime.customer_lists``: conditional updates are not atomic on FerretDB, inserts
against ``_id`` are), plus a marker ``<customer>|<order>`` that makes indexing an order
idempotent.

The projection (``project_order``) applies each order event once per aggregate version and
projects nothing personal (T2); whether an order is fully refunded is what orders decided
(``OrderRefunded.fully_refunded``), never added up here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from allwan_contracts import Event
from allwan_contracts import orders as decided
from allwan_contracts.envelope import Envelope
from allwan_contracts.intake import OrderRequested
from allwan_runtime.customer_lists import CustomerList
from allwan_runtime.mongo import Document

from allwan_gateway.handlers.ports import Documents, PendingOrder

ORDERS = "orders"
CUSTOMER_ORDERS = "customer_orders"
FINGERPRINT = "_fingerprint"


class CustomerOrders(CustomerList):
    """Each customer's orders as slots ``<customer>#<n>`` (``customer_lists`` of the runtime)."""

    def __init__(self, documents: Documents, remember: int = 100_000) -> None:
        super().__init__(documents, CUSTOMER_ORDERS, "order_id", remember)

    async def order_ids(self, customer_id: str) -> list[str]:
        """The customer's order ids in the order they were first seen, each once."""
        return await self.ids(customer_id)


def pending_document(order: PendingOrder) -> Document:
    """An order the gateway recorded and orders has not decided yet (version 0)."""
    return {
        "_id": order.order_id,
        "_v": 0,
        "customer_id": order.customer_id,
        "status": "pending",
        "plan_id": order.plan_id,
        "quantity": order.quantity,
        "requested_at": order.requested_at,
    }


@dataclass
class OrderViews:
    """The order views and the customers' lists; ``on_order`` hears of every order change
    (the synchronous answer to ``POST /v1/orders`` waits on it)."""

    documents: Documents
    customer_orders: CustomerOrders
    on_order: Callable[[str], None] = field(default=lambda _: None)

    async def add(self, order: PendingOrder, fingerprint: str) -> bool:
        """``handlers.ports.PendingOrders``: the order as pending, with the fingerprint of
        its request, listed for its customer before its event is stored."""
        document = pending_document(order) | {FINGERPRINT: fingerprint}
        if not await self.documents.insert(ORDERS, document):
            return False
        await self.customer_orders.add(order.customer_id, order.order_id, surely_new=True)
        return True

    async def same_request(self, order_id: str, fingerprint: str) -> bool:
        earlier = await self.documents.get(ORDERS, order_id)
        # An order known without a fingerprint came back from a rebuild: take it as a retry.
        return earlier is not None and earlier.get(FINGERPRINT, fingerprint) == fingerprint


def order_fields(envelope: Envelope, event: Event) -> Document:  # noqa: PLR0911 - one arm each
    """What one order event says about the order, as ``$set`` fields."""
    at = envelope.occurred_at
    match event:
        case decided.OrderPlaced():
            return {
                "status": "placed",
                "customer_id": event.customer_id,
                "plan_id": event.plan_id,
                "quantity": event.quantity,
                "total_halalas": event.total_halalas,
                "currency": event.currency,
                "placed_at": at,
            }
        case decided.OrderRejected():
            rejection = {"request": event.request.value, "reason": event.reason.value}
            fields: Document = {"rejection": rejection | {"message": event.message, "at": at}}
            if event.request is decided.OrderRequestKind.PLACE:
                fields |= {"status": "rejected", "customer_id": event.customer_id}
            return fields
        case decided.OrderPaid():
            return {"status": "paid", "paid_halalas": event.amount_halalas, "paid_at": at}
        case decided.SubscriptionActivated():
            return {"status": "active", "starts_at": event.starts_at, "ends_at": event.ends_at}
        case decided.OrderCancelled():
            return {"status": "cancelled", "cancelled_at": at}
        case decided.OrderRefunded():
            # Keyed by version, a safe field name: the amount refunded shows their sum.
            refund: Document = {f"refunds.{envelope.aggregate_version}": event.refund_halalas}
            return refund | ({"status": "refunded"} if event.fully_refunded else {})
        case decided.OrderExpired():
            return {"status": "expired", "expired_at": at}
    return {}


async def project_order(event: Event, envelope: Envelope, views: OrderViews) -> None:
    """Apply one of orders' decisions to the order's view, once per version, and wake the
    requests waiting for it."""
    fields = order_fields(envelope, event)
    if not fields:
        return
    order_id = envelope.aggregate_id
    await views.documents.apply_once(ORDERS, order_id, envelope.aggregate_version, fields)
    if "customer_id" in fields:
        await views.customer_orders.add(fields["customer_id"], order_id)
    views.on_order(order_id)


async def project_intake(event: Event, envelope: Envelope, views: OrderViews) -> None:
    """The gateway's own ``OrderRequested`` (rebuild): the order as pending, listed."""
    if isinstance(event, OrderRequested):
        order = PendingOrder(
            event.order_id, event.customer_id, event.plan_id, event.quantity, envelope.occurred_at
        )
        await views.documents.insert(ORDERS, pending_document(order))
        await views.customer_orders.add(event.customer_id, event.order_id)
