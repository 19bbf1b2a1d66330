"""K2: marketing only to customers whose consent is active now, each message with its
one-click refusal; never to the withdrawn, the suspended or the erased."""

from __future__ import annotations

from allwan_notifier.domain.deliveries import Kind, SkipReason, State, delivery_id
from allwan_notifier.domain.marketing import Campaign
from allwan_notifier.domain.recipients import ConsentEvent, ConsentStatus
from allwan_notifier.handlers.book import forget_customer, record_consent
from allwan_notifier.handlers.marketing import request_campaign

from tests.unit.notifier.conftest import World
from tests.unit.notifier.fakes import (
    WHEN,
    envelope,
    erased,
    granted,
    reconfirmation,
    withdrawn,
)

CAMPAIGN = Campaign(
    campaign_id="spring-26",
    subject_ar="عروض الربيع",
    subject_en="Spring offers",
    body_ar="خصم على الباقات السنوية",
    body_en="Yearly plans on offer",
)


async def consenting(world: World, customer: str, *events: ConsentEvent) -> None:
    await world.customer(customer, "en")
    for version, event in enumerate(events, start=1):
        await record_consent(event, envelope(event, version=version), world.deps)


async def test_k2_only_active_marketing_consent_receives_the_campaign(world: World) -> None:
    await consenting(world, "c-yes", granted("c-yes"))
    await consenting(world, "c-withdrew", granted("c-withdrew"), withdrawn("c-withdrew"))
    await consenting(world, "c-suspended", granted("c-suspended"), reconfirmation("c-suspended"))
    await consenting(world, "c-erased", granted("c-erased"))
    await forget_customer(erased("c-erased"), envelope(erased("c-erased"), version=2), world.deps)
    await consenting(world, "c-never")

    assert await request_campaign(CAMPAIGN, world.deps)
    job = await world.run("marketing:spring-26")

    (mail,) = world.sender.sent
    assert mail.to == "c-yes@example.com"
    assert mail.subject == "Spring offers"
    assert job.total == job.sent == 1


async def test_k2_every_marketing_message_carries_its_one_click_refusal(world: World) -> None:
    await consenting(world, "c-yes", granted("c-yes"))
    await request_campaign(CAMPAIGN, world.deps)

    await world.run("marketing:spring-26")

    (mail,) = world.sender.sent
    link, mailto = mail.headers["List-Unsubscribe"].split(", ")
    assert link.startswith("<https://allwanstores.com/api/v1/unsubscribe?customer=c-yes&")
    assert mailto.startswith("<mailto:unsubscribe@allwanstores.com?")
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "unsubscribe?customer=c-yes" in mail.text


async def test_k3_a_withdrawal_after_the_audience_was_drawn_still_stops_the_message(
    world: World,
) -> None:
    await consenting(world, "c-late", granted("c-late"))
    await request_campaign(CAMPAIGN, world.deps)
    job = world.jobs.jobs["marketing:spring-26"]
    await world.ledger.claim(job.entry_for("c-late", WHEN))  # drawn into the audience...
    await world.book.record_consent("c-late", "marketing", ConsentStatus.WITHDRAWN, 2)  # ...then

    await world.run("marketing:spring-26")

    assert world.sender.sent == []
    entry = world.ledger.entries[delivery_id(Kind.MARKETING, "spring-26", "c-late")]
    assert (entry.state, entry.reason) == (State.SKIPPED, SkipReason.NOT_CONSENTED)


async def test_k2_a_campaign_is_requested_once_per_id(world: World) -> None:
    first = await request_campaign(CAMPAIGN, world.deps)
    again = await request_campaign(CAMPAIGN, world.deps)

    assert (first, again) == (True, False)
