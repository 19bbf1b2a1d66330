"""PC2 on real Kafka, FerretDB/MongoDB and SMTP (Mailpit): a material change emails every
customer once, in their language; a non-material one emails nobody; redelivery adds nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from allwan_contracts import PolicyContact, SubscriptionActivated
from allwan_notifier.entrypoints.ledger_api import ledger_routes

from tests.integration.notifier.conftest import Mailpit, Notifier
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
ARABIC, ENGLISH, SALLA = 20, 20, 10  # Salla customers gave no language: the store's, Arabic


async def test_pc2_material_change_emails_each_customer_once_in_their_language(
    notifier: Notifier, mailpit: Mailpit
) -> None:
    run, events = notifier.run, notifier.events
    languages: dict[str, str] = {}
    orders = []
    for n in range(ARABIC + ENGLISH):
        customer, locale = f"c{n:03d}", "ar" if n < ARABIC else "en"
        orders.append(await events.order(customer, locale))
        languages[run.address(customer)] = locale
    for n in range(SALLA):
        await events.contact_changed(f"s{n:03d}")
        languages[run.address(f"s{n:03d}")] = "ar"
    await eventually(lambda: _in_book(notifier, len(languages)))
    dpo = PolicyContact(
        phone="0563120415", whatsapp="0563120415", email=f"dpo@{run.id}.example.com"
    )

    await events.policy(2, material=False)
    changed = await events.policy(3, material=True, contact=dpo)
    await eventually(lambda: notifier.job_done("policy:3"), timeout=60)

    notices = await eventually(lambda: _notices(mailpit, run.id, 3, len(languages)))
    assert sorted(to for to, _ in notices) == sorted(languages)  # each customer, once
    for to, subject in notices:
        if languages[to] == "ar":
            assert "سياسة الخصوصية" in subject
        else:
            assert subject == "A material change to our privacy policy (version 3)"
    assert await _notices(mailpit, run.id, 2, 0) == []  # the non-material version: nothing

    arabic = next(
        m
        for m in await _mine(mailpit, run.id)
        if m["MessageID"] == "policy.3.c000@allwanstores.com"
    )
    detail = await mailpit.message(arabic["ID"])
    assert '<html dir="rtl" lang="ar">' in detail["HTML"]
    assert "تغيير جوهري رقم 3" in detail["Text"]
    assert "https://allwanstores.com/privacy/v3" in detail["Text"]
    assert f"dpo@{run.id}.example.com" in detail["Text"]  # CT1: the version's own contact
    assert "0563120415" in detail["Text"]  # K3: WhatsApp

    # At-least-once delivery hands the notifier the same records again.
    await events.resend(changed)
    await events.resend(await events.send(orders[0], as_="orders", version=1))  # the order again...
    activation = SubscriptionActivated(
        order_id=orders[0].order_id,
        customer_id=orders[0].customer_id,
        plan_id=orders[0].plan_id,
        starts_at="2026-03-01T10:00:00+00:00",
        ends_at="2027-03-01T10:00:00+00:00",
        delivery_reference="act-1",
    )
    await events.send(activation, as_="orders", version=3)  # ...then, behind it, news
    await events.policy(4, material=False)  # behind the repeated PolicyChanged
    await eventually(lambda: _activation_sent(mailpit, run.id, orders[0].order_id))
    await eventually(lambda: notifier.service.jobs.contact_for(4))

    assert len(await _notices(mailpit, run.id, 3, 0) or []) == len(languages)
    # Receipts come from the mail consumer, over the orders topic's partitions: the activation
    # proves only orders[0]'s partition was read (its repeated order included), so wait for
    # every receipt before counting them.
    receipt_ids = {f"receipt.{placed.order_id}@allwanstores.com" for placed in orders}
    receipts = await eventually(lambda: _receipts(mailpit, run.id, receipt_ids))
    assert len(receipts) == ARABIC + ENGLISH

    counts = await _counts(notifier, 3)
    assert counts["job"] == {**counts["job"], "total": 50, "sent": 50, "pending": 0, "failed": 0}
    assert counts["exact"]["sent"] == 50
    assert counts["exact"]["source"] == "ledger"


async def _in_book(notifier: Notifier, expected: int) -> bool:
    found = 0
    async for _ in notifier.service.book.relationships():
        found += 1
    return found >= expected


async def _mine(mailpit: Mailpit, run_id: str) -> list[dict[str, Any]]:
    return await mailpit.messages(f"to:{run_id}.example.com")


async def _notices(
    mailpit: Mailpit, run_id: str, version: int, at_least: int
) -> list[tuple[str, str]] | None:
    notices = [
        (m["To"][0]["Address"], m["Subject"])
        for m in await _mine(mailpit, run_id)
        if m["MessageID"].startswith(f"policy.{version}.")
    ]
    return notices if len(notices) >= at_least else None


async def _activation_sent(mailpit: Mailpit, run_id: str, order_id: str) -> bool:
    return any(
        m["MessageID"] == f"activation.{order_id}@allwanstores.com"
        for m in await _mine(mailpit, run_id)
    )


async def _counts(notifier: Notifier, version: int) -> dict[str, dict[str, Any]]:
    routes = dict(ledger_routes(notifier.service.queries))

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await routes[scope["path"]](scope, receive, send)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://notifier") as client:
        job = await client.get("/ledger/policies/counts", params={"version": version})
        exact = await client.get(
            "/ledger/policies/counts", params={"version": version, "exact": "true"}
        )
    return {"job": job.json(), "exact": exact.json()}


async def _receipts(
    mailpit: Mailpit, run_id: str, expected: set[str]
) -> list[dict[str, Any]] | None:
    receipts = [m for m in await _mine(mailpit, run_id) if m["MessageID"].startswith("receipt.")]
    return receipts if {m["MessageID"] for m in receipts} >= expected else None
