"""The catalogue as it is published to the rest of the store (``CatalogueUpdated``).

Orders owns the catalogue file; the gateway shows it. Publishing it as an event keeps one
owner: what the storefront shows is what orders prices orders from. The aggregate remembers
the hash of what it last published, so a restart with an unchanged catalogue publishes
nothing, and an edited one publishes once (replicas racing at start lose to the first).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar

from allwan_contracts import CataloguePlan, CatalogueProduct, CatalogueUpdated
from allwan_contracts.base import Event
from allwan_runtime.aggregate import Aggregate

from allwan_orders.domain.catalogue import Catalogue
from allwan_orders.domain.pricing import to_halalas

STORE = "store"


def published_content(catalogue: Catalogue) -> CatalogueUpdated:
    """The event that publishes ``catalogue``; its hash covers exactly what it carries."""
    products = tuple(
        CatalogueProduct(
            product_id=product.id,
            name_ar=product.name_ar,
            name_en=product.name_en,
            plans=tuple(
                CataloguePlan(
                    plan_id=plan.id,
                    months=plan.months,
                    price_halalas=to_halalas(plan.price_sar),
                    max_quantity=plan.max_quantity,
                    retired=plan.retired,
                )
                for plan in product.plans
            ),
        )
        for product in catalogue.products
    )
    content = {
        "currency": "SAR",
        "vat_rate_percent": catalogue.vat_rate_percent,
        "products": [product.model_dump(mode="json") for product in products],
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    return CatalogueUpdated(
        content_hash=digest,
        currency="SAR",
        vat_rate_percent=catalogue.vat_rate_percent,
        products=products,
    )


class PublishedCatalogue(Aggregate):
    """What orders last published of its catalogue (stream ``catalogue:store``)."""

    aggregate_type: ClassVar[str] = "catalogue"
    event_classes: ClassVar[tuple[type[Event], ...]] = (CatalogueUpdated,)
    """What it records, on ``allwan.catalogue``."""

    def __init__(self, aggregate_id: str = STORE) -> None:
        super().__init__(aggregate_id)
        self.content_hash: str | None = None

    def publish(self, catalogue: Catalogue) -> bool:
        """Record ``CatalogueUpdated`` unless this very content was the last published."""
        event = published_content(catalogue)
        if event.content_hash == self.content_hash:
            return False
        self.record(event)
        return True

    def apply(self, event: Any) -> None:
        if isinstance(event, CatalogueUpdated):
            self.content_hash = event.content_hash
