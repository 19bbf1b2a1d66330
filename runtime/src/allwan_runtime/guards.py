"""Wrappers a service puts around its handlers when it registers them.

- ``only_from``: a topic may carry records of producers a consumer must not obey (an intake
  topic written by anyone but the gateway, or another deployment sharing a test cluster);
  they are skipped and logged, not handled.
- ``retry_on_conflict``: two consumers of one service may write to the same stream at once;
  the loser of the optimistic-concurrency race runs its handler again, which reloads the
  aggregate. Handlers must therefore be idempotent, as at-least-once delivery needs anyway.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import structlog
from allwan_contracts.envelope import Envelope

from allwan_runtime.dispatch import Handler, TransientError
from allwan_runtime.eventstore import ConcurrencyConflict

log = structlog.get_logger(__name__)


def only_from(producers: Collection[str], handler: Handler) -> Handler:
    """Call ``handler`` only for envelopes whose ``producer`` is one of ``producers``."""
    allowed = frozenset(producers)

    async def guarded(envelope: Envelope, event: Any) -> None:
        if envelope.producer not in allowed:
            log.info(
                "consumer.foreign_producer_skipped",
                event_type=envelope.event_type,
                event_id=str(envelope.event_id),
                producer=envelope.producer,
            )
            return
        await handler(envelope, event)

    return guarded


def retry_on_conflict(handler: Handler, attempts: int = 5) -> Handler:
    """Run ``handler`` again when it lost a race for a stream (``ConcurrencyConflict``).

    After ``attempts`` lost races the conflict becomes a ``TransientError``, so the
    dispatcher's backoff takes over instead of dead-lettering the record.
    """

    async def retrying(envelope: Envelope, event: Any) -> None:
        for attempt in range(1, attempts + 1):
            try:
                await handler(envelope, event)
            except ConcurrencyConflict as conflict:
                if attempt == attempts:
                    raise TransientError(str(conflict)) from conflict
            else:
                return

    return retrying
