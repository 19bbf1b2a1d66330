"""Questions about the streams of an event store that no single aggregate can answer.

- ``stream_ids``: every aggregate of one type that has events, for commands that fan out to
  all of them (a material policy change touches every customer's consent ledger);
- ``caused_by``: whether an input was already handled on a stream, for commands that are
  not idempotent on their own (at-least-once delivery hands a handler the same record again
  when it crashed after storing and before acknowledging).

Both read the event store itself, not a projection, so they see every stored commit.
"""

from __future__ import annotations

from uuid import UUID

from allwan_runtime.eventstore import EventStore

# The character after ":" in ASCII: "<type>:" <= stream id < "<type>;" selects one type.
_AFTER_SEPARATOR = ";"


async def stream_ids(store: EventStore, aggregate_type: str, batch_size: int = 1000) -> list[str]:
    """Ids of every aggregate of ``aggregate_type`` with at least one stored event, sorted."""
    prefix = f"{aggregate_type}:"
    cursor = store.commits.find(
        {"stream_id": {"$gte": prefix, "$lt": f"{aggregate_type}{_AFTER_SEPARATOR}"}},
        projection={"stream_id": 1},
        batch_size=batch_size,
    )
    ids = {commit["stream_id"][len(prefix) :] async for commit in cursor}
    return sorted(ids)


async def caused_by(store: EventStore, stream_id: str, causation_id: UUID) -> bool:
    """Whether any event of the stream names ``causation_id`` as its cause."""
    return any(envelope.causation_id == causation_id for envelope in await store.load(stream_id))
