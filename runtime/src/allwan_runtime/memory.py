"""An event store in memory, for unit tests (pyeventsourcing's POPO recorder, for this store).

It keeps ``EventStore``'s contract: one commit per append, optimistic concurrency on the
expected version, contiguous versions, streams of one aggregate each. Tests can also make
the next appends lose a race (``conflicts_to_raise``) to prove a handler recovers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from allwan_contracts import read_event
from allwan_contracts.envelope import Envelope

from allwan_runtime.eventstore import ConcurrencyConflict, check_contiguous, stream_id


class InMemoryEventStore:
    """``allwan_runtime.eventstore.EventStore`` with its commits in a dict."""

    def __init__(self) -> None:
        self.streams: dict[str, list[Envelope]] = {}
        self.conflicts_to_raise = 0
        self.appends = 0
        self._listeners: list[Callable[[], None]] = []

    def on_append(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    async def ensure_indexes(self) -> None:
        return None

    async def append(self, events: Sequence[Envelope], *, expected_version: int) -> int:
        if not events:
            return expected_version
        stream = check_contiguous(events, expected_version)
        stored = self.streams.setdefault(stream, [])
        if self.conflicts_to_raise or len(stored) != expected_version:
            self.conflicts_to_raise = max(0, self.conflicts_to_raise - 1)
            raise ConcurrencyConflict(stream, expected_version)
        stored.extend(events)
        self.appends += 1
        for listener in self._listeners:
            listener()
        return len(stored)

    async def load(self, stream_id: str) -> list[Envelope]:
        return list(self.streams.get(stream_id, []))

    async def read_all(self, batch_size: int = 500) -> AsyncIterator[Envelope]:
        for stream in sorted(self.streams):
            for envelope in self.streams[stream]:
                yield envelope

    async def stream_ids(self, aggregate_type: str) -> list[str]:
        prefix = f"{aggregate_type}:"
        return sorted(key[len(prefix) :] for key in self.streams if key.startswith(prefix))

    # What tests look at.

    def envelopes(self, aggregate_type: str | None = None) -> list[Envelope]:
        """Every stored envelope (of one aggregate type), stream by stream."""
        return [
            envelope
            for key in sorted(self.streams)
            for envelope in self.streams[key]
            if aggregate_type is None or envelope.aggregate_type == aggregate_type
        ]

    def events(self, aggregate_type: str, aggregate_id: str) -> list[Any]:
        """The events of one aggregate, upcast and validated, oldest first."""
        return [
            read_event(e) for e in self.streams.get(stream_id(aggregate_type, aggregate_id), [])
        ]

    def all_events(self, aggregate_type: str | None = None) -> list[Any]:
        """Every stored event (of one aggregate type), upcast and validated."""
        return [read_event(envelope) for envelope in self.envelopes(aggregate_type)]
