"""Orders publishes its catalogue (``CatalogueUpdated``) once per content, for the gateway."""

from __future__ import annotations

from decimal import Decimal

from allwan_contracts import CatalogueUpdated
from allwan_orders.domain.published_catalogue import PublishedCatalogue, published_content
from allwan_orders.handlers.catalogue import publish_catalogue
from allwan_runtime.memory import InMemoryEventStore
from allwan_runtime.repository import AggregateRepository

from tests.unit.orders.fakes import CATALOGUE


def published(store: InMemoryEventStore) -> AggregateRepository[PublishedCatalogue]:
    return AggregateRepository(store, PublishedCatalogue, "orders")


def types(store: InMemoryEventStore) -> list[str]:
    return [envelope.event_type for envelope in store.envelopes("catalogue")]


async def test_the_first_start_publishes_every_product_plan_and_shelf_price() -> None:
    store = InMemoryEventStore()

    assert await publish_catalogue(CATALOGUE, published(store))

    [event] = store.events("catalogue", "store")
    assert isinstance(event, CatalogueUpdated)
    plans = {plan.plan_id: plan for product in event.products for plan in product.plans}
    assert plans["shahid-vip-1m"].price_halalas == 2990
    assert plans["shahid-vip-1m"].months == 1
    assert event.vat_rate_percent == 15


async def test_a_restart_with_the_same_catalogue_publishes_nothing() -> None:
    store = InMemoryEventStore()
    await publish_catalogue(CATALOGUE, published(store))

    assert not await publish_catalogue(CATALOGUE, published(store))
    assert types(store) == ["CatalogueUpdated"]


async def test_an_edited_price_is_published_again() -> None:
    store = InMemoryEventStore()
    await publish_catalogue(CATALOGUE, published(store))
    product = CATALOGUE.products[0]
    cheaper = product.plans[0].model_copy(update={"price_sar": Decimal("28.75")})
    edited = CATALOGUE.model_copy(
        update={"products": (product.model_copy(update={"plans": (cheaper,)}),)}
    )

    assert await publish_catalogue(edited, published(store))
    assert types(store) == ["CatalogueUpdated", "CatalogueUpdated"]


async def test_a_replica_that_loses_the_race_reloads_and_publishes_nothing_twice() -> None:
    store = InMemoryEventStore()
    store.conflicts_to_raise = 1

    assert await publish_catalogue(CATALOGUE, published(store))
    assert types(store) == ["CatalogueUpdated"]


def test_the_hash_covers_the_content_only() -> None:
    assert published_content(CATALOGUE).content_hash == published_content(CATALOGUE).content_hash
