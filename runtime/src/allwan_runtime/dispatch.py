"""Turn one Kafka record into a handler call: decode, route, retry, or dead-letter.

Kept free of Kafka client code so the rules are tested without a broker:
- bad bytes, an unknown event type or version, or a payload that breaks its contract is a
  poison message: it goes to the dead-letter topic with its reason, and the consumer moves on;
- a transient failure (database or broker unreachable) is retried with exponential backoff;
  when the attempts run out the record is *not* acknowledged, so it is delivered again;
- any other exception from a handler is a bug or bad data: dead-lettered with its reason.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import structlog
from allwan_contracts import ContractError, decode, event_class, read_event
from allwan_contracts.base import Event
from allwan_contracts.envelope import Envelope
from pymongo.errors import (
    ConnectionFailure,
    ExecutionTimeout,
    OperationFailure,
    PyMongoError,
    WriteConcernError,
)

log = structlog.get_logger(__name__)

Handler = Callable[[Envelope, Any], Awaitable[None]]
"""A plain async function taking the envelope and the (upcast, validated) event."""


class TransientError(Exception):
    """Raise from a handler when a retry later may succeed (a dependency is down)."""


class StillFailing(Exception):
    """Transient failures outlasted the retries; the record stays unacknowledged."""


TRANSIENT: tuple[type[BaseException], ...] = (
    TransientError,
    ConnectionFailure,
    ExecutionTimeout,
    WriteConcernError,
    TimeoutError,
    ConnectionError,
)
_INTERRUPTED = ("interrupted (9)", "database is locked (5)", "database is locked (261)")


def is_transient(error: BaseException) -> bool:
    """Whether a retry later may succeed: a dependency down or too slow, not a bug or bad data.

    ``TRANSIENT`` by type; any PyMongo error that says it timed out; and FerretDB's SQLite
    backend reporting a query it interrupted (its time ran out, or the database was busy) as
    ``InternalError`` (code 1) rather than ``MaxTimeMSExpired`` (50): under load, a read that
    merely waited too long must not be taken for poison.
    """
    if isinstance(error, TRANSIENT):
        return True
    if isinstance(error, PyMongoError) and error.timeout:
        return True
    return isinstance(error, OperationFailure) and any(mark in str(error) for mark in _INTERRUPTED)


class Outcome(StrEnum):
    """What became of one record."""

    HANDLED = "handled"
    IGNORED = "ignored"
    DEAD_LETTERED = "dead_lettered"


@dataclass(frozen=True)
class DeadLetter:
    """Why a record was set aside; ``detail`` never holds field values (they may be personal)."""

    reason: str
    detail: str


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff for transient failures."""

    max_attempts: int = 6
    initial_s: float = 0.2
    max_s: float = 5.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after the given failed attempt (1-based)."""
        return float(min(self.max_s, self.initial_s * 2 ** (attempt - 1)))


DeadLetterSink = Callable[[DeadLetter], Awaitable[None]]


@dataclass
class Dispatcher:
    """Routes decoded events to handlers by event class (``allwan_runtime.handlers``).

    Known event types without a handler are ignored (a topic carries several types); a type
    no contract defines is poison."""

    handlers: Mapping[type[Event], Handler]
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    busy_since: float | None = None

    async def dispatch(self, raw: bytes, dead_letter: DeadLetterSink) -> Outcome:
        """Process one record value; see the module docstring for the rules."""
        try:
            envelope = decode(raw)
            # A type no contract defines is poison; an upcast event is of its latest class.
            handler = self.handlers.get(event_class(envelope.event_type))
            if handler is None:
                return Outcome.IGNORED
            event = read_event(envelope)
        except ContractError as error:
            await dead_letter(DeadLetter(reason=error.reason, detail=str(error)))
            return Outcome.DEAD_LETTERED
        return await self._call(handler, envelope, event, dead_letter)

    async def _call(
        self, handler: Handler, envelope: Envelope, event: Event, dead_letter: DeadLetterSink
    ) -> Outcome:
        self.busy_since = time.monotonic()
        try:
            for attempt in range(1, self.retry.max_attempts + 1):
                try:
                    await handler(envelope, event)
                except Exception as error:
                    if not is_transient(error):  # a bug or bad data: poison
                        await dead_letter(
                            DeadLetter(reason="handler_error", detail=type(error).__name__)
                        )
                        return Outcome.DEAD_LETTERED
                    log.warning(
                        "consumer.transient_failure",
                        event_type=envelope.event_type,
                        event_id=str(envelope.event_id),
                        attempt=attempt,
                        error=type(error).__name__,
                    )
                    if attempt == self.retry.max_attempts:
                        raise StillFailing(envelope.event_type) from error
                    await asyncio.sleep(self.retry.delay(attempt))
                else:
                    return Outcome.HANDLED
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            self.busy_since = None

    def stuck_for(self) -> float:
        """Seconds the current record has been failing or running, 0 when idle."""
        return 0.0 if self.busy_since is None else time.monotonic() - self.busy_since
