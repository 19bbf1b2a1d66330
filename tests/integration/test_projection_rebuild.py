"""Projections can be rebuilt from the stored events alone."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from allwan_runtime.eventstore import EventStore
from allwan_runtime.projection import rebuild
from pymongo.asynchronous.database import AsyncDatabase

from tests.integration.harness import CountingProjection, grant

pytestmark = pytest.mark.integration


class RebuildableCounting(CountingProjection):
    name = "grants_by_customer"
    collections = ("grants_by_customer",)


async def test_rebuild_replays_every_event_into_a_fresh_projection(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    store = EventStore(db)
    await store.ensure_indexes()
    customers = [f"c-{uuid.uuid4().hex}" for _ in range(3)]
    for count, customer in enumerate(customers, start=1):
        await store.append([grant(customer, v) for v in range(1, count + 1)], expected_version=0)
    projection = RebuildableCounting(db)
    # A corrupted read model: wrong counts and a stray document.
    await projection.collection.insert_many(
        [{"_id": customers[0], "grants": 40, "_v": 9}, {"_id": "stray", "grants": 1, "_v": 1}]
    )

    replayed = await rebuild(store, db, projection)

    assert replayed == 6
    documents = {d["_id"]: d["grants"] for d in await projection.collection.find().to_list()}
    assert documents == {customers[0]: 1, customers[1]: 2, customers[2]: 3}
