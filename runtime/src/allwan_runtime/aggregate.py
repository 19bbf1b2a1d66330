"""Event-first aggregates: state changes only by applying events.

Pure Python, no I/O: a command method checks its invariants, then records an event; the same
``apply`` rebuilds the state when the aggregate is loaded from its stream. New events count
as stored only once the repository says so (``mark_stored``): an append that lost a race
leaves the aggregate as it was, pending events and version alike.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, ClassVar, Self


class Aggregate(ABC):
    """Base of every event-sourced aggregate."""

    aggregate_type: ClassVar[str]

    def __init__(self, aggregate_id: str) -> None:
        self.id = aggregate_id
        self.version = 0
        self._pending: list[Any] = []

    @classmethod
    def rehydrate(cls, aggregate_id: str, events: Iterable[Any]) -> Self:
        """Rebuild an aggregate from its stored events, oldest first."""
        aggregate = cls(aggregate_id)
        for event in events:
            aggregate.apply(event)
            aggregate.version += 1
        return aggregate

    @abstractmethod
    def apply(self, event: Any) -> None:
        """Change state by one event. Must not fail for an event it once recorded."""

    def record(self, event: Any) -> None:
        """Apply a new event and keep it until the repository stores it."""
        self.apply(event)
        self._pending.append(event)

    @property
    def pending(self) -> tuple[Any, ...]:
        """The events recorded since the aggregate was loaded or last stored."""
        return tuple(self._pending)

    def mark_stored(self) -> None:
        """The pending events were appended: they are now part of the stored version."""
        self.version += len(self._pending)
        self._pending = []
