"""Append-only event streams in MongoDB, with optimistic concurrency and an outbox flag.

One document per commit holds every event of one command, so a command's events are stored
atomically without multi-document transactions (FerretDB has none). The commit's ``_id`` is
``<stream>@<expected version>``: two writers that read the same head race for the same
``_id`` and the unique primary key lets exactly one win. A writer whose expected version is
not the head at all is refused before it writes (see ``append``).

Each commit also carries ``published: false`` until the outbox relay has put its events on
Kafka, and the W3C trace context of the command, so the trace continues through the relay.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from allwan_contracts.envelope import Envelope
from opentelemetry import propagate
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

Document = dict[str, Any]
COMMITS = "event_commits"


class ConcurrencyConflict(Exception):
    """Another writer appended to the stream since it was read; reload and retry."""

    def __init__(self, stream_id: str, expected_version: int) -> None:
        super().__init__(f"stream {stream_id!r} is no longer at version {expected_version}")
        self.stream_id = stream_id
        self.expected_version = expected_version


def stream_id_of(envelope: Envelope) -> str:
    """The stream an event belongs to: one per aggregate."""
    return f"{envelope.aggregate_type}:{envelope.aggregate_id}"


class EventStore:
    """The per-service event store (one ``event_commits`` collection in its own database)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._commits: AsyncCollection[Document] = db[COMMITS]
        self._listeners: list[Callable[[], None]] = []

    @property
    def commits(self) -> AsyncCollection[Document]:
        """The raw collection, for the outbox relay."""
        return self._commits

    def on_append(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every successful append (the relay wakes up on it)."""
        self._listeners.append(listener)

    async def ensure_indexes(self) -> None:
        """Create the indexes reads and the relay rely on; safe to call at every start."""
        await self._commits.create_index(
            [("stream_id", ASCENDING), ("version", ASCENDING)], name="stream_version"
        )
        await self._commits.create_index(
            [("published", ASCENDING), ("committed_at", ASCENDING)], name="unpublished"
        )

    async def append(self, events: Sequence[Envelope], *, expected_version: int) -> int:
        """Store the events of one command atomically; return the stream's new version.

        Raises ``ConcurrencyConflict`` when the stream is not at ``expected_version``.
        """
        if not events:
            return expected_version
        stream_id = _check_contiguous(events, expected_version)
        if expected_version > 0 and not await self._is_head_boundary(stream_id, expected_version):
            # Either the stream moved on, or the caller asked for a version inside a commit;
            # both would otherwise create an overlapping commit.
            raise ConcurrencyConflict(stream_id, expected_version)
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        new_version = expected_version + len(events)
        document: Document = {
            "_id": f"{stream_id}@{expected_version}",
            "stream_id": stream_id,
            "expected_version": expected_version,
            "version": new_version,
            "events": [event.model_dump(mode="json") for event in events],
            "committed_at": datetime.now(UTC),
            "published": False,
            "trace": carrier,
        }
        try:
            await self._commits.insert_one(document)
        except DuplicateKeyError as error:
            raise ConcurrencyConflict(stream_id, expected_version) from error
        for listener in self._listeners:
            listener()
        return new_version

    async def _is_head_boundary(self, stream_id: str, version: int) -> bool:
        found = await self._commits.find_one(
            {"stream_id": stream_id, "version": version}, projection={"_id": 1}
        )
        return found is not None

    async def load(self, stream_id: str) -> list[Envelope]:
        """Every event of one stream, in version order (empty for a new stream)."""
        cursor = self._commits.find({"stream_id": stream_id}).sort("version", ASCENDING)
        return [
            Envelope.model_validate(raw)
            for commit in await cursor.to_list()
            for raw in commit["events"]
        ]

    async def read_all(self, batch_size: int = 500) -> AsyncIterator[Envelope]:
        """Every stored event, each stream in version order, for rebuilding projections."""
        cursor = self._commits.find({}, batch_size=batch_size).sort(
            [("stream_id", ASCENDING), ("version", ASCENDING)]
        )
        async for commit in cursor:
            for raw in commit["events"]:
                yield Envelope.model_validate(raw)


def _check_contiguous(events: Sequence[Envelope], expected_version: int) -> str:
    stream_id = stream_id_of(events[0])
    for offset, event in enumerate(events, start=1):
        if stream_id_of(event) != stream_id:
            raise ValueError("one commit holds the events of one aggregate only")
        if event.aggregate_version != expected_version + offset:
            raise ValueError(
                f"event version {event.aggregate_version} does not follow {expected_version}"
            )
    return stream_id
