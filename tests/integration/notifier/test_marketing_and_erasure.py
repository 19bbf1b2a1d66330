"""K2, K3 and erasure on the real servers: marketing reaches only customers whose consent is
active, each message with its one-click refusal; an erased customer gets nothing at all."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from allwan_contracts import (
    ConsentGranted,
    ConsentReconfirmationRequired,
    ConsentWithdrawn,
    CustomerErased,
    ErasureReason,
)
from allwan_contracts.fields import Channel
from allwan_notifier.domain.marketing import Campaign
from allwan_notifier.entrypoints.cli import rebuild

from tests.integration.notifier.conftest import Mailpit, Notifier, Producers
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


async def test_k2_marketing_only_to_active_consent_and_an_erased_customer_gets_nothing(
    notifier: Notifier, mailpit: Mailpit
) -> None:
    run, events, book = notifier.run, notifier.events, notifier.service.book
    customers = ["yes", "withdrew", "suspended", "erased", "never"]
    for customer in customers:
        await events.contact_changed(customer)

    async def addresses_known() -> bool:
        return all([(await book.recipient(c)).address is not None for c in customers])

    # Mail about consents needs the address first (a confirmation finding none is skipped).
    await eventually(addresses_known)
    for customer in ("yes", "withdrew", "suspended", "erased"):
        await events.send(
            ConsentGranted(customer_id=customer, **Producers.evidence()), as_="consent"
        )
    await events.send(
        ConsentWithdrawn(customer_id="withdrew", **Producers.evidence()), as_="consent"
    )
    await events.send(_suspended("suspended"), as_="consent")
    await run_erasure(events, "erased")

    async def book_ready() -> bool:
        # Every customer's consents, each on its own partition (and the erasure on another
        # topic): the campaign's audience is read from the book once the campaign runs.
        suspended = await book.marketing_consent("suspended")
        withdrew = await book.marketing_consent("withdrew")
        return (
            (await book.marketing_consent("yes")).allows_marketing()
            and (await book.recipient("erased")).erased
            and str(suspended.status) == "reconfirmation_required"
            and str(withdrew.status) == "withdrawn"
        )

    await eventually(book_ready)
    assert await notifier.service.request_campaign(CAMPAIGN)
    await events.policy(2, material=True)
    await eventually(lambda: notifier.job_done("marketing:spring-26"))
    await eventually(lambda: notifier.job_done("policy:2"))

    mine = await eventually(lambda: _mail_of(mailpit, run.id, at_least=6))
    kinds: dict[str, set[str]] = {}
    for message in mine:
        kind = message["MessageID"].split(".", 1)[0]
        kinds.setdefault(message["To"][0]["Address"].split("@")[0], set()).add(kind)
    assert kinds == {
        "yes": {"policy", "marketing"},
        "withdrew": {"policy", "withdrawal"},  # K3: the withdrawal is confirmed
        "suspended": {"policy"},
        "never": {"policy"},
    }  # "erased" got nothing, not even the policy notice
    assert len(mine) == 6

    (marketing,) = [m for m in mine if m["MessageID"].startswith("marketing.")]
    headers = await mailpit.headers(marketing["ID"])
    (refusal,) = headers["List-Unsubscribe"]
    assert refusal.startswith("<https://allwanstores.com/api/v1/unsubscribe?customer=yes&token=")
    assert "<mailto:unsubscribe@allwanstores.com?subject=unsubscribe%20yes%20" in refusal
    assert headers["List-Unsubscribe-Post"] == ["List-Unsubscribe=One-Click"]

    erased = await book.recipient("erased")
    assert erased.address is None  # redacted: no sealed email left
    campaign_job = await notifier.service.jobs.get("marketing:spring-26")
    assert campaign_job is not None
    assert (campaign_job.total, campaign_job.sent) == (1, 1)


CAMPAIGN = Campaign(
    campaign_id="spring-26",
    subject_ar="عروض الربيع",
    subject_en="Spring offers",
    body_ar="خصم على الباقات السنوية",
    body_en="Yearly plans on offer",
    url="https://allwanstores.com/offers",
)


def _suspended(customer: str) -> ConsentReconfirmationRequired:
    return ConsentReconfirmationRequired(
        customer_id=customer,
        purpose=Producers.evidence()["purpose"],
        granted_under_version=1,
        policy_version=2,
        recorded_by="service:consent",
    )


async def run_erasure(events: Producers, customer: str) -> None:
    """As the consent service erases: the key is shredded, then ``CustomerErased``."""
    assert await events.keys.shred(customer)
    erased = CustomerErased(
        customer_id=customer,
        erased_at=datetime.now(UTC),
        reason=ErasureReason.CUSTOMER_REQUEST,
        requested_via=Channel.EMAIL,
    )
    await events.send(erased, as_="consent")


async def _mail_of(mailpit: Mailpit, run_id: str, at_least: int) -> list[dict[str, Any]] | None:
    found = await mailpit.messages(f"to:{run_id}.example.com")
    return found if len(found) >= at_least else None


async def test_rebuild_redacts_a_customer_whose_key_was_shredded_and_recounts_jobs(
    notifier: Notifier,
) -> None:
    events, book = notifier.events, notifier.service.book
    for customer in ("kept", "shredded"):
        await events.contact_changed(customer)

    async def both_known() -> bool:
        return all([(await book.recipient(c)).address is not None for c in ("kept", "shredded")])

    await eventually(both_known)
    await events.policy(2, material=True)
    await eventually(lambda: notifier.job_done("policy:2"))
    assert await events.keys.shred("shredded")  # its CustomerErased was never seen

    counts = await rebuild(notifier.settings)

    # Every entry was named among its customer's when it was sent: nothing left to name.
    assert counts == {"redacted": 1, "jobs_recounted": 1, "entries_named": 0}
    assert (await book.recipient("shredded")).erased
    assert (await book.recipient("kept")).address is not None
    job = await notifier.service.jobs.get("policy:2")
    assert job is not None
    assert (job.total, job.sent) == (2, 2)
