"""The event store on a real MongoDB-protocol server: atomic commits, optimistic concurrency."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from allwan_runtime.eventstore import ConcurrencyConflict, EventStore
from pymongo.asynchronous.database import AsyncDatabase

from tests.builders import probe_envelopes

pytestmark = pytest.mark.integration


async def keys_in_outbox(db: AsyncDatabase[dict[str, Any]]) -> list[str]:
    return [key for entry in await db["outbox"].find({}).to_list() for key in entry["keys"]]


@pytest.fixture
async def store(db: AsyncDatabase[dict[str, Any]]) -> EventStore:
    event_store = EventStore(db)
    await event_store.ensure_indexes()
    return event_store


async def test_two_writers_on_one_stream_exactly_one_wins(store: EventStore) -> None:
    stream = f"p-{uuid.uuid4().hex}"
    await store.append(probe_envelopes(stream, 1, 2), expected_version=0)

    results = await asyncio.gather(
        store.append(probe_envelopes(stream, 3, 1), expected_version=2),
        store.append(probe_envelopes(stream, 3, 3), expected_version=2),
        return_exceptions=True,
    )

    winners = [r for r in results if isinstance(r, int)]
    conflicts = [r for r in results if isinstance(r, ConcurrencyConflict)]
    assert len(winners) == 1
    assert len(conflicts) == 1
    loaded = await store.load(f"probe:{stream}")
    assert [e.aggregate_version for e in loaded] == list(range(1, winners[0] + 1))


async def test_new_stream_race_has_one_winner(store: EventStore) -> None:
    stream = f"p-{uuid.uuid4().hex}"
    results = await asyncio.gather(
        *(store.append(probe_envelopes(stream, 1, 1), expected_version=0) for _ in range(5)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, int) for r in results) == 1
    assert sum(isinstance(r, ConcurrencyConflict) for r in results) == 4


async def test_stale_writer_inside_a_commit_is_refused(store: EventStore) -> None:
    stream = f"p-{uuid.uuid4().hex}"
    await store.append(probe_envelopes(stream, 1, 3), expected_version=0)
    # Version 1 lies inside the first commit: writing after it would overlap versions 2..3.
    with pytest.raises(ConcurrencyConflict):
        await store.append(probe_envelopes(stream, 2, 1), expected_version=1)
    with pytest.raises(ConcurrencyConflict):
        await store.append(probe_envelopes(stream, 6, 1), expected_version=5)
    assert len(await store.load(f"probe:{stream}")) == 3


async def test_all_events_of_one_command_are_stored_together(
    store: EventStore, db: AsyncDatabase[dict[str, Any]]
) -> None:
    stream = f"p-{uuid.uuid4().hex}"
    await store.append(probe_envelopes(stream, 1, 4), expected_version=0)
    commits = await db["event_commits"].find({"stream_id": f"probe:{stream}"}).to_list()
    assert len(commits) == 1
    assert [e["aggregate_version"] for e in commits[0]["events"]] == [1, 2, 3, 4]
    assert await db["outbox"].count_documents({"keys": commits[0]["_id"]}) == 1


async def test_a_writer_that_died_between_outbox_and_commit_leaves_the_stream_usable(
    store: EventStore, db: AsyncDatabase[dict[str, Any]]
) -> None:
    stream = f"p-{uuid.uuid4().hex}"
    await store.append(probe_envelopes(stream, 1, 1), expected_version=0)
    # The dead writer's outbox entry for version 1 -> 2, with no commit behind it.
    await db["outbox"].insert_one(
        {"_id": f"probe:{stream}@{1:010d}", "stream_id": f"probe:{stream}", "at": datetime.now(UTC)}
    )
    assert await store.append(probe_envelopes(stream, 2, 1), expected_version=1) == 2
    assert [e.aggregate_version for e in await store.load(f"probe:{stream}")] == [1, 2]


async def test_events_out_of_sequence_are_rejected_before_writing(store: EventStore) -> None:
    stream = f"p-{uuid.uuid4().hex}"
    with pytest.raises(ValueError, match="does not follow"):
        await store.append(probe_envelopes(stream, 2, 1), expected_version=0)
    assert await store.load(f"probe:{stream}") == []


async def test_a_lost_race_among_concurrent_appends_fails_that_append_alone(
    store: EventStore, db: AsyncDatabase[dict[str, Any]]
) -> None:
    contested = f"p-{uuid.uuid4().hex}"
    await store.append(probe_envelopes(contested, 1, 1), expected_version=0)
    others = [f"p-{uuid.uuid4().hex}" for _ in range(6)]

    results = await asyncio.gather(
        *(store.append(probe_envelopes(other, 1, 2), expected_version=0) for other in others),
        store.append(probe_envelopes(contested, 2, 1), expected_version=1),
        store.append(probe_envelopes(contested, 2, 2), expected_version=1),
        return_exceptions=True,
    )

    assert results[:6] == [2] * 6
    rivals = results[6:]
    assert sum(isinstance(r, ConcurrencyConflict) for r in rivals) == 1
    won = next(r for r in rivals if isinstance(r, int))
    loaded = await store.load(f"probe:{contested}")
    assert [e.aggregate_version for e in loaded] == list(range(1, won + 1))
    for other in others:
        assert [e.aggregate_version for e in await store.load(f"probe:{other}")] == [1, 2]
    # The outbox names every stored commit once: the lost race's key is the winner's to publish.
    stored = [commit["_id"] for commit in await db["event_commits"].find({}).to_list()]
    assert len(stored) == 8
    assert sorted(await keys_in_outbox(db)) == sorted(stored)


async def test_an_append_cancelled_while_waiting_for_its_write_leaves_the_others_to_finish(
    store: EventStore,
) -> None:
    streams = [f"p-{uuid.uuid4().hex}" for _ in range(8)]
    appends = [
        asyncio.create_task(store.append(probe_envelopes(stream, 1, 1), expected_version=0))
        for stream in streams
    ]
    await asyncio.sleep(0)  # every append is now waiting for its commit to be written
    appends[0].cancel()

    async with asyncio.timeout(30):
        assert await asyncio.gather(*appends[1:]) == [1] * 7
    for stream in streams[1:]:
        assert [e.aggregate_version for e in await store.load(f"probe:{stream}")] == [1]
