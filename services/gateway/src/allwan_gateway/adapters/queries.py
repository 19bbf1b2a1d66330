"""What the API shows, read from the gateway's own read models by ``_id`` only."""

from __future__ import annotations

from typing import Any

from allwan_runtime.mongo import Document

from allwan_gateway.adapters.order_views import ORDERS, CustomerOrders
from allwan_gateway.adapters.views import (
    CATALOGUE,
    CONSENT_HISTORY,
    CONSENTS,
    CURRENT_POLICY,
    POLICIES,
)
from allwan_gateway.handlers.ports import Documents


def _public(document: Document) -> Document:
    return {key: value for key, value in document.items() if not key.startswith("_")}


def order_view(document: Document) -> Document:
    """An order as the API shows it, with the amount refunded so far. Its status is the one
    orders decided: ``refunded`` once orders says it is fully refunded."""
    view = _public(document)
    view["order_id"] = document["_id"]
    refunds: dict[str, Any] = view.pop("refunds", None) or {}
    if refunds:
        view["refunded_halalas"] = sum(refunds.values())
    return view


class Queries:
    def __init__(self, documents: Documents, customer_orders: CustomerOrders) -> None:
        self._documents = documents
        self._customer_orders = customer_orders

    async def order(self, order_id: str) -> Document | None:
        found = await self._documents.get(ORDERS, order_id)
        return None if found is None else order_view(found)

    async def customer_orders(self, customer_id: str) -> list[Document]:
        """The customer's orders in the order they were first seen."""
        unique = await self._customer_orders.order_ids(customer_id)
        found = await self._documents.get_many(ORDERS, unique)
        return [order_view(document) for document in found if document is not None]

    async def consents(self, customer_id: str) -> Document:
        found = await self._documents.get(CONSENTS, customer_id) or {}
        return {
            "customer_id": customer_id,
            "purposes": found.get("purposes", {}),
            "erased": bool(found.get("erased", False)),
        }

    async def consent_proof(self, customer_id: str) -> list[Document]:
        """Every grant, withdrawal, suspension and erasure of the customer, oldest first."""
        found = await self._documents.get(CONSENTS, customer_id)
        if found is None:
            return []
        ids = [f"{customer_id}@{version}" for version in range(1, int(found["_v"]) + 1)]
        entries = await self._documents.get_many(CONSENT_HISTORY, ids)
        return [_public(entry) for entry in entries if entry is not None]

    async def policy(self, version: int | None = None) -> Document | None:
        """A published version, the one in force when ``version`` is None (PC1)."""
        current = await self._documents.get(POLICIES, CURRENT_POLICY)
        if current is None or (version is not None and not 1 <= version <= current["version"]):
            return None
        found = await self._documents.get(POLICIES, f"privacy:v{version or current['version']}")
        return None if found is None or "published_at" not in found else _public(found)

    async def policy_history(self) -> list[Document]:
        """Every published version, oldest first, without the texts."""
        current = await self._documents.get(POLICIES, CURRENT_POLICY)
        if current is None:
            return []
        ids = [f"privacy:v{version}" for version in range(1, current["version"] + 1)]
        versions = await self._documents.get_many(POLICIES, ids)
        return [
            {k: v for k, v in _public(found).items() if k not in {"text_ar", "text_en"}}
            for found in versions
            if found is not None and "published_at" in found
        ]

    async def catalogue(self) -> Document | None:
        found = await self._documents.get(CATALOGUE, "store")
        return None if found is None else _public(found)
