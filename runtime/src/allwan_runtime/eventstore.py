"""Append-only event streams in MongoDB, with optimistic concurrency and an outbox.

One document per commit holds every event of one command, so a command's events are stored
atomically without multi-document transactions (FerretDB has none). A commit's ``_id`` is
``<stream>@<expected version, zero-padded>``: two writers that read the same head race for the
same ``_id``, and the unique primary key lets exactly one win. Commits form a chain (each one
names the version it ends at, which is the next one's key), so a stream is read by ``_id``
lookups alone: the one access path that is fast on MongoDB and on FerretDB alike.

Appends that arrive while earlier ones are being written are written together, in two
commands: first one outbox entry naming the keys of all their commits, then the commits (one
insert, in which each still goes in or not on its own, so a lost race fails only its own
append). The relay publishes the commits the outbox names, then takes their keys out of it. A
writer that dies between the two writes leaves keys without a commit: the relay skips them
(see ``outbox``). An entry written before appends were grouped names one commit, under that
commit's ``_id``; the relay reads both kinds.

A commit this store wrote is kept in memory until the relay publishes it, so a relay in the
same process publishes it without reading it back (its insert succeeded, so it exists); any
other commit is read by ``_id``.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import structlog
from allwan_contracts.envelope import Envelope
from bson import ObjectId
from opentelemetry import propagate
from pymongo import ASCENDING, DeleteOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError, WriteError

from allwan_runtime.commits import (
    Commit,
    ConcurrencyConflict,
    OutboxEntry,
    check_contiguous,
    commit_id,
    insert_each,
    stream_id,
    stream_id_of,
    stream_of,
)
from allwan_runtime.grouped import WriteGroups
from allwan_runtime.mongo import Document
from allwan_runtime.reading import StreamReader

__all__ = [
    "Commit",
    "ConcurrencyConflict",
    "EventStore",
    "OutboxEntry",
    "Streams",
    "check_contiguous",
    "commit_id",
    "stream_id",
    "stream_id_of",
    "stream_of",
]

log = structlog.get_logger(__name__)
COMMITS = "event_commits"
OUTBOX = "outbox"
UNPUBLISHED_IN_MEMORY = 5_000
"""Commits a store keeps for the relay until they are published: ten default relay batches, so
a relay that lags a little reads none back; a replica that does not hold the relay lease keeps
this many at most (a few MB)."""
_MAX_GROUP = 500
"""Appends written together at most (an outbox entry then holds 500 keys, ~30 kB)."""


@dataclass(frozen=True)
class _Write:
    document: Document
    commit: Commit


class Streams(Protocol):
    """What handlers and repositories need of an event store: ``EventStore`` in MongoDB, or
    ``allwan_runtime.memory.InMemoryEventStore`` in unit tests."""

    async def append(self, events: Sequence[Envelope], *, expected_version: int) -> int: ...

    async def load(self, stream_id: str) -> list[Envelope]: ...

    async def stream_ids(self, aggregate_type: str) -> list[str]: ...


class EventStore(StreamReader):
    """The per-service event store (``event_commits`` and ``outbox`` in its own database)."""

    def __init__(
        self, db: AsyncDatabase[Document], *, unpublished_in_memory: int = UNPUBLISHED_IN_MEMORY
    ) -> None:
        super().__init__(db[COMMITS])
        self._outbox: AsyncCollection[Document] = db[OUTBOX]
        self._listeners: list[Callable[[], None]] = []
        self._unpublished: OrderedDict[str, Commit] = OrderedDict()
        self._unpublished_limit = unpublished_in_memory
        self._writing: set[str] = set()
        self._groups: WriteGroups[_Write] = WriteGroups(
            self._write_group, name="eventstore-writer", max_group=_MAX_GROUP
        )

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
        write = _Write(document=document, commit=Commit(key, stream_id, tuple(events), carrier))
        try:
            await self._groups.write(write)
        except DuplicateKeyError as error:
            raise ConcurrencyConflict(stream_id, expected_version) from error
        self._remember(stream_id, new_version)
        for listener in self._listeners:
            listener()
        return new_version

    async def outbox_head(self, limit: int) -> list[OutboxEntry]:
        """The oldest outbox entries, in the order they were written, naming at most ``limit``
        commits (one entry at least); for the outbox relay."""
        # Natural order, no sort: a sort would read the whole outbox. The whole batch comes in
        # the first reply (no getMore round trips).
        documents = await self._outbox.find({}, batch_size=limit).limit(limit).to_list()
        head: list[OutboxEntry] = []
        named = 0
        for entry in map(OutboxEntry.from_document, documents):
            if head and named + len(entry.keys) > limit:
                break
            head.append(entry)
            named += len(entry.keys)
        return head

    async def commits_behind(self, keys: Sequence[str]) -> list[Commit | None]:
        """The commit stored under each key, or None where there is none yet.

        For the outbox relay. A commit this store wrote comes from memory; one it is writing
        counts as not there yet (the relay publishes it next time); any other is read by
        ``_id``, one lookup each, run together: a ``$in`` filter would be one round trip, but
        FerretDB answers it by scanning every commit ever stored.
        """
        found = {key: self._unpublished.get(key) for key in keys}
        missing = [
            key for key, commit in found.items() if commit is None and key not in self._writing
        ]
        documents = await asyncio.gather(*(self._commits.find_one({"_id": key}) for key in missing))
        for key, document in zip(missing, documents, strict=True):
            found[key] = None if document is None else Commit.from_document(document)
        return [found[key] for key in keys]

    async def mark_published(self, entries: Sequence[OutboxEntry], keys: Collection[str]) -> None:
        """Take the keys of published (or abandoned) commits out of the outbox.

        An entry left without keys is deleted, any other one keeps the rest: one command for
        all the deletes and one for all the updates (only when some entry still waits). Each
        statement names one ``_id``, which FerretDB answers from its index; a ``$in`` filter
        would scan the whole outbox.
        """
        operations: list[DeleteOne | UpdateOne] = []
        for entry in entries:
            rest = [key for key in entry.keys if key not in keys]
            if not rest:
                operations.append(DeleteOne({"_id": entry.id}))
            elif len(rest) < len(entry.keys):
                operations.append(UpdateOne({"_id": entry.id}, {"$set": {"keys": rest}}))
        if operations:
            await self._outbox.bulk_write(operations, ordered=False)
        for key in keys:
            self._unpublished.pop(key, None)

    async def _write_group(self, group: Sequence[_Write]) -> list[WriteError | None]:
        entry_id = ObjectId()
        keys = [write.commit.key for write in group]
        self._writing.update(keys)
        try:
            await self._outbox.insert_one({"_id": entry_id, "keys": keys, "at": datetime.now(UTC)})
            errors = await insert_each(self._commits, [write.document for write in group])
        finally:
            self._writing.difference_update(keys)
        for write, error in zip(group, errors, strict=True):
            if error is None:
                self._keep_unpublished(write.commit)
        # A commit refused (a lost race: the winner's own entry names it) needs no publishing
        # from this entry. Left in, it would only be published twice.
        rest = [key for key, error in zip(keys, errors, strict=True) if error is None]
        if len(rest) == len(keys):
            return errors
        try:
            if rest:
                await self._outbox.update_one({"_id": entry_id}, {"$set": {"keys": rest}})
            else:
                await self._outbox.delete_one({"_id": entry_id})
        except PyMongoError as error:
            log.warning("eventstore.outbox_not_trimmed", error=type(error).__name__)
        return errors

    def _keep_unpublished(self, commit: Commit) -> None:
        self._unpublished[commit.key] = commit
        if len(self._unpublished) > self._unpublished_limit:
            self._unpublished.popitem(last=False)
