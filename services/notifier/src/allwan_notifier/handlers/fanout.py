"""The fan-out worker: one message to a whole audience, outside the consumers.

See ``domain.fanout`` for the phases. One worker at a time runs fan-outs (a lease), so the
job's tally has a single writer; the ledger's claims keep each customer's message single even
where two workers overlap at a hand-over. Messages go out on ``lanes`` concurrent deliveries
(the sender holds them to its SMTP connections) at the pace of the sender's token bucket. A
lane whose message the server defers waits with backoff and tries the same entry again, so an
SMTP outage pauses the fan-out and loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import structlog
from allwan_runtime.dispatch import RetryPolicy, is_transient

from allwan_notifier.domain.deliveries import (
    Delivery,
    Kind,
    SkipReason,
    State,
    Tally,
    must_send,
)
from allwan_notifier.domain.fanout import FanoutJob, Phase
from allwan_notifier.domain.messages import Letter
from allwan_notifier.handlers.deliver import accepted_before, deliver, finish
from allwan_notifier.handlers.marketing import Refusal, marketing_message
from allwan_notifier.handlers.ports import Deps, Lease

log = structlog.get_logger(__name__)
CLAIM_BATCH = 500


@dataclass(frozen=True)
class Fanout:
    """The worker's dependencies: the handlers' ``deps``, the lease, and its pace.

    ``retry`` spaces the attempts at one deferred entry; their number is not limited (its
    ``max_attempts`` is not used): a lane waits out an SMTP outage until the worker stops.
    """

    deps: Deps
    lease: Lease
    refusal: Refusal
    lanes: int
    retry: RetryPolicy
    progress_interval_s: float


async def run_fanouts(fanout: Fanout, stop: asyncio.Event) -> int:
    """Run every unfinished job, oldest first, while this worker holds the lease; how many
    jobs it finished. ``stop`` is the worker's ``PeriodicTask.stopping``: read between two
    messages, so a shutdown never waits for a whole fan-out."""
    finished = 0
    for job in sorted(await fanout.deps.jobs.unfinished(), key=lambda job: job.created_at):
        if stop.is_set() or not await fanout.lease.hold():
            break
        ran = await run_job(job, fanout, stop)
        finished += ran.phase is Phase.DONE
    return finished


async def run_job(job: FanoutJob, fanout: Fanout, stop: asyncio.Event) -> FanoutJob:
    """Take ``job`` from the phase it is in as far as it goes before ``stop``."""
    if job.phase is Phase.ENUMERATING:
        await enumerate_audience(job, fanout)
        job = await _saved(
            fanout, job, phase=Phase.SENDING, total=await fanout.deps.ledger.count_job(job.id)
        )
        log.info("notifier.fanout_enumerated", job=job.id, total=job.total)
    if job.phase is not Phase.SENDING:
        return job
    job, complete = await send_pass(job, fanout, stop)
    if not complete:
        return job
    # Customers whose first order reached the address book while the pass ran.
    if await enumerate_audience(job, fanout):
        job = await _saved(fanout, job, total=await fanout.deps.ledger.count_job(job.id))
        job, complete = await send_pass(job, fanout, stop)
        if not complete:
            return job
    job = await _saved(fanout, job, phase=Phase.DONE, finished_at=fanout.deps.clock())
    log.info("notifier.fanout_done", job=job.id, **job.tally.as_dict())
    return job


async def enumerate_audience(job: FanoutJob, fanout: Fanout) -> int:
    """Claim one ``pending`` entry per customer of the job's audience; how many were new."""
    book, ledger, now = fanout.deps.book, fanout.deps.ledger, fanout.deps.clock()
    audience = book.marketing_audience() if job.kind is Kind.MARKETING else book.relationships()
    new = 0
    batch: list[Delivery] = []
    async for customer_id in audience:
        batch.append(job.entry_for(customer_id, now))
        if len(batch) >= CLAIM_BATCH:
            new += await ledger.claim_many(batch)
            batch = []
    if batch:
        new += await ledger.claim_many(batch)
    return new


async def send_pass(job: FanoutJob, fanout: Fanout, stop: asyncio.Event) -> tuple[FanoutJob, bool]:
    """One pass over the job's entries, sending each that is owed; the job with its tally,
    and whether the pass went through every entry (not stopped, lease kept)."""
    tally = Tally(total=job.total)
    halt = asyncio.Event()
    queue: asyncio.Queue[Delivery | None] = asyncio.Queue(maxsize=fanout.lanes * 2)

    async def feed() -> None:
        nonlocal tally
        seen: set[str] = set()  # a cursor may meet an entry twice while it is being updated
        try:
            async for entry in fanout.deps.ledger.of_job(job.id):
                if entry.id in seen:
                    continue
                seen.add(entry.id)
                if not must_send(entry.state):
                    tally = tally.plus(entry.state)
                    continue
                if stop.is_set() or halt.is_set():
                    break
                await queue.put(entry)
        finally:
            for _ in range(fanout.lanes):
                await queue.put(None)

    async def lane() -> None:
        nonlocal tally
        while (entry := await queue.get()) is not None:
            if stop.is_set() or halt.is_set():
                continue
            state = await _send_until_done(job, entry, fanout, stop)
            if state is not None:
                tally = tally.plus(state)

    async def report() -> None:
        while True:
            await asyncio.sleep(fanout.progress_interval_s)
            await fanout.deps.jobs.save(_with_tally(job, tally))
            if not await fanout.lease.hold():
                log.warning("notifier.fanout_lease_lost", job=job.id)
                halt.set()

    reporter = asyncio.create_task(report())
    try:
        async with asyncio.TaskGroup() as group:  # one lane failing stops them all
            group.create_task(feed())
            for _ in range(fanout.lanes):
                group.create_task(lane())
    finally:
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reporter
    job = _with_tally(job, tally)
    await fanout.deps.jobs.save(job)
    complete = not (stop.is_set() or halt.is_set())
    return job, complete


async def _send_until_done(
    job: FanoutJob, entry: Delivery, fanout: Fanout, stop: asyncio.Event
) -> State | None:
    """Send one entry, waiting out deferrals; its final state, or None if stopped first."""
    attempt = 0
    while not stop.is_set():
        attempt += 1
        try:
            return (await send_entry(job, entry, fanout)).state
        except Exception as error:
            if not is_transient(error):  # a bug or bad data: the entry fails, the fan-out goes on
                log.exception("notifier.send_error", job=job.id, error=type(error).__name__)
                return await _record_error(entry, fanout, type(error).__name__)
            delay = fanout.retry.delay(attempt)
            log.info("notifier.send_deferred", job=job.id, error=type(error).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        latest = await fanout.deps.ledger.get(entry.id)
        entry = latest or entry
    return None


async def send_entry(job: FanoutJob, entry: Delivery, fanout: Fanout) -> Delivery:
    """The job's message to one customer: policy notice, or marketing if they still consent."""
    deps = fanout.deps
    recipient = await deps.book.recipient(entry.customer_id)
    letter: Letter
    if job.kind is Kind.MARKETING:
        assert job.marketing is not None
        if not (await deps.book.marketing_consent(entry.customer_id)).allows_marketing():
            # An earlier attempt's message may have gone before the withdrawal: then it is sent.
            sent = await accepted_before(entry, deps)
            return sent or await finish(deps, entry, State.SKIPPED, SkipReason.NOT_CONSENTED)  # K3
        letter = marketing_message(job.marketing, entry.customer_id, fanout.refusal, deps.secrets)
    else:
        assert job.notice is not None
        letter = job.notice
    return await deliver(entry, letter, recipient, deps)


async def _record_error(entry: Delivery, fanout: Fanout, error: str) -> State | None:
    deps = fanout.deps
    latest = await deps.ledger.get(entry.id) or entry
    if not must_send(latest.state):
        return latest.state
    with contextlib.suppress(Exception):
        return (await finish(deps, latest, State.FAILED, f"error:{error}")).state
    return None


async def _saved(fanout: Fanout, job: FanoutJob, **changes: object) -> FanoutJob:
    job = job.model_copy(update=changes)
    await fanout.deps.jobs.save(job)
    return job


def _with_tally(job: FanoutJob, tally: Tally) -> FanoutJob:
    return job.model_copy(
        update={"sent": tally.sent, "failed": tally.failed, "skipped": tally.skipped}
    )
