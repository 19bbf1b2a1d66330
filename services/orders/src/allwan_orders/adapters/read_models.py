"""All read models rebuilt from the orders event store together (``allwan-orders rebuild``)."""

from __future__ import annotations

from typing import Any, ClassVar

from allwan_contracts.envelope import Envelope
from allwan_runtime.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase

from allwan_orders.adapters.customer_orders import CUSTOMER_ORDERS, CustomerOrders
from allwan_orders.adapters.customer_views import CUSTOMERS, CustomerViews
from allwan_orders.adapters.order_views import ORDERS, OrderViews


class ReadModels:
    """Orders, customers and each customer's orders, as one
    ``allwan_runtime.projection.Projection``.

    Policy versions are not here: they come from the policies topic, not this event store.
    """

    name: ClassVar[str] = "orders-read-models"
    collections: ClassVar[tuple[str, ...]] = (ORDERS, CUSTOMERS, CUSTOMER_ORDERS)

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.orders = OrderViews(db)
        self.customers = CustomerViews(db)
        self.customer_orders = CustomerOrders(db)

    async def __call__(self, envelope: Envelope, event: Any) -> None:
        if isinstance(event, OrderViews.event_classes):
            await self.orders(envelope, event)
        if isinstance(event, CustomerViews.event_classes):
            await self.customers(envelope, event)
        if isinstance(event, CustomerOrders.event_classes):
            await self.customer_orders(envelope, event)
