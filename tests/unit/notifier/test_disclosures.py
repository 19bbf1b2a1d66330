"""P2, D3: every email the SMTP server accepts is a disclosure to the SMTP provider, recorded
once before the message counts as sent; a message refused or never sent discloses nothing."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from allwan_contracts import OrderPlaced
from allwan_contracts.disclosures import (
    DataCategory,
    LegalBasis,
    RecipientRole,
    disclosure_id,
)
from allwan_notifier.domain.deliveries import Kind, SkipReason, State
from allwan_notifier.domain.marketing import Campaign
from allwan_notifier.domain.recipients import ConsentStatus
from allwan_notifier.handlers.fanout import run_job, send_entry
from allwan_notifier.handlers.marketing import request_campaign
from allwan_notifier.handlers.policies import schedule_policy_notice
from allwan_notifier.handlers.transactional import send_receipt
from allwan_runtime.dispatch import is_transient
from allwan_runtime.eventstore import stream_id

from tests.unit.notifier.conftest import World
from tests.unit.notifier.fakes import WHEN, deferred, envelope, order_placed, policy_changed

CAMPAIGN = Campaign(
    campaign_id="autumn-26",
    subject_ar="عروض الخريف",
    subject_en="Autumn offers",
    body_ar="خصم على الباقات السنوية",
    body_en="Yearly plans on offer",
)


def placed(world: World, customer: str = "c-1") -> OrderPlaced:
    return order_placed(world.secrets, customer, f"{customer}@example.com", "en")


async def receipt(world: World, order: OrderPlaced) -> None:
    await send_receipt(order, envelope(order, producer="orders"), world.deps)


async def test_p2_d3_a_sent_email_is_one_disclosure_to_the_smtp_provider(world: World) -> None:
    order = placed(world)

    await receipt(world, order)
    await receipt(world, order)  # redelivered

    (disclosed,) = world.disclosures
    source = f"email:receipt:{order.order_id}"
    assert disclosed.disclosure_id == disclosure_id("smtp", source)
    assert (disclosed.customer_id, disclosed.source) == ("c-1", source)
    assert (disclosed.recipient, disclosed.role) == ("smtp", RecipientRole.PROCESSOR)
    assert disclosed.legal_basis is LegalBasis.PROCESSOR
    assert disclosed.categories == [DataCategory.EMAIL, DataCategory.MESSAGE_CONTENT]
    assert disclosed.purpose == "order_receipts"  # the purpose the address was opened for
    assert (disclosed.recorded_by, disclosed.at, disclosed.reference) == (
        "service:notifier",
        WHEN,
        None,
    )
    assert "c-1@example.com" not in disclosed.model_dump_json()


async def test_p2_the_disclosure_names_the_configured_smtp_provider(world: World) -> None:
    deps = dataclasses.replace(world.deps, smtp_recipient="smtp.mailgun")
    order = placed(world)

    await send_receipt(order, envelope(order, producer="orders"), deps)

    (disclosed,) = world.disclosures
    assert disclosed.recipient == "smtp.mailgun"
    assert disclosed.disclosure_id == disclosure_id("smtp.mailgun", disclosed.source)


async def test_p2_a_first_attempt_records_its_disclosure_without_reading_the_stream_first(
    world: World,
) -> None:
    await receipt(world, placed(world))

    (disclosed,) = world.disclosures
    assert stream_id("disclosure", disclosed.disclosure_id) not in world.store.loads


async def test_an_email_accepted_before_a_crash_is_marked_sent_on_the_retry_not_sent_again(
    world: World,
) -> None:
    order = placed(world)
    world.ledger.fail_outcome = State.SENT  # MongoDB gone between the 250 and the outcome

    with pytest.raises(ConnectionError):
        await receipt(world, order)
    (entry,) = world.ledger.of_kind(Kind.RECEIPT)
    assert entry.state is State.SENDING
    assert len(world.disclosures) == 1  # recorded before the outcome: never lost

    world.ledger.fail_outcome = None
    await receipt(world, order)  # redelivered: the disclosure says the server took it

    assert len(world.sender.sent) == 1
    (entry,) = world.ledger.of_kind(Kind.RECEIPT)
    assert (entry.state, entry.attempts) == (State.SENT, 1)
    assert entry.message_id == f"<receipt.{order.order_id}@allwanstores.com>"
    (disclosed,) = world.disclosures
    # A later attempt reads the stream: an earlier one may have recorded the disclosure.
    assert stream_id("disclosure", disclosed.disclosure_id) in world.store.loads
    assert world.metrics.counts[("receipt", "sent")] == 1


async def test_an_email_the_server_never_accepted_is_sent_again_on_the_retry(
    world: World,
) -> None:
    order = placed(world)
    world.sender.failures = [ConnectionResetError("dropped before the 250")]

    with pytest.raises(ConnectionResetError):
        await receipt(world, order)
    await receipt(world, order)

    assert len(world.sender.sent) == 1
    (entry,) = world.ledger.of_kind(Kind.RECEIPT)
    assert (entry.state, entry.attempts) == (State.SENT, 2)
    assert len(world.disclosures) == 1


async def test_a_policy_notice_accepted_before_a_crash_is_marked_sent_by_the_resumed_fanout(
    world: World,
) -> None:
    await world.customer("c-1")
    changed = policy_changed(7, material=True)
    await schedule_policy_notice(changed, envelope(changed, version=7), world.deps)
    job = world.jobs.jobs["policy:7"]
    entry = job.entry_for("c-1", WHEN)
    await world.ledger.claim(entry)
    world.ledger.fail_outcome = State.SENT  # the crash between the 250 and the outcome
    with pytest.raises(ConnectionError):
        await send_entry(job, entry, world.fanout)
    world.ledger.fail_outcome = None

    resumed = await world.run("policy:7")  # the restarted worker resumes the job

    assert resumed.sent == 1
    assert len(world.sender.sent) == 1
    (sent,) = world.ledger.of_kind(Kind.POLICY)
    assert (sent.state, sent.attempts) == (State.SENT, 1)
    assert len(world.disclosures) == 1


async def test_a_campaign_email_accepted_before_a_crash_is_marked_sent_though_consent_went_since(
    world: World,
) -> None:
    await world.customer("c-1", "en")
    await world.book.record_consent("c-1", "marketing", ConsentStatus.GRANTED, 1)
    await request_campaign(CAMPAIGN, world.deps)
    job = world.jobs.jobs["marketing:autumn-26"]
    entry = job.entry_for("c-1", WHEN)
    await world.ledger.claim(entry)
    world.ledger.fail_outcome = State.SENT
    with pytest.raises(ConnectionError):
        await send_entry(job, entry, world.fanout)
    world.ledger.fail_outcome = None
    await world.book.record_consent("c-1", "marketing", ConsentStatus.WITHDRAWN, 2)

    await world.run("marketing:autumn-26")

    # The message went before the withdrawal: the ledger says so, as its disclosure does.
    assert len(world.sender.sent) == 1
    (sent,) = world.ledger.of_kind(Kind.MARKETING)
    assert (sent.state, sent.reason) == (State.SENT, None)


async def test_p2_a_failure_to_record_the_disclosure_defers_the_message_never_marks_it_sent(
    world: World,
) -> None:
    order = placed(world)
    world.store.append_failures = [ConnectionError("mongo went away")]

    with pytest.raises(ConnectionError) as raised:
        await receipt(world, order)

    assert is_transient(raised.value)  # the consumer retries the record
    (entry,) = world.ledger.of_kind(Kind.RECEIPT)
    assert entry.state is State.SENDING
    assert world.disclosures == []
    assert world.metrics.counts[("receipt", "deferred")] == 1

    await receipt(world, order)  # the retry

    (entry,) = world.ledger.of_kind(Kind.RECEIPT)
    assert (entry.state, entry.attempts) == (State.SENT, 1)
    assert len(world.disclosures) == 1
    # The server took it the first time: the retry records that and does not send it again.
    assert [mail.message_id for mail in world.sender.sent] == [
        f"<receipt.{order.order_id}@allwanstores.com>"
    ]
    assert world.deps.accepted == {}


async def test_p2_a_disclosure_whose_append_landed_before_its_answer_was_lost_is_recorded_once(
    world: World,
) -> None:
    order = placed(world)
    world.store.lost_answers = 1  # the write reaches the store; its acknowledgement does not

    with pytest.raises(ConnectionError):
        await receipt(world, order)
    await receipt(world, order)  # the retry finds the disclosure already there

    assert len(world.sender.sent) == 1
    assert len(world.disclosures) == 1
    (entry,) = world.ledger.of_kind(Kind.RECEIPT)
    assert entry.state is State.SENT


async def test_p2_a_deferred_send_discloses_nothing_until_the_server_takes_it(
    world: World,
) -> None:
    order = placed(world)
    world.sender.failures = deferred(1)

    with pytest.raises(Exception, match="smtp_421"):
        await receipt(world, order)
    assert world.disclosures == []

    await receipt(world, order)

    assert len(world.disclosures) == 1


async def test_p2_a_refused_message_discloses_nothing(world: World) -> None:
    world.sender.refused = {"c-1@example.com"}

    await receipt(world, placed(world))

    (entry,) = world.ledger.of_kind(Kind.RECEIPT)
    assert (entry.state, entry.reason) == (State.FAILED, "smtp_550")
    assert world.disclosures == []


async def test_p2_a_skipped_message_discloses_nothing(world: World) -> None:
    order = placed(world)
    await world.secrets.shred("c-1")  # erased after the order was sealed

    await receipt(world, order)

    (entry,) = world.ledger.of_kind(Kind.RECEIPT)
    assert (entry.state, entry.reason) == (State.SKIPPED, SkipReason.ERASED)
    assert world.disclosures == []


async def test_pc2_p2_each_policy_notice_sent_is_disclosed_for_policy_notices(
    world: World,
) -> None:
    for customer in ("c-1", "c-2", "c-3"):
        await world.customer(customer)
    await world.secrets.shred("c-3")
    changed = policy_changed(5, material=True)
    await schedule_policy_notice(changed, envelope(changed, version=5), world.deps)

    await world.run("policy:5")

    disclosed = sorted(world.disclosures, key=lambda d: d.customer_id)
    assert [(d.customer_id, d.source) for d in disclosed] == [
        ("c-1", "email:policy:5:c-1"),
        ("c-2", "email:policy:5:c-2"),
    ]
    assert {d.purpose for d in disclosed} == {"policy_notices"}
    assert len({d.correlation_id for d in world.store.envelopes("disclosure")}) == 1  # one job


async def test_p2_a_fanout_lane_waits_out_a_failure_to_record_and_discloses_once(
    world: World,
) -> None:
    await world.customer("c-1")
    changed = policy_changed(6, material=True)
    await schedule_policy_notice(changed, envelope(changed, version=6), world.deps)
    world.store.append_failures = [ConnectionError("mongo went away")]

    job = await run_job(world.jobs.jobs["policy:6"], world.fanout, asyncio.Event())

    assert job.sent == 1
    assert len(world.sender.sent) == 1  # accepted once: the lane's retry records, not resends
    (entry,) = world.ledger.of_kind(Kind.POLICY)
    assert (entry.state, entry.attempts) == (State.SENT, 1)
    assert len(world.disclosures) == 1
