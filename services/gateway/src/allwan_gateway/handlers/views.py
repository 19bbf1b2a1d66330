"""The gateway's read models, built from the events of the services that decide.

Every document is read by its ``_id`` (see README): an order by its id, a customer's consents
by the customer id, a policy version by ``privacy:v<n>``. Updates are applied once per
aggregate version (``apply_once``), so redelivery changes nothing. No personal data is
projected: the gateway shows ids, statuses, amounts and policy texts only (T2).

A customer's orders are an append-only list of slots ``<customer>#<n>`` claimed by insert
(the rule for FerretDB: conditional updates are not atomic there, inserts against ``_id``
are), plus a marker ``<customer>|<order>`` that makes indexing an order idempotent.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from allwan_contracts import (
    CatalogueUpdated,
    ConsentGranted,
    ConsentReconfirmationRequired,
    ConsentWithdrawn,
    CustomerErased,
    OrderCancelled,
    OrderExpired,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderRejected,
    OrderRequestKind,
    PolicyChanged,
    PolicyDocumentPublished,
    SubscriptionActivated,
)
from allwan_contracts.envelope import Envelope
from allwan_contracts.intake import OrderRequested

from allwan_gateway.handlers.ports import Document, Documents

ORDERS = "orders"
CUSTOMER_ORDERS = "customer_orders"
CONSENTS = "consents"
CONSENT_HISTORY = "consent_history"
POLICIES = "policies"
CATALOGUE = "catalogue"
CURRENT_POLICY = "privacy:current"
COLLECTIONS = (ORDERS, CUSTOMER_ORDERS, CONSENTS, CONSENT_HISTORY, POLICIES, CATALOGUE)


def slot_id(customer_id: str, n: int) -> str:
    return f"{customer_id}#{n:06d}"


class CustomerOrders:
    """Each customer's orders as slots ``<customer>#<n>``, claimed by insert.

    The next free slot of recently seen customers is remembered (a hint: a stale one costs a
    few refused inserts, never a gap), so listing one more order is one insert, not a walk.
    """

    _PAGE = 50

    def __init__(self, documents: Documents, remember: int = 100_000) -> None:
        self._documents = documents
        self._next: OrderedDict[str, int] = OrderedDict()
        self._remember = remember

    def _hint(self, customer_id: str, n: int) -> None:
        self._next[customer_id] = max(n, self._next.pop(customer_id, 0))
        if len(self._next) > self._remember:
            self._next.popitem(last=False)

    async def add(self, customer_id: str, order_id: str, *, surely_new: bool = False) -> None:
        """List ``order_id`` among the customer's orders, once (``surely_new``: the caller
        knows it is not listed yet, which saves a read)."""
        marker = f"{customer_id}|{order_id}"
        if not surely_new and await self._documents.get(CUSTOMER_ORDERS, marker) is not None:
            return
        n = self._next.get(customer_id, 0)
        while not await self._documents.insert(
            CUSTOMER_ORDERS, {"_id": slot_id(customer_id, n), "order_id": order_id}
        ):
            n += 1
        self._hint(customer_id, n + 1)
        # A crash before the marker lists the order twice at worst; readers drop repeats.
        await self._documents.insert(CUSTOMER_ORDERS, {"_id": marker})

    async def order_ids(self, customer_id: str) -> list[str]:
        """The customer's order ids in the order they were first seen, each once."""
        found: list[str] = []
        n = 0
        while True:
            ids = [slot_id(customer_id, n + i) for i in range(self._PAGE)]
            slots = await self._documents.get_many(CUSTOMER_ORDERS, ids)
            taken = [slot["order_id"] for slot in slots if slot is not None]
            found += taken
            if len(taken) < self._PAGE:
                self._hint(customer_id, n + len(taken))
                return list(dict.fromkeys(found))
            n += self._PAGE


def pending_order(order_id: str, customer_id: str, request: Any, at: Any) -> Document:
    """An order the gateway recorded and orders has not decided yet (version 0)."""
    return {
        "_id": order_id,
        "_v": 0,
        "customer_id": customer_id,
        "status": "pending",
        "plan_id": request.plan_id,
        "quantity": request.quantity,
        "requested_at": at,
    }


def order_fields(envelope: Envelope, event: Any) -> Document:  # noqa: PLR0911 - one arm each
    """What one order event says about the order, as ``$set`` fields."""
    at = envelope.occurred_at
    match event:
        case OrderPlaced():
            return {
                "status": "placed",
                "customer_id": event.customer_id,
                "plan_id": event.plan_id,
                "quantity": event.quantity,
                "total_halalas": event.total_halalas,
                "currency": event.currency,
                "placed_at": at,
            }
        case OrderRejected():
            rejection = {"request": event.request.value, "reason": event.reason.value}
            fields: Document = {"rejection": rejection | {"message": event.message, "at": at}}
            if event.request is OrderRequestKind.PLACE:
                fields |= {"status": "rejected", "customer_id": event.customer_id}
            return fields
        case OrderPaid():
            return {"status": "paid", "paid_halalas": event.amount_halalas, "paid_at": at}
        case SubscriptionActivated():
            return {"status": "active", "starts_at": event.starts_at, "ends_at": event.ends_at}
        case OrderCancelled():
            return {"status": "cancelled", "cancelled_at": at}
        case OrderRefunded():
            # Keyed by version, a safe field name; the reader adds them up.
            return {f"refunds.{envelope.aggregate_version}": event.refund_halalas}
        case OrderExpired():
            return {"status": "expired", "expired_at": at}
    return {}


def consent_fields(envelope: Envelope, event: Any) -> Document:
    """What one ledger event says about the customer's purposes (K2, K3, CK1)."""
    match event:
        case ConsentGranted() | ConsentWithdrawn():
            granted = isinstance(event, ConsentGranted)
            state = {
                "status": "granted" if granted else "withdrawn",
                "policy_version": event.policy_version,
                "reconfirm_for": None,
                "channel": event.channel.value,
                "changed_at": envelope.occurred_at,
            }
            return {f"purposes.{event.purpose.value}": state}
        case ConsentReconfirmationRequired():
            state = {
                "status": "reconfirmation_required",
                "policy_version": event.granted_under_version,
                "reconfirm_for": event.policy_version,
                "channel": None,
                "changed_at": envelope.occurred_at,
            }
            return {f"purposes.{event.purpose.value}": state}
        case CustomerErased():
            return {"erased": True, "erased_at": event.erased_at}
    return {}


def proof_entry(envelope: Envelope, event: Any) -> Document:
    """One entry of the customer's consent proof (K3): what, how, under which version."""
    entry: Document = event.model_dump(mode="json", exclude={"customer_id"})
    return entry | {"event_type": envelope.event_type, "occurred_at": envelope.occurred_at}


class Projector:
    """The gateway's projection handlers; ``on_order`` hears of every order change (the
    synchronous answer to ``POST /v1/orders`` waits on it)."""

    def __init__(
        self,
        documents: Documents,
        customer_orders: CustomerOrders,
        on_order: Callable[[str], None] = lambda _: None,
    ) -> None:
        self._documents = documents
        self._customer_orders = customer_orders
        self._on_order = on_order

    async def order(self, envelope: Envelope, event: Any) -> None:
        fields = order_fields(envelope, event)
        if not fields:
            return
        documents, order_id = self._documents, envelope.aggregate_id
        await documents.apply_once(ORDERS, order_id, envelope.aggregate_version, fields)
        if "customer_id" in fields:
            await self._customer_orders.add(fields["customer_id"], order_id)
        self._on_order(order_id)

    async def intake(self, envelope: Envelope, event: Any) -> None:
        """The gateway's own ``OrderRequested`` (rebuild): the order as pending, listed."""
        if isinstance(event, OrderRequested):
            order = pending_order(event.order_id, event.customer_id, event, envelope.occurred_at)
            await self._documents.insert(ORDERS, order)
            await self._customer_orders.add(event.customer_id, event.order_id)

    async def consent(self, envelope: Envelope, event: Any) -> None:
        if envelope.aggregate_type != "customer":
            return  # CustomerContactChanged: the gateway keeps no contact details
        fields = consent_fields(envelope, event)
        if not fields:
            return
        customer, version = envelope.aggregate_id, envelope.aggregate_version
        entry = proof_entry(envelope, event) | {"customer_id": customer, "version": version}
        await self._documents.apply_once(CONSENT_HISTORY, f"{customer}@{version}", version, entry)
        await self._documents.apply_once(CONSENTS, customer, version, fields)

    async def policy(self, envelope: Envelope, event: Any) -> None:
        version = envelope.aggregate_version
        if isinstance(event, PolicyDocumentPublished):
            fields = event.model_dump(mode="json", include={"version", "text_ar", "text_en"})
            fields["contact"] = event.contact.model_dump(mode="json")
        elif isinstance(event, PolicyChanged):
            fields = event.model_dump(
                mode="json", include={"version", "material", "summary_ar", "summary_en", "url"}
            )
            fields |= {"effective_at": event.effective_at, "published_at": envelope.occurred_at}
        else:
            return
        await self._documents.apply_once(POLICIES, f"privacy:v{event.version}", version, fields)
        if isinstance(event, PolicyChanged):
            # PC1: served from the moment its PolicyChanged is projected, texts already in.
            await self._documents.apply_once(
                POLICIES, CURRENT_POLICY, version, {"version": event.version}
            )

    async def catalogue(self, envelope: Envelope, event: Any) -> None:
        if not isinstance(event, CatalogueUpdated):
            return
        fields = event.model_dump(mode="json", exclude={"catalogue_id"})
        fields["updated_at"] = envelope.occurred_at
        await self._documents.apply_once(
            CATALOGUE, event.catalogue_id, envelope.aggregate_version, fields
        )
