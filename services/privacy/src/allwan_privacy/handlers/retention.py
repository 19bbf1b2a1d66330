"""The retention job and its preview (PDPL: data destroyed once its purpose ended; P3).

For the schedule's ``erase_customer`` rule, one run looks at every customer not erased whose
orders are all over (``domain.retention.last_activity``) and at the case counted from that
instant (``case_id``): past the notice date, the customer is told once
(``RetentionNoticeRequested``: the notifier emails them); once the notice and the period are
over with no new activity, the period is declared ended (``RetentionPeriodEnded``, with its
rule) and the consent service is asked to erase them (``ErasureRequested`` with reason
``retention_ended``: crypto-shredding, as for a customer's own request). New activity makes a
new case; the old one is never ended. Each step is recorded once, whatever the number of runs or
replicas: the notice first on its case's stream, the end as the case's second event, the
erasure request first on the customer's intake stream (a customer is erased once). A run that
stops half-way is finished by the next.

The schedule's other rules are applied by the code each one names (``applied_by``); the job
leaves them alone and the preview counts nothing for them. The preview runs the same decisions
and records nothing: counts only, never who.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog
from allwan_contracts import new_envelope, read_event
from allwan_contracts.accountability import RetentionPreviewItem, RetentionView
from allwan_contracts.customers import ErasureReason
from allwan_contracts.fields import utc_now
from allwan_contracts.intake import ErasureRequested
from allwan_contracts.retention import (
    RetentionNoticeRequested,
    RetentionPeriodEnded,
    case_id,
)
from allwan_runtime.eventstore import ConcurrencyConflict, Streams, stream_id
from allwan_runtime.recorder import EventRecorder

from allwan_privacy.domain.retention import (
    Case,
    CustomerActivity,
    Schedule,
    Step,
    erase_after,
    last_activity,
    next_step,
)

log = structlog.get_logger(__name__)

CASE = RetentionNoticeRequested.aggregate_type


class Activity(Protocol):
    """Customers' orders as the rule sees them (``adapters.activity.MongoActivity``)."""

    def customers(self) -> AsyncIterator[CustomerActivity]: ...


class Lease(Protocol):
    async def hold(self) -> bool: ...


@dataclass(frozen=True)
class Tally:
    """What a run did, or the preview found due: customers told, erased, still in notice."""

    notices: int = 0
    erasures: int = 0
    in_notice: int = 0


@dataclass(frozen=True)
class Due:
    """One customer's case now."""

    customer_id: str
    case_id: str
    last_activity: datetime
    case: Case
    step: Step


@dataclass(frozen=True)
class RetentionService:
    """The job (``run``, ``apply``) and the staff's view (``view``) over one schedule.

    ``store``: the service's event store, where cases and erasure requests are recorded as
    ``producer``; ``lease``: one replica at a time runs the job; ``clock``: the time, injected
    so that tests move it.
    """

    schedule: Schedule
    activity: Activity
    store: Streams
    producer: str
    lease: Lease
    clock: Callable[[], datetime] = utc_now

    async def view(self, now: datetime) -> RetentionView:
        """The schedule and what a run at ``now`` would do, per rule (counts only)."""
        tally = Tally()
        async for due in self.due(now):
            tally = _counted(tally, due.step)
        rule = self.schedule.erasure.name
        preview = [
            RetentionPreviewItem(
                rule=item.name,
                notices_due=tally.notices if item.name == rule else 0,
                erasures_due=tally.erasures if item.name == rule else 0,
                in_notice=tally.in_notice if item.name == rule else 0,
            )
            for item in self.schedule.rules
        ]
        return RetentionView(schedule=list(self.schedule.rules), preview=preview, previewed_at=now)

    async def run(self, stopping: asyncio.Event | None = None) -> Tally | None:
        """One run of the periodic job, if this replica holds the lease; what it did."""
        if not await self.lease.hold():
            return None
        tally = await self.apply(self.clock(), stopping)
        log.info(
            "retention.run",
            rule=self.schedule.erasure.name,
            notices=tally.notices,
            erasures=tally.erasures,
            in_notice=tally.in_notice,
        )
        return tally

    async def apply(self, now: datetime, stopping: asyncio.Event | None = None) -> Tally:
        """Record what is due at ``now`` for every customer; stops between two customers once
        ``stopping`` is set (the service is shutting down)."""
        tally = Tally()
        async with contextlib.aclosing(self.due(now)) as cases:  # a stop closes the scan
            async for due in cases:
                if stopping is not None and stopping.is_set():
                    break
                acted = await self._act(due, now)
                if acted or due.step is Step.IN_NOTICE:
                    tally = _counted(tally, due.step)
        return tally

    async def due(self, now: datetime) -> AsyncGenerator[Due, None]:
        """Every customer whose case needs a look at ``now`` (past the notice date)."""
        rule = self.schedule.erasure
        async for customer in self.activity.customers():
            last = last_activity(customer.orders, now)
            if last is None:
                continue
            case = case_id(customer.customer_id, rule.name, last)
            step = next_step(rule, last, Case(), now)
            if step is not Step.NONE:  # the notice is due: what the case holds decides
                found = await self._case(case)
                step = next_step(rule, last, found, now)
                yield Due(customer.customer_id, case, last, found, step)

    async def _case(self, case: str) -> Case:
        events = [read_event(envelope) for envelope in await self.store.load(_stream(case))]
        notice = next((e for e in events if isinstance(e, RetentionNoticeRequested)), None)
        ended = any(isinstance(e, RetentionPeriodEnded) for e in events)
        return Case(notice.erase_after if notice else None, ended)

    async def _act(self, due: Due, now: datetime) -> bool:
        """Record the step ``due`` needs; False if another run recorded it first."""
        rule = self.schedule.erasure
        # Every event of a case carries its id as correlation: one thread from the notice to
        # the consent service's erasure.
        correlation = uuid.UUID(due.case_id)
        recorder = EventRecorder(self.store, self.producer)
        if due.step is Step.NOTICE:
            notice = RetentionNoticeRequested(
                case_id=due.case_id,
                customer_id=due.customer_id,
                rule=rule.name,
                last_activity=due.last_activity,
                erase_after=erase_after(rule, due.last_activity, now),
                at=now,
            )
            told = await recorder.first(notice, correlation)
            if told:
                log.info("retention.notice_requested", case_id=due.case_id, rule=rule.name)
            return told
        if due.step is Step.ERASE:
            ended = RetentionPeriodEnded(
                case_id=due.case_id,
                customer_id=due.customer_id,
                rule=rule.name,
                last_activity=due.last_activity,
                at=now,
            )
            envelope = new_envelope(
                ended, aggregate_version=2, producer=self.producer, correlation_id=correlation
            )
            try:
                await self.store.append([envelope], expected_version=1)
            except ConcurrencyConflict:
                return False  # another run ended it; it asks for the erasure too
            log.info("retention.period_ended", case_id=due.case_id, rule=rule.name)
        if due.step in (Step.ERASE, Step.ENDED):
            # Also for a case ended earlier: a run that stopped between the two finishes here.
            erasure = ErasureRequested(
                customer_id=due.customer_id,
                requested_by=f"service:{self.producer}",
                reason=ErasureReason.RETENTION_ENDED,
            )
            await recorder.first(erasure, correlation)
            return due.step is Step.ERASE
        return False


def _stream(case: str) -> str:
    return stream_id(CASE, case)


def _counted(tally: Tally, step: Step) -> Tally:
    return Tally(
        tally.notices + int(step is Step.NOTICE),
        tally.erasures + int(step is Step.ERASE),
        tally.in_notice + int(step is Step.IN_NOTICE),
    )
