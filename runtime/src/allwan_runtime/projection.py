"""Idempotent read models: each aggregate version is applied to a projection at most once.

A projection document remembers the last version of its aggregate it applied (``_v``). An
update applies only where ``_v < version``, so a redelivered or republished event changes
nothing. The document is read and written by ``_id`` alone and the guard checked here: FerretDB
uses its ``_id`` index only for a filter that is exactly ``{_id: ...}``, and an update filtered
on ``_id`` and ``_v`` read the whole collection, for every event projected.

Kafka delivers one aggregate's events in order (key = aggregate id) within one topic, so a
version never arrives before its predecessor from the same topic.

One aggregate's events can be split over two topics: a customer's consent ledger goes to
``allwan.consent`` but its last event, ``CustomerErased``, to ``allwan.customers``. If the
erasure is read first, an earlier ledger event read afterwards is older than ``_v`` and is
skipped. That is the outcome wanted there (nothing re-opens an erased customer: marketing
stays off); the per-version proof documents (``<customer>@<version>``) are still all written,
and a rebuild replays the store in order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from allwan_contracts import read_event
from allwan_contracts.envelope import Envelope
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from allwan_runtime.eventstore import EventStore

Document = dict[str, Any]
VERSION_FIELD = "_v"


async def apply_once(
    collection: AsyncCollection[Document],
    doc_id: str,
    version: int,
    update: Document,
) -> bool:
    """Apply ``update`` (Mongo update operators) for ``version``; False if already applied."""

    def older(current: Document) -> bool:
        applied = current.get(VERSION_FIELD)
        return isinstance(applied, int) and applied < version

    return await apply_guarded(collection, doc_id, older, with_set(update, VERSION_FIELD, version))


def with_set(update: Document, field: str, value: Any) -> Document:
    """``update`` that also sets ``field`` to ``value``."""
    return {**update, "$set": {**update.get("$set", {}), field: value}}


async def apply_guarded(
    collection: AsyncCollection[Document],
    doc_id: str,
    admits: Callable[[Document], bool],
    update: Document,
) -> bool:
    """Apply ``update`` to the document if ``admits`` it, or create it if missing.

    False when the document exists and is not admitted (the update was already applied, or
    is older than what was). Each document is written by one consumer at a time (one
    aggregate's events arrive in order on one partition), which is what makes reading, then
    writing, safe, on FerretDB too. Both are by ``_id`` alone (see the module).
    """
    current = await collection.find_one({"_id": doc_id})
    if current is not None:
        if not admits(current):
            return False
        await collection.update_one({"_id": doc_id}, update)
        return True
    try:
        # First write of the document; the unique _id turns a concurrent first write into
        # "already applied".
        await collection.update_one({"_id": doc_id}, update, upsert=True)
    except DuplicateKeyError:
        return False
    return True


class Projection(Protocol):
    """A read model built only from events; ``collections`` are dropped on rebuild."""

    @property
    def name(self) -> str: ...

    @property
    def collections(self) -> Sequence[str]: ...

    async def __call__(self, envelope: Envelope, event: Any) -> None: ...


async def rebuild(
    store: EventStore,
    db: AsyncDatabase[Document],
    projection: Projection,
    progress: Callable[[int], Awaitable[None]] | None = None,
) -> int:
    """Drop the projection's collections and replay every stored event into it."""
    for name in projection.collections:
        await db.drop_collection(name)
    count = 0
    async for envelope in store.read_all():
        await projection(envelope, read_event(envelope))
        count += 1
        if progress is not None and count % 1000 == 0:
            await progress(count)
    return count
