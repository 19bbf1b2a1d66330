"""The breach register (S2; PDPL: the regulator is told within 72 hours): staff open a breach,
record the regulator's notification, have the affected customers told, close it; staff and
the regulator read it.

Each command is a staff request over HTTP, retried at will: a repeated command with the same
details changes nothing and answers the breach as it is. Telling the customers records one
``BreachNoticeRequested`` per customer (each on its own stream, once) BEFORE the breach's own
``BreachCustomersNotified``: a retry after a crash part-way records the notices still owed,
and nobody's twice.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from allwan_contracts.accountability import Breach as BreachView
from allwan_contracts.accountability import (
    BreachList,
    BreachReport,
    BreachRequest,
    ClosureRequest,
    CustomerNotificationRequest,
    RegulatorNotificationRequest,
)
from allwan_contracts.breaches import (
    AffectedCustomers,
    BreachNotice,
    BreachNoticeRequested,
    BreachState,
    notice_id,
)
from allwan_runtime.eventstore import ConcurrencyConflict

from allwan_privacy.domain import breach_view
from allwan_privacy.domain.breach import Breach, breach_id_for, check_detection
from allwan_privacy.domain.breach_rules import BreachStats, WrongState, is_overdue, register_stats
from allwan_privacy.handlers.accountability_ports import BreachDeps, Register
from allwan_privacy.handlers.clock import Lease, OverdueLog

log = structlog.get_logger(__name__)

_ATTEMPTS = 3
_NOTICES_AT_ONCE = 50


async def open_breach(request: BreachRequest, *, key: str, by: str, deps: BreachDeps) -> Breach:
    """Register a breach under ``key`` (its id derives from it), the affected customers
    resolved once, now: by id, or every customer with an order placed in the window."""

    async def opening(breach: Breach, now: datetime) -> bool:
        if breach.opened is not None:  # the same request sent again
            breach.check_retry_of_opening(request)
            return False
        check_detection(request, now)
        count = await deps.affected.keep(breach.id, await _affected(request.affected, deps))
        breach.open(request, affected_count=count, by=by, now=now)
        return True

    return await _transition(breach_id_for(key), opening, deps)


async def notify_regulator(
    breach_id: str, request: RegulatorNotificationRequest, *, by: str, deps: BreachDeps
) -> Breach:
    """The regulator was told of the breach (its acknowledgement as ``reference``)."""

    async def notifying(breach: Breach, now: datetime) -> bool:
        return breach.notify_regulator(request.reference, request.notified_at, by=by, now=now)

    return await _transition(breach_id, notifying, deps)


async def close_breach(
    breach_id: str, request: ClosureRequest, *, by: str, deps: BreachDeps
) -> Breach:
    """Close the breach, once the regulator knows (and the customers, if they were told)."""

    async def closing(breach: Breach, now: datetime) -> bool:
        return breach.close(request.summary, by=by, now=now)

    return await _transition(breach_id, closing, deps)


async def notify_customers(
    breach_id: str, request: CustomerNotificationRequest, *, by: str, deps: BreachDeps
) -> Breach:
    """Have every affected customer told ``request.notice``, in their language, once: the
    notifier emails each ``BreachNoticeRequested``."""
    notice = request.notice

    async def notifying(breach: Breach, now: datetime) -> bool:
        if not breach.customers_to_notify(notice):
            return False
        customers = await deps.affected.of(breach_id)
        await _record_notices(breach, customers, notice, now, deps)
        breach.notify_customers(notice, len(customers), by=by, now=now)
        return True

    return await _transition(breach_id, notifying, deps)


async def breach_now(breach_id: str, deps: BreachDeps) -> BreachView:
    """The breach now; ``UnknownBreach`` if none is registered under ``breach_id``."""
    return breach_view.view(await deps.breaches.get(breach_id), deps.clock())


async def breach_register(
    deps: BreachDeps, *, state: BreachState | None = None, overdue: bool | None = None
) -> BreachList:
    """The register now: overdue breaches first, then by nearest deadline."""
    registered = await deps.register.breaches()
    loaded = await asyncio.gather(*(deps.breaches.get(seen.breach_id) for seen in registered))
    return breach_view.register(loaded, deps.clock(), state=state, overdue=overdue)


async def breach_report(breach_id: str, deps: BreachDeps) -> BreachReport:
    """The breach as the regulator is told of it, naming the controller and its contact."""
    return breach_view.report(
        await deps.breaches.get(breach_id),
        controller=deps.controller,
        contact_email=deps.contact_email,
        now=deps.clock(),
    )


@dataclass(frozen=True)
class BreachWatch:
    """What the breach job needs: the register, the overdue notes, the lease, and where the
    counts go (``None``: this replica does not count now)."""

    register: Register
    overdue_log: OverdueLog
    lease: Lease
    report: Callable[[BreachStats | None], None]
    clock: Callable[[], datetime]


async def watch_breaches(watch: BreachWatch) -> BreachStats | None:
    """Count the register for the metrics, and log each breach past the regulator's deadline
    as an error once per late day (its id and how late, nothing else), if this replica holds
    the lease."""
    if not await watch.lease.hold():
        watch.report(None)
        return None
    now = watch.clock()
    registered = await watch.register.breaches()
    for seen in registered:
        if not is_overdue(seen.state, seen.regulator_deadline, now):
            continue
        days = (now - seen.regulator_deadline) // timedelta(days=1) + 1
        if await watch.overdue_log.first_notice(seen.breach_id, days):
            log.error("privacy.breach_overdue", breach_id=seen.breach_id, days_overdue=days)
    stats = register_stats(registered, now)
    watch.report(stats)
    return stats


async def _transition(
    breach_id: str, command: Callable[[Breach, datetime], Awaitable[bool]], deps: BreachDeps
) -> Breach:
    """Run ``command`` on the breach as stored and save what it recorded; again on a fresh
    load if another request moved the breach meanwhile (the same command sent twice: the
    second finds it done and records nothing)."""
    for attempt in range(1, _ATTEMPTS + 1):
        breach = await deps.breaches.get(breach_id)
        if not await command(breach, deps.clock()):
            return breach
        try:
            await deps.breaches.save(breach, correlation_id=uuid.uuid4())
        except ConcurrencyConflict:
            if attempt == _ATTEMPTS:
                raise
            continue
        log.info("privacy.breach_moved", breach_id=breach_id, state=str(breach.state))
        return breach
    raise AssertionError("unreachable")  # pragma: no cover


async def _affected(affected: AffectedCustomers, deps: BreachDeps) -> list[str]:
    if affected.customer_ids is not None:
        return list(affected.customer_ids)
    if affected.ordered_from is None or affected.ordered_until is None:
        raise ValueError("an order window has a start and an end")  # the contract ensures it
    return await deps.activity.ordered_between(affected.ordered_from, affected.ordered_until)


async def _record_notices(
    breach: Breach, customers: Sequence[str], notice: BreachNotice, now: datetime, deps: BreachDeps
) -> None:
    """One notice per customer, each recorded once; the first customer's goes alone first,
    so a notification another attempt left part-way shows there with its text."""
    if not customers:
        return
    correlation = uuid.uuid4()
    first, rest = customers[0], customers[1:]
    if not await deps.recorder.first(breach.notice_for(first, notice, now), correlation):
        earlier = await deps.recorded.first_of(BreachNoticeRequested, notice_id(breach.id, first))
        if earlier is not None and earlier.notice != notice:
            raise WrongState("the customers are being told another notice")
    for start in range(0, len(rest), _NOTICES_AT_ONCE):
        chunk = rest[start : start + _NOTICES_AT_ONCE]
        await asyncio.gather(
            *(deps.recorder.first(breach.notice_for(c, notice, now), correlation) for c in chunk)
        )
