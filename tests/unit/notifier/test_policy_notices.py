"""PC2: a material change emails every customer once, in their language; the fan-out runs
outside the consumer, resumes after a crash and waits out the SMTP server."""

from __future__ import annotations

import asyncio

from allwan_contracts import PolicyContact, PolicyDocumentPublished
from allwan_notifier.domain.deliveries import Kind, SkipReason, State, delivery_id
from allwan_notifier.domain.fanout import FanoutJob, Phase, policy_job_id
from allwan_notifier.domain.messages import PolicyNotice
from allwan_notifier.domain.recipients import ConsentStatus
from allwan_notifier.handlers.deliver import deliver
from allwan_notifier.handlers.fanout import run_fanouts, run_job
from allwan_notifier.handlers.policies import keep_policy_contact, schedule_policy_notice
from allwan_runtime.periodic import PeriodicTask

from tests.unit.notifier.conftest import WITHDRAWAL, World
from tests.unit.notifier.fakes import (
    CONTACT,
    WHEN,
    deferred,
    envelope,
    policy_changed,
)
from tests.waiting import eventually


async def schedule(world: World, version: int, *, material: bool = True) -> None:
    changed = policy_changed(version, material=material)
    await schedule_policy_notice(changed, envelope(changed, version=version), world.deps)


async def test_pc2_a_material_change_records_one_job_and_wakes_the_worker(world: World) -> None:
    await world.customer("c-1")

    await schedule(world, 2)
    await schedule(world, 2)  # redelivered

    assert list(world.jobs.jobs) == ["policy:2"]
    assert world.sender.sent == []  # the handler never sends: the worker does
    assert world.woken == 2


async def test_pc2_a_non_material_change_schedules_nothing(world: World) -> None:
    await world.customer("c-1")

    await schedule(world, 2, material=False)

    assert world.jobs.jobs == {}
    assert world.woken == 0


async def test_ct1_the_notice_carries_the_contact_published_with_its_version(world: World) -> None:
    published_contact = PolicyContact(
        phone="0111111111", whatsapp="0563120415", email="dpo@example.com"
    )
    document = envelope_document(2, published_contact)
    await keep_policy_contact(document, envelope(document), world.deps)

    await schedule(world, 2)

    notice = world.jobs.jobs["policy:2"].notice
    assert notice is not None
    assert notice.contact == published_contact
    assert notice.withdrawal.email == "dpo@example.com"


async def test_pc2_every_customer_gets_one_notice_in_their_language(world: World) -> None:
    arabic = [await world.customer(f"c-ar-{n}", "ar") for n in range(5)]
    english = [await world.customer(f"c-en-{n}", "en") for n in range(4)]
    unknown = await world.customer("c-none", None)  # no language given: the store's

    await schedule(world, 3)
    job = await world.run("policy:3")

    assert job.phase is Phase.DONE
    assert (job.total, job.sent, job.tally.pending) == (10, 10, 0)
    assert sorted(mail.to for mail in world.sender.sent) == sorted([*arabic, *english, unknown])
    for address in [*arabic, unknown]:
        (mail,) = world.sender.to(address)
        assert mail.locale == "ar"
        assert 'dir="rtl"' in mail.html
    for address in english:
        (mail,) = world.sender.to(address)
        assert mail.locale == "en"
        assert "version 3" in mail.subject
    assert world.metrics.counts[("policy", "sent")] == 10


async def test_pc2_a_second_run_of_a_finished_notice_sends_nothing(world: World) -> None:
    await world.customer("c-1")
    await schedule(world, 3)
    await world.run("policy:3")

    again = await run_job(
        world.jobs.jobs["policy:3"].model_copy(update={"phase": Phase.ENUMERATING}),
        world.fanout,
        asyncio.Event(),
    )

    assert len(world.sender.sent) == 1
    assert again.sent == 1


async def test_pc2_after_a_crash_pending_and_sending_entries_go_out_once_sent_ones_not(
    world: World,
) -> None:
    for name in ("c-sent", "c-sending", "c-pending"):
        await world.customer(name)
    await schedule(world, 4)
    job = world.jobs.jobs["policy:4"]
    await world.jobs.save(job.model_copy(update={"phase": Phase.SENDING, "total": 3}))
    # The ledger as a process killed mid-fan-out leaves it.
    for name in ("c-sent", "c-sending", "c-pending"):
        await world.ledger.claim(job.entry_for(name, WHEN))
    for name in ("c-sent", "c-sending"):
        sending = job.entry_for(name, WHEN).moved(State.SENDING, attempts=1)
        await world.ledger.begin_attempt(sending)
    await world.ledger.finish(world.ledger.entries["policy:4:c-sent"].moved(State.SENT))

    resumed = await world.run("policy:4")

    assert sorted(mail.to for mail in world.sender.sent) == [
        "c-pending@example.com",
        "c-sending@example.com",
    ]
    (resent,) = world.sender.to("c-sending@example.com")
    assert resent.message_id == "<policy.4.c-sending@allwanstores.com>"
    assert world.ledger.entries["policy:4:c-sending"].attempts == 2  # proof: maybe twice
    assert (resumed.sent, resumed.tally.pending) == (3, 0)


async def test_pc2_the_smtp_server_away_then_back_every_notice_once(world: World) -> None:
    addresses = [await world.customer(f"c-{n}") for n in range(6)]
    world.sender.failures = deferred(4)
    await schedule(world, 5)

    job = await world.run("policy:5")

    assert sorted(mail.to for mail in world.sender.sent) == sorted(addresses)
    assert job.sent == 6
    assert world.metrics.counts[("policy", "deferred")] == 4


async def test_pc2_a_refused_address_is_recorded_failed_and_not_retried(world: World) -> None:
    refused = await world.customer("c-refused")
    await world.customer("c-ok")
    world.sender.refused.add(refused)
    await schedule(world, 6)

    job = await world.run("policy:6")

    entry = world.ledger.entries[delivery_id(Kind.POLICY, 6, "c-refused")]
    assert (entry.state, entry.reason) == (State.FAILED, "smtp_550")
    assert (job.sent, job.failed, job.tally.pending) == (1, 1, 0)
    assert world.sender.attempts == 2


async def test_pc2_an_erased_customer_gets_nothing_and_is_redacted(world: World) -> None:
    await world.customer("c-kept")
    await world.customer("c-gone")
    await world.secrets.shred("c-gone")  # key shredded; CustomerErased not yet seen
    await schedule(world, 7)

    job = await world.run("policy:7")

    assert [mail.to for mail in world.sender.sent] == ["c-kept@example.com"]
    entry = world.ledger.entries[delivery_id(Kind.POLICY, 7, "c-gone")]
    assert (entry.state, entry.reason) == (State.SKIPPED, SkipReason.ERASED)
    assert world.book.redacted == ["c-gone"]
    assert (job.sent, job.skipped) == (1, 1)


async def test_pc2_a_customer_known_only_by_consent_is_counted_but_has_no_address(
    world: World,
) -> None:
    await world.book.record_consent("c-consent-only", "marketing", ConsentStatus.GRANTED, 1)
    await schedule(world, 8)

    job = await world.run("policy:8")

    entry = world.ledger.entries[delivery_id(Kind.POLICY, 8, "c-consent-only")]
    assert (entry.state, entry.reason) == (State.SKIPPED, SkipReason.NO_ADDRESS)
    assert job.total == 1


async def test_pc2_each_customer_is_claimed_once_though_the_audience_names_them_twice(
    world: World,
) -> None:
    await world.customer("c-both")
    await world.book.record_consent("c-both", "marketing", ConsentStatus.GRANTED, 1)
    await schedule(world, 9)

    job = await world.run("policy:9")

    assert job.total == 1
    assert len(world.sender.sent) == 1


async def test_pc2_a_stopped_fanout_leaves_the_rest_pending_for_the_next_run(
    world: World,
) -> None:
    for n in range(5):
        await world.customer(f"c-{n}")
    await schedule(world, 10)
    stop = asyncio.Event()
    stop.set()

    stopped = await run_job(world.jobs.jobs["policy:10"], world.fanout, stop)

    assert stopped.phase is Phase.SENDING
    assert world.sender.sent == []
    assert (stopped.total, stopped.tally.pending) == (5, 5)
    finished = await world.run("policy:10")
    assert (finished.phase, finished.sent) == (Phase.DONE, 5)


async def test_pc2_stopping_the_worker_stops_a_running_fanout_between_two_messages(
    world: World,
) -> None:
    for n in range(20):
        await world.customer(f"c-{n:02d}")
    await schedule(world, 14)
    world.sender.gate = asyncio.Event()  # a slow server: every lane waits in a send
    worker = PeriodicTask("fanout", lambda: run_fanouts(world.fanout, worker.stopping), 60)
    await worker.start()
    await eventually(lambda: _waiting(world, world.fanout.lanes), timeout=5)

    stopping = asyncio.create_task(worker.stop())
    await eventually(lambda: _is_set(worker.stopping), timeout=5)
    world.sender.gate.set()
    await asyncio.wait_for(stopping, 5)

    job = world.jobs.jobs["policy:14"]
    assert len(world.sender.sent) == world.fanout.lanes  # the sends under way, no more
    assert job.phase is Phase.SENDING
    assert (job.total, job.tally.pending) == (20, 20 - world.fanout.lanes)


async def _waiting(world: World, lanes: int) -> bool:
    return world.sender.waiting == lanes


async def _is_set(event: asyncio.Event) -> bool:
    return event.is_set()


async def test_pc2_without_the_lease_the_worker_leaves_jobs_to_the_holder(world: World) -> None:
    await world.customer("c-1")
    await schedule(world, 11)
    world.lease.held = False

    assert await run_fanouts(world.fanout, asyncio.Event()) == 0
    assert world.sender.sent == []

    world.lease.held = True
    assert await run_fanouts(world.fanout, asyncio.Event()) == 1
    assert len(world.sender.sent) == 1


async def test_pc2_a_send_whose_record_fails_stays_sending_to_be_sent_again(
    world: World,
) -> None:
    await world.customer("c-1")
    await schedule(world, 12)
    world.ledger.fail_outcome = State.SENT  # MongoDB gone between the 250 and the record
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, stop.set)

    job = await run_job(world.jobs.jobs["policy:12"], world.fanout, stop)

    # The documented window: sent, not recorded, so the entry still owes its message.
    assert len(world.sender.sent) == 1
    entry = world.ledger.entries[delivery_id(Kind.POLICY, 12, "c-1")]
    assert entry.state is State.SENDING
    assert job.phase is Phase.SENDING


async def test_pc2_of_two_workers_at_one_attempt_only_one_sends(world: World) -> None:
    await world.customer("c-1")
    await schedule(world, 13)
    job = world.jobs.jobs["policy:13"]
    assert job.notice is not None
    entry = job.entry_for("c-1", WHEN)
    await world.ledger.claim(entry)
    # Another worker (a lease hand-over) is in the middle of attempt 1.
    await world.ledger.begin_attempt(entry.moved(State.SENDING, attempts=1))

    result = await deliver(entry, job.notice, await world.book.recipient("c-1"), world.deps)

    assert world.sender.sent == []
    assert result.state is State.PENDING  # left to the one whose attempt it is


def envelope_document(version: int, contact: PolicyContact) -> PolicyDocumentPublished:
    return PolicyDocumentPublished(
        version=version,
        text_ar="نص السياسة",
        text_en="Policy text",
        contact=contact,
        published_by="staff:1",
    )


def test_a_job_owes_each_customer_one_entry_named_after_both() -> None:
    notice = PolicyNotice.of(policy_changed(3, material=True), CONTACT, WITHDRAWAL)
    job = FanoutJob.for_policy(notice, WHEN)

    assert job.id == policy_job_id(3) == "policy:3"
    assert job.entry_for("c-1", WHEN).id == "policy:3:c-1"
    assert job.entry_for("c-1", WHEN).job == "policy:3"
