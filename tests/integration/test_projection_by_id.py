"""Read models on a real MongoDB-protocol server: each update is applied once, in order, and
every command a projection sends is by ``_id`` alone, the one filter FerretDB answers from an
index (an update filtered on ``_id`` and ``_v`` read the whole collection, every event)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from allwan_runtime.newest import apply_if_newer
from allwan_runtime.projection import apply_once
from allwan_runtime.settings import RuntimeSettings
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.collection import AsyncCollection

pytestmark = pytest.mark.integration


class Filters(monitoring.CommandListener):
    """The filter of every find and update sent."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.seen.append(dict(event.command["filter"]))
        elif event.command_name == "update":
            self.seen += [dict(statement["q"]) for statement in event.command["updates"]]

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def watched(
    settings: RuntimeSettings,
) -> AsyncIterator[tuple[AsyncCollection[dict[str, Any]], Filters]]:
    filters = Filters()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongo_url.get_secret_value(),
        tz_aware=True,
        retryWrites=False,
        event_listeners=[filters],
    )
    yield client[settings.database_name]["views"], filters
    await client.drop_database(settings.database_name)
    await client.close()


async def test_each_version_is_applied_once_by_id_alone(
    watched: tuple[AsyncCollection[dict[str, Any]], Filters],
) -> None:
    views, filters = watched
    assert await apply_once(views, "order-1", 1, {"$set": {"status": "placed"}})
    assert await apply_once(views, "order-1", 2, {"$set": {"status": "paid"}})
    assert not await apply_once(views, "order-1", 2, {"$set": {"status": "again"}})  # redelivered
    assert not await apply_once(views, "order-1", 1, {"$set": {"status": "old"}})
    assert await views.find_one({"_id": "order-1"}) == {"_id": "order-1", "status": "paid", "_v": 2}
    assert filters.seen
    assert all(found == {"_id": "order-1"} for found in filters.seen)


async def test_the_newest_event_wins_and_an_erased_record_takes_nothing(
    watched: tuple[AsyncCollection[dict[str, Any]], Filters],
) -> None:
    views, filters = watched
    t0 = datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=UTC)
    assert await apply_if_newer(views, "c-1", t0, {"$set": {"email": "a"}})
    assert not await apply_if_newer(views, "c-1", t0, {"$set": {"email": "b"}})  # the same one
    assert not await apply_if_newer(
        views, "c-1", t0 - timedelta(seconds=1), {"$set": {"email": "c"}}
    )
    later = t0 + timedelta(seconds=1)
    assert await apply_if_newer(
        views, "c-1", later, {"$set": {"erased": True}}, unless={"erased": True}
    )
    assert not await apply_if_newer(
        views,
        "c-1",
        later + timedelta(seconds=1),
        {"$set": {"email": "d"}},
        unless={"erased": True},
    )
    found = await views.find_one({"_id": "c-1"})
    assert found is not None
    assert found["erased"] is True
    assert found["email"] == "a"
    assert all(seen == {"_id": "c-1"} for seen in filters.seen)
