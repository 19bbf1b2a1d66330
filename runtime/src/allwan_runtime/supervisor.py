"""Restart a consumer that stopped reading, instead of leaving it stuck until someone notices.

After a broker restart the Kafka client can stop for good while the process looks healthy
(seen with aiokafka 0.14: a group whose offset commit failed during the outage never found
its coordinator again; another found it and never rejoined), and FastStream's loop fetches
nothing; its group coordination can also end on an error it does not expect. Readiness turns
red (``health.LagProbe``), but nothing would bring the consumer back: liveness is green, and
a restart of the pod is the operator's job. The supervisor does it in process: when the
coordination task is gone, its group has had no coordinator for ``COORDINATOR_LOST_S`` while
the broker answers, or the consumer has had records to read and moved on none of its
partitions for ``restart_after_s`` while no handler was busy, or its consume loop ended (which
FastStream restarts with the same client), it stops the subscriber (its
uncommitted records are delivered again: at-least-once) and starts it afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer

from allwan_runtime.client_state import (
    consume_loop_ended,
    coordination_failed,
    coordination_state,
    coordinator_search,
    metadata_refresh_ended,
)
from allwan_runtime.health import LagProbe
from allwan_runtime.periodic import PeriodicTask

log = structlog.get_logger(__name__)
_STOP_TIMEOUT_S = 10.0
"""Long enough for a wedged client to be closed (it leaves its group): one dropped while still
open stays a member, and without static membership takes partitions it never reads."""
_STATIC_STOP_TIMEOUT_S = 2.0
"""A static member never leaves its group (KIP-345): the new client, under the same instance
id, takes its place at once. A client that lost its coordinator cannot close (aiokafka waits
for its coordination to end), and waiting the dynamic bound for it kept the group down 10 s."""
COORDINATOR_LOST_S = 4.0
"""A group without a coordinator this long while the broker answers is stuck: the others
find theirs within a second of a restarted broker answering."""
_PROBE_TIMEOUT_S = 5.0
_START_TIMEOUT_S = 30.0
_METADATA_TIMEOUT_S = 2.0


class ConsumerSupervisor:
    """Watches one FastStream Kafka subscriber; ``check`` restarts it when it stopped reading."""

    def __init__(
        self,
        group: str,
        subscriber: Any,
        handler_busy_for: Callable[[], float],
        restart_after_s: float,
        *,
        static_member: bool = False,
    ) -> None:
        self.group = group
        self.restarts = 0
        self._stop_timeout_s = _STATIC_STOP_TIMEOUT_S if static_member else _STOP_TIMEOUT_S
        self._subscriber = subscriber
        self._busy_for = handler_busy_for
        self._stalled = self._probe(restart_after_s)
        self._start_pending = False
        self._coordinator_lost_at: float | None = None
        self._coordinator_token: object | None = None
        self._restarting: asyncio.Task[None] | None = None

    def _probe(self, stuck_after_s: float) -> LagProbe:
        # The broker's end offsets: a wedged loop stops the client fetching, so the client's
        # own high watermark would show no lag.
        return LagProbe(
            lambda: getattr(self._subscriber, "consumer", None), stuck_after_s, ask_broker=True
        )

    async def check(self, broker_answers: bool = True) -> None:
        """Restart the subscriber if its coordination died or it stalled; else do nothing.

        Never while the broker does not answer: a new client would meet the same outage, and
        starting one against a frozen broker can hang. A restart whose start failed is
        retried at the next check.
        """
        if not broker_answers:
            # Time without the broker is not time without progress: the clock of a stall
            # starts when it answers again, so a client that is only slow to come back is
            # not restarted, and one that stays stuck is restarted ``restart_after_s`` later.
            self._stalled.restart_clock()
            self._coordinator_lost_at = self._coordinator_token = None
            return
        if self._restarting is not None and not self._restarting.done():
            return  # a restart under way is not judged again
        if self._start_pending:
            self._in_background(self._start())
            return
        consumer: AIOKafkaConsumer | None = getattr(self._subscriber, "consumer", None)
        if consumer is None or not getattr(self._subscriber, "running", False):
            return
        reason = consume_loop_ended(self._subscriber)
        failure = coordination_failed(consumer)
        if reason is None and failure is not None:
            reason = f"coordination ended: {type(failure).__name__}"
        reason = reason or metadata_refresh_ended(consumer) or self._coordinator_lost(consumer)
        if reason is None and self._busy_for() == 0:
            try:
                await asyncio.wait_for(self._stalled(), _PROBE_TIMEOUT_S)
            except RuntimeError as stalled:
                reason = str(stalled)
            except TimeoutError:
                log.warning("consumer.probe_timed_out", group=self.group)
        if reason is not None:
            self._in_background(self.restart(reason, **coordination_state(consumer)))

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        # A restart can take its start's whole timeout: the other consumers' checks must not
        # wait for it.
        self._restarting = asyncio.create_task(work, name=f"supervisor-{self.group}")

    async def settled(self) -> None:
        """Return once a restart under way (if any) has ended."""
        if self._restarting is not None:
            with contextlib.suppress(Exception):
                await self._restarting

    async def close(self) -> None:
        """Cancel a restart under way (at shutdown)."""
        if self._restarting is not None and not self._restarting.done():
            self._restarting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._restarting

    def _coordinator_lost(self, consumer: AIOKafkaConsumer) -> str | None:
        # Seen after Kafka restarts (aiokafka 0.14): a group marks its coordinator dead when
        # the broker goes, and its coordination never looks for it again, so it fetches and
        # commits nothing while the broker answers everyone else. A group that keeps finding
        # its coordinator and losing it again (a broker still loading its groups) is looking:
        # it is left to it.
        token = coordinator_search(consumer)
        now = time.monotonic()
        if token is None or token is not self._coordinator_token:
            self._coordinator_token = token
            self._coordinator_lost_at = None if token is None else now
            return None
        assert self._coordinator_lost_at is not None
        lost_for = now - self._coordinator_lost_at
        if lost_for < COORDINATOR_LOST_S:
            return None
        return f"no group coordinator for {lost_for:.0f}s while the broker answers"

    async def restart(self, reason: str, **where: Any) -> None:
        """Stop the subscriber (bounded) and start it again with a new Kafka client."""
        log.warning("consumer.restarting", group=self.group, reason=reason, **where)
        try:
            await asyncio.wait_for(self._subscriber.stop(), self._stop_timeout_s)
        except (TimeoutError, Exception) as error:  # a wedged client must not keep it down
            log.warning("consumer.stop_failed", group=self.group, error=type(error).__name__)
            self._subscriber.consumer = None
        self._start_pending = True
        await self._start()

    async def _start(self) -> None:
        try:
            await asyncio.wait_for(self._subscriber.start(), _START_TIMEOUT_S)
        except (TimeoutError, Exception) as error:  # tried again at the next check
            log.warning("consumer.start_failed", group=self.group, error=type(error).__name__)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._subscriber.stop(), self._stop_timeout_s)
            return
        self._start_pending = False
        self._coordinator_lost_at = self._coordinator_token = None
        self._stalled = self._probe(self._stalled.stuck_after_s)
        self.restarts += 1
        log.info("consumer.restarted", group=self.group, restarts=self.restarts)


class Supervision:
    """Every consumer's supervisor, all checked every ``interval_s`` seconds at once.

    ``broker_answers`` raises when the broker answers no metadata request: then no consumer
    is restarted (a new client would meet the same outage).
    """

    def __init__(self, interval_s: float, broker_answers: Callable[[], Awaitable[None]]) -> None:
        self.supervisors: list[ConsumerSupervisor] = []
        self._broker_answers = broker_answers
        self._task = PeriodicTask("consumer-supervisor", self._check, interval_s)

    def add(self, supervisor: ConsumerSupervisor) -> None:
        self.supervisors.append(supervisor)

    async def start(self) -> None:
        if self.supervisors:
            await self._task.start()

    async def stop(self) -> None:
        await self._task.stop()
        await asyncio.gather(*(supervisor.close() for supervisor in self.supervisors))

    async def _check(self) -> None:
        try:
            await asyncio.wait_for(self._broker_answers(), _METADATA_TIMEOUT_S)
            answers = True
        except Exception:  # any failure means: not now
            answers = False
        await asyncio.gather(*(supervisor.check(answers) for supervisor in self.supervisors))
