"""Append-only event streams in MongoDB, with optimistic concurrency and an outbox.

One document per commit holds every event of one command, so a command's events are stored
atomically without multi-document transactions (FerretDB has none). A commit's ``_id`` is
``<stream>@<expected version, zero-padded>``: two writers that read the same head race for the
same ``_id``, and the unique primary key lets exactly one win. Commits form a chain (each one
names the version it ends at, which is the next one's key), so a stream is read by ``_id``
lookups alone: the one access path that is fast on MongoDB and on FerretDB alike.

Before its commit, a writer records an outbox entry under the same ``_id``. The relay publishes
the commits the outbox names and then deletes the entries. A writer that dies between the two
inserts leaves an entry without a commit: the relay skips it (see ``outbox``).
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from allwan_contracts.envelope import Envelope
from opentelemetry import propagate
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from allwan_runtime.mongo import Document

COMMITS = "event_commits"
OUTBOX = "outbox"
_KNOWN_HEADS = 10_000
# The character after ":" in ASCII: "<type>:" <= stream id < "<type>;" selects one type.
_AFTER_SEPARATOR = ";"


class ConcurrencyConflict(Exception):
    """Another writer appended to the stream since it was read; reload and retry."""

    def __init__(self, stream_id: str, expected_version: int) -> None:
        super().__init__(f"stream {stream_id!r} is no longer at version {expected_version}")
        self.stream_id = stream_id
        self.expected_version = expected_version


def stream_id(aggregate_type: str, aggregate_id: str) -> str:
    """The stream of one aggregate: ``<aggregate type>:<aggregate id>``."""
    return f"{aggregate_type}:{aggregate_id}"


def stream_id_of(envelope: Envelope) -> str:
    """The stream an event belongs to: one per aggregate."""
    return stream_id(envelope.aggregate_type, envelope.aggregate_id)


def commit_id(stream_id: str, expected_version: int) -> str:
    """The key of the commit that follows ``expected_version``; sorts in version order."""
    return f"{stream_id}@{expected_version:010d}"


class Streams(Protocol):
    """What handlers and repositories need of an event store: ``EventStore`` in MongoDB, or
    ``allwan_runtime.memory.InMemoryEventStore`` in unit tests."""

    async def append(self, events: Sequence[Envelope], *, expected_version: int) -> int: ...

    async def load(self, stream_id: str) -> list[Envelope]: ...

    async def stream_ids(self, aggregate_type: str) -> list[str]: ...


class EventStore:
    """The per-service event store (``event_commits`` and ``outbox`` in its own database)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._commits: AsyncCollection[Document] = db[COMMITS]
        self._outbox: AsyncCollection[Document] = db[OUTBOX]
        self._listeners: list[Callable[[], None]] = []
        # Versions known to end a commit (from loads and appends), so an append after a load
        # needs no extra read to prove its expected version is a commit boundary.
        self._boundaries: OrderedDict[tuple[str, int], None] = OrderedDict()

    @property
    def commits(self) -> AsyncCollection[Document]:
        """The commits, for the outbox relay."""
        return self._commits

    @property
    def outbox(self) -> AsyncCollection[Document]:
        """The outbox entries, for the outbox relay."""
        return self._outbox

    def on_append(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every successful append (the relay wakes up on it)."""
        self._listeners.append(listener)

    async def ensure_indexes(self) -> None:
        """Create the index a full replay sorts by; safe to call at every start."""
        await self._commits.create_index(
            [("stream_id", ASCENDING), ("version", ASCENDING)], name="stream_version"
        )

    async def append(self, events: Sequence[Envelope], *, expected_version: int) -> int:
        """Store the events of one command atomically; return the stream's new version.

        Raises ``ConcurrencyConflict`` when the stream is not at ``expected_version``.
        """
        if not events:
            return expected_version
        stream_id = check_contiguous(events, expected_version)
        if not await self._is_boundary(stream_id, expected_version):
            # The caller asked for a version inside a commit or beyond the head: writing
            # would overlap or leave a gap.
            raise ConcurrencyConflict(stream_id, expected_version)
        key = commit_id(stream_id, expected_version)
        now = datetime.now(UTC)
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        with contextlib.suppress(DuplicateKeyError):  # a rival writer's entry serves us too
            await self._outbox.insert_one({"_id": key, "stream_id": stream_id, "at": now})
        new_version = expected_version + len(events)
        document: Document = {
            "_id": key,
            "stream_id": stream_id,
            "expected_version": expected_version,
            "version": new_version,
            "events": [event.model_dump(mode="json") for event in events],
            "committed_at": now,
            "trace": carrier,
        }
        try:
            await self._commits.insert_one(document)
        except DuplicateKeyError as error:
            raise ConcurrencyConflict(stream_id, expected_version) from error
        self._remember(stream_id, new_version)
        for listener in self._listeners:
            listener()
        return new_version

    async def load(self, stream_id: str) -> list[Envelope]:
        """Every event of one stream, in version order (empty for a new stream)."""
        return [
            Envelope.model_validate(raw)
            async for commit in self._chain(stream_id)
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

    async def stream_ids(self, aggregate_type: str, batch_size: int = 1000) -> list[str]:
        """Ids of every aggregate of ``aggregate_type`` with at least one stored event, sorted.

        For commands that fan out to all of them (a material policy change touches every
        customer's consent ledger); it reads the commits, not a projection, so it sees every
        stored one.
        """
        prefix = f"{aggregate_type}:"
        cursor = self._commits.find(
            {"stream_id": {"$gte": prefix, "$lt": f"{aggregate_type}{_AFTER_SEPARATOR}"}},
            projection={"stream_id": 1},
            batch_size=batch_size,
        )
        return sorted({commit["stream_id"][len(prefix) :] async for commit in cursor})

    async def _chain(self, stream_id: str) -> AsyncIterator[Document]:
        version = 0
        while True:
            commit = await self._commits.find_one({"_id": commit_id(stream_id, version)})
            if commit is None:
                return
            version = commit["version"]
            self._remember(stream_id, version)
            yield commit

    async def _is_boundary(self, stream_id: str, version: int) -> bool:
        if version == 0 or (stream_id, version) in self._boundaries:
            return True
        async for commit in self._chain(stream_id):
            if commit["version"] >= version:
                return bool(commit["version"] == version)
        return False

    def _remember(self, stream_id: str, version: int) -> None:
        self._boundaries[(stream_id, version)] = None
        self._boundaries.move_to_end((stream_id, version))
        if len(self._boundaries) > _KNOWN_HEADS:
            self._boundaries.popitem(last=False)


def check_contiguous(events: Sequence[Envelope], expected_version: int) -> str:
    stream_id = stream_id_of(events[0])
    for offset, event in enumerate(events, start=1):
        if stream_id_of(event) != stream_id:
            raise ValueError("one commit holds the events of one aggregate only")
        if event.aggregate_version != expected_version + offset:
            raise ValueError(
                f"event version {event.aggregate_version} does not follow {expected_version}"
            )
    return stream_id
