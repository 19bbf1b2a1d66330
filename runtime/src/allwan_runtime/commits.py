"""What a commit is, apart from where it is stored: stream ids, commit keys, the commit and
outbox-entry records the relay reads, and the rule that one commit holds one aggregate's next
events. Shared by ``eventstore`` (MongoDB), ``memory`` (unit tests) and ``outbox``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from allwan_contracts.envelope import Envelope
from bson import ObjectId
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError

from allwan_runtime.mongo import Document

_DUPLICATE_KEY = frozenset({11000, 11001, 12582})


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


def stream_of(key: str) -> str:
    """The stream a commit key belongs to (the version after the last ``@`` is digits)."""
    return key.rpartition("@")[0]


@dataclass(frozen=True)
class Commit:
    """One stored commit, as the outbox relay publishes it."""

    key: str
    stream_id: str
    events: tuple[Envelope, ...]
    trace: dict[str, str]
    """The W3C trace context of the request that stored it."""

    @classmethod
    def from_document(cls, document: Document) -> Commit:
        """The commit as read from ``event_commits``."""
        return cls(
            key=document["_id"],
            stream_id=document["stream_id"],
            events=tuple(Envelope.model_validate(raw) for raw in document["events"]),
            trace=dict(document.get("trace") or {}),
        )


@dataclass(frozen=True)
class OutboxEntry:
    """One outbox document: the keys of commits that may not be published yet."""

    id: ObjectId | str
    keys: tuple[str, ...]
    at: datetime
    """When the entry was written (its commits were about to be)."""

    @classmethod
    def from_document(cls, document: Document) -> OutboxEntry:
        """The entry as read from ``outbox``, in either format."""
        # An entry written before appends were grouped names one commit, by its own _id.
        keys = document["keys"] if "keys" in document else [document["_id"]]
        at: datetime = document["at"]
        return cls(document["_id"], tuple(keys), at if at.tzinfo else at.replace(tzinfo=UTC))


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


async def insert_each(
    collection: AsyncCollection[Document], documents: Sequence[Document]
) -> list[WriteError | None]:
    """Insert ``documents`` in one command; the error of each one that did not go in.

    Raises what the whole command failed with (the connection, a write concern error).
    """
    if not documents:
        return []
    try:
        await collection.insert_many(documents, ordered=False)
    except BulkWriteError as error:
        if error.details.get("writeConcernErrors"):
            raise
        failed: list[WriteError | None] = [None] * len(documents)
        for details in error.details.get("writeErrors", []):
            failed[details["index"]] = _write_error(details)
        return failed
    return [None] * len(documents)


async def insert_prefix(
    collection: AsyncCollection[Document], documents: Sequence[Document]
) -> int:
    """Insert ``documents`` in order in one command, stopping at the first whose ``_id`` is
    taken; return how many went in (the ones before it).

    Raises any other error, and what the whole command failed with.
    """
    if not documents:
        return 0
    try:
        await collection.insert_many(documents, ordered=True)
    except BulkWriteError as error:
        errors = error.details.get("writeErrors", [])
        if error.details.get("writeConcernErrors") or not errors:
            raise
        first = errors[0]
        if first.get("code") not in _DUPLICATE_KEY:
            raise _write_error(first) from error
        return int(first["index"])
    return len(documents)


def _write_error(details: dict[str, Any]) -> WriteError:
    kind = DuplicateKeyError if details.get("code") in _DUPLICATE_KEY else WriteError
    return kind(details.get("errmsg", "write error"), details.get("code"), details)
