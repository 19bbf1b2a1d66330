"""The deadlines nobody sends an event for, looked at every few seconds by one replica (the one
holding the lease): exports past their days are destroyed, verified erasures whose grace
period is over start, WhatsApp erasures left unconfirmed for 24 hours are cancelled, and a
request past its due date is logged as an error once a day (PDPL: answered within 30 days).
The same look counts the open requests for the metrics.

The read model says what may be due; the aggregate decides whether it is, so a lagging read
model or a second replica's run changes nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import structlog
from allwan_contracts.privacy import (
    OPEN_STATES,
    PrivacyRequestKind,
)
from allwan_contracts.privacy import (
    PrivacyRequestState as State,
)
from allwan_runtime.eventstore import ConcurrencyConflict

from allwan_privacy.domain import deadlines
from allwan_privacy.domain.request import PrivacyRequest
from allwan_privacy.handlers.fulfilment import progress
from allwan_privacy.handlers.ports import Deps

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class OpenRequest:
    """What the read model knows of an open request, enough to see whether it is due."""

    request_id: str
    kind: PrivacyRequestKind
    state: State
    received_at: datetime
    deadline: datetime
    awaiting_confirmation: bool


@dataclass(frozen=True)
class RequestStats:
    """The open requests now: how many in each state, the earliest deadline, how many late."""

    open_by_state: Mapping[State, int] = field(default_factory=dict)
    oldest_deadline: datetime | None = None
    overdue: int = 0


class DueRequests(Protocol):
    async def open_requests(self) -> list[OpenRequest]: ...


class OverdueLog(Protocol):
    async def first_notice(self, request_id: str, day: int) -> bool:
        """True the first time a request is noted overdue on its ``day``-th late day."""
        ...


class Lease(Protocol):
    async def hold(self) -> bool: ...


@dataclass(frozen=True)
class Clock:
    """What the deadline job needs: the handlers' deps, the read model, the overdue notes,
    the lease, and where its counts go (``None``: this replica does not count now)."""

    deps: Deps
    due: DueRequests
    overdue_log: OverdueLog
    lease: Lease
    report: Callable[[RequestStats | None], None]


async def watch_deadlines(clock: Clock) -> RequestStats | None:
    """One look at every deadline, if this replica holds the lease; the counts it made."""
    if not await clock.lease.hold():
        clock.report(None)
        return None
    deps = clock.deps
    now = deps.clock()
    await destroy_expired_exports(deps, now)
    open_requests = await clock.due.open_requests()
    await start_due_erasures(deps, open_requests, now)
    await cancel_unconfirmed(deps, open_requests, now)
    stats = await note_overdue(clock.overdue_log, open_requests, now)
    clock.report(stats)
    return stats


async def destroy_expired_exports(deps: Deps, now: datetime) -> int:
    """Destroy every export past its days (``PrivacyExportDestroyed``); how many."""
    destroyed = 0
    for request_id in await deps.exports.expired(now):
        request = await deps.requests.get(request_id)
        if request.destroy_export(now) and not await _saved(request, deps):
            continue
        if request.export_destroyed:  # recorded first: a crash before the delete redoes it
            await deps.exports.drop(request_id)
            await deps.parts.drop(request_id)
            destroyed += 1
            log.info("privacy.export_destroyed", request_id=request_id)
    return destroyed


async def start_due_erasures(deps: Deps, open_requests: list[OpenRequest], now: datetime) -> int:
    """Start every verified erasure whose grace period is over; how many."""
    started = 0
    for seen in open_requests:
        if seen.kind is not PrivacyRequestKind.ERASURE or seen.state is not State.IDENTITY_VERIFIED:
            continue
        request = await deps.requests.get(seen.request_id)
        if not request.start_erasure(grace=deps.erasure_grace, now=now):
            continue
        try:
            await progress(request, None, deps, starting=True)
        except ConcurrencyConflict:
            continue  # cancelled or started meanwhile: the next look decides again
        started += 1
        log.info("privacy.erasure_started", request_id=request.id)
    return started


async def cancel_unconfirmed(deps: Deps, open_requests: list[OpenRequest], now: datetime) -> int:
    """Cancel the WhatsApp erasures nobody confirmed within 24 hours; how many."""
    cancelled = 0
    for seen in open_requests:
        if not seen.awaiting_confirmation or not deadlines.confirmation_expired(
            seen.received_at, now
        ):
            continue
        request = await deps.requests.get(seen.request_id)
        if not request.expire_unconfirmed(now) or not await _saved(request, deps):
            continue
        receipt = request.received()
        await deps.slots.release(receipt.customer_id, receipt.kind, request.id)
        cancelled += 1
        log.info("privacy.unconfirmed_erasure_cancelled", request_id=request.id)
    return cancelled


async def note_overdue(
    overdue_log: OverdueLog, open_requests: list[OpenRequest], now: datetime
) -> RequestStats:
    """Log each request past its deadline as an error, once per request and late day (the
    request's id and how late it is, never personal data); count the open requests."""
    by_state = dict.fromkeys(sorted(OPEN_STATES), 0)
    overdue = 0
    for seen in open_requests:
        by_state[seen.state] = by_state.get(seen.state, 0) + 1
        days = deadlines.days_overdue(seen.deadline, now)
        if days == 0:
            continue
        overdue += 1
        if await overdue_log.first_notice(seen.request_id, days):
            log.error(
                "privacy.request_overdue",
                request_id=seen.request_id,
                days_overdue=days,
                state=seen.state.value,
            )
    oldest = min((seen.deadline for seen in open_requests), default=None)
    return RequestStats(by_state, oldest, overdue)


async def _saved(request: PrivacyRequest, deps: Deps) -> bool:
    try:
        await deps.requests.save(request, correlation_id=uuid.uuid4())
    except ConcurrencyConflict:
        return False  # moved on meanwhile: the next look decides again
    return True
