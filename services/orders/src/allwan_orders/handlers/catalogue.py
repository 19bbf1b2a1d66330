"""Publish the catalogue at start when its content changed (the gateway shows it)."""

from __future__ import annotations

import uuid

import structlog
from allwan_runtime.eventstore import ConcurrencyConflict
from allwan_runtime.repository import AggregateRepository

from allwan_orders.domain.catalogue import Catalogue
from allwan_orders.domain.published_catalogue import STORE, PublishedCatalogue

log = structlog.get_logger(__name__)


async def publish_catalogue(
    catalogue: Catalogue, published: AggregateRepository[PublishedCatalogue], attempts: int = 5
) -> bool:
    """Record ``CatalogueUpdated`` if the catalogue differs from the last one published.

    Replicas starting together race for the stream: the loser reloads and finds the
    content already published. True if this call published it.
    """
    for attempt in range(1, attempts + 1):
        record = await published.get(STORE)
        if not record.publish(catalogue):
            return False
        try:
            await published.save(record, correlation_id=uuid.uuid4())
        except ConcurrencyConflict:
            if attempt == attempts:
                raise
            continue
        log.info("catalogue.published", content_hash=record.content_hash)
        return True
    return False  # pragma: no cover - the loop returns or raises
