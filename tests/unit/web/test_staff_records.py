"""The console's records (S1, S2, K3, D3): a customer looked up by id (the id kept in the
session, never in a URL) with their consent proof, disclosures and a withdrawal received by
email or phone; the breach register and a breach's steps to its 72-hour deadline; the audit
trail with its filters; the dashboard's counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from allwan_contracts import ConsentPurpose

from tests.unit.gateway.privacy_fake import FakePrivacy, stub_privacy
from tests.unit.gateway.seed import consent, deliver
from tests.unit.web.harness import WebHarness
from tests.unit.web.test_staff_console import (
    SESSION,
    audited,
    console,
    english,
    errors_of,
    sign_in,
    urls,
)

CUSTOMER = "cust7q2mx"


async def looked_up(h: WebHarness, browser: httpx.AsyncClient) -> httpx.Response:
    return await h.post_form(
        browser, "/staff/customers", {"customer_id": CUSTOMER}, "/staff/customers"
    )


# -- customers (K3, D3) ----------------------------------------------------------------------


async def test_a_customer_looked_up_is_kept_in_the_session_and_never_in_a_url() -> None:
    h = console()
    await deliver(h.gateway.gateway, consent(CUSTOMER), 1)
    async with h.browser() as browser:
        await sign_in(h, browser)
        chosen = await looked_up(h, browser)
        shown = await browser.get("/staff/customers")
        withdrawn = await h.post_form(
            browser, "/staff/customers/withdrawal",
            {"purpose": "marketing", "channel": "email", "message_reference": "msg-2291"},
            "/staff/customers",
        )  # fmt: skip
        after = await browser.get("/staff/customers")
        answers = [chosen, shown, withdrawn, after]

    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/staff/customers"
    assert withdrawn.headers["location"] == "/staff/customers"
    for answer in answers:
        assert CUSTOMER not in answer.headers.get("location", "")
        assert not [url for url in urls(answer.text) if CUSTOMER in url]
    assert CUSTOMER in shown.text
    assert "ConsentGranted" in shown.text  # the proof
    [request] = h.gateway.intake("ConsentChangeRequested")
    assert (request.customer_id, request.purpose, request.channel.value) == (
        CUSTOMER, ConsentPurpose.MARKETING, "email",
    )  # fmt: skip
    assert request.requested_by == "staff:noura"
    assert ("staff:noura", "consent.proof.read", f"customer:{CUSTOMER}") in audited(h)
    assert "سُجّل السحب" in after.text


@pytest.mark.parametrize("customer_id", ["", "cust 7", "c" * 65, "../etc"])
async def test_a_customer_id_that_cannot_be_one_is_refused_beside_the_field(
    customer_id: str,
) -> None:
    h = console()
    async with h.browser() as browser:
        await sign_in(h, browser)
        answer = await h.post_form(
            browser, "/staff/customers", {"customer_id": customer_id}, "/staff/customers"
        )
    assert answer.status_code == 422
    assert "lookup-customer_id" in errors_of(answer.text)
    assert not [e for e in audited(h) if e[1] == "consent.proof.read"]


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({"purpose": "newsletters", "channel": "email", "message_reference": "m-1"}, "purpose"),
        ({"purpose": "marketing", "channel": "whatsapp", "message_reference": "m-1"}, "channel"),
        (
            {"purpose": "marketing", "channel": "phone", "message_reference": ""},
            "message_reference",
        ),
        (
            {"purpose": "marketing", "channel": "phone", "message_reference": "call 22"},
            "message_reference",
        ),
    ],
)
async def test_a_withdrawal_names_a_purpose_email_or_phone_and_a_reference(
    sent: dict[str, str], field: str
) -> None:
    h = console()
    async with h.browser() as browser:
        await sign_in(h, browser)
        await looked_up(h, browser)
        answer = await h.post_form(browser, "/staff/customers/withdrawal", sent, "/staff/customers")
    assert answer.status_code == 422
    assert f"withdrawal-{field}" in errors_of(answer.text)
    assert h.gateway.intake("ConsentChangeRequested") == []


async def test_closing_a_customer_forgets_their_id() -> None:
    h = console()
    async with h.browser() as browser:
        await sign_in(h, browser)
        await looked_up(h, browser)
        await h.post_form(browser, "/staff/customers/forget", {}, "/staff/customers")
        shown = await browser.get("/staff/customers")
        withdrawn = await h.post_form(
            browser, "/staff/customers/withdrawal",
            {"purpose": "marketing", "channel": "email", "message_reference": "m-1"},
            "/staff/customers",
        )  # fmt: skip
    assert CUSTOMER not in shown.text
    assert withdrawn.headers["location"] == "/staff/customers"
    assert h.gateway.intake("ConsentChangeRequested") == []


async def test_the_proof_still_shows_while_the_disclosures_cannot_be_read() -> None:
    privacy = FakePrivacy()
    privacy.down = httpx.ConnectError("down")
    h = console(privacy_api=stub_privacy(privacy))
    await deliver(h.gateway.gateway, consent(CUSTOMER), 1)
    async with h.browser() as browser:
        await sign_in(h, browser)
        await looked_up(h, browser)
        shown = await browser.get("/staff/customers")
    assert shown.status_code == 200
    assert "ConsentGranted" in shown.text
    assert "تعذّر عرض الإفصاحات الآن" in shown.text


# -- breaches (S2) ---------------------------------------------------------------------------


def local(moment: datetime) -> str:
    """``moment`` as a ``datetime-local`` field holds it, in Riyadh time."""
    return (moment + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")


def breach_form(**changes: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "key": "breach-form-key-0001",
        "detected_at": local(now - timedelta(hours=5)),
        "description": "An export bucket was readable for 3 hours.",
        "categories": ["name", "email"],
        "affected": "listed",
        "customer_ids": "cust-1\ncust-2\n cust-1 ",
        "ordered_from": "",
        "ordered_until": "",
        "likely_consequences": "Phishing by name.",
        "measures_taken": "Access revoked.",
    } | changes


async def test_a_breach_is_registered_once_with_its_72_hour_deadline_and_followed() -> None:
    privacy = FakePrivacy()
    h = console(privacy_api=stub_privacy(privacy))
    async with h.browser() as browser:
        await sign_in(h, browser)
        opened = await h.post_form(
            browser, "/staff/breaches/new", breach_form(), "/staff/breaches/new"
        )
        again = await h.post_form(
            browser, "/staff/breaches/new", breach_form(), "/staff/breaches/new"
        )
        path = opened.headers["location"]
        breach_id = path.rsplit("/", 1)[-1]
        shown = await browser.get(path)
        told = await h.post_form(
            browser, f"{path}/regulator",
            {"reference": "SDAIA-2026-193", "notified_at": local(datetime.now(UTC))}, path,
        )  # fmt: skip
        customers = await h.post_form(
            browser, f"{path}/customers",
            {"message_ar": "تعرضت بعض بياناتك للاطلاع.", "message_en": "Some data leaked."}, path,
        )  # fmt: skip
        closed = await h.post_form(browser, f"{path}/closure", {"summary": "Contained."}, path)
        final = await browser.get(path)
        report = await browser.get(f"{path}/report")
        register = await browser.get("/staff/breaches")

    assert opened.status_code == 303
    assert again.headers["location"] == path  # the same key: the same breach
    assert len(privacy.breaches) == 1
    [held] = privacy.breaches.values()
    assert held["request"].affected.customer_ids == ["cust-1", "cust-2"]  # each once
    assert "مهلة إبلاغ المنظم" in shown.text
    assert 'action="/staff/breaches/' + breach_id + '/regulator"' in shown.text
    assert [a.headers["location"] for a in (told, customers, closed)] == [path] * 3
    assert "مغلقة" in final.text
    assert '/regulator"' not in final.text  # no step is offered once closed
    assert report.headers["content-type"].startswith("application/json")
    assert (
        report.headers["content-disposition"] == f'attachment; filename="breach-{breach_id}.json"'
    )
    assert report.json()["breach"]["breach_id"] == breach_id
    assert f"/staff/breaches/{breach_id}" in register.text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"detected_at": ""}, "detected_at"),
        ({"detected_at": local(datetime.now(UTC) + timedelta(hours=2))}, "detected_at"),
        ({"description": " "}, "description"),
        ({"categories": []}, "categories"),
        ({"categories": ["name", "shoe_size"]}, "categories"),
        ({"affected": ""}, "affected"),
        ({"customer_ids": ""}, "customer_ids"),
        ({"customer_ids": "cust-1\nnot an id"}, "customer_ids"),
        (
            {
                "affected": "window",
                "ordered_from": "2026-11-02T00:00",
                "ordered_until": "2026-11-01T00:00",
            },
            "ordered_until",
        ),
        ({"affected": "window", "ordered_from": "2026-11-01T00:00"}, "ordered_until"),
        ({"likely_consequences": ""}, "likely_consequences"),
        ({"measures_taken": "x" * 4001}, "measures_taken"),
        ({"key": "short"}, "key"),
    ],
)
async def test_a_breach_form_that_cannot_be_registered_comes_back_with_its_errors(
    changes: dict[str, Any], field: str
) -> None:
    privacy = FakePrivacy()
    h = console(privacy_api=stub_privacy(privacy))
    async with h.browser() as browser:
        await sign_in(h, browser)
        sent = breach_form(**changes)
        answer = await h.post_form(browser, "/staff/breaches/new", sent, "/staff/breaches/new")
    assert answer.status_code == 422
    if field == "key":
        assert "staff.error" not in answer.text
        assert 'class="form-problem"' in answer.text
    else:
        assert f"breach-{field}" in errors_of(answer.text)
    assert privacy.breaches == {}
    assert sent["description"].strip() == "" or sent["description"] in answer.text


async def test_a_regulator_notification_cannot_be_dated_in_the_future() -> None:
    privacy = FakePrivacy()
    h = console(privacy_api=stub_privacy(privacy))
    async with h.browser() as browser:
        await sign_in(h, browser)
        path = (
            await h.post_form(browser, "/staff/breaches/new", breach_form(), "/staff/breaches/new")
        ).headers["location"]
        later = local(datetime.now(UTC) + timedelta(days=1))
        answer = await h.post_form(
            browser, f"{path}/regulator", {"reference": "SDAIA-1", "notified_at": later}, path
        )
        unknown = await h.post_form(browser, f"{path}/reopening", {"summary": "x"}, path)
    assert answer.status_code == 422
    assert "regulator-notified_at" in errors_of(answer.text)
    assert unknown.status_code == 404
    [held] = privacy.breaches.values()
    assert held["steps"] == {}


async def test_a_customer_notice_needs_both_languages_and_a_closure_its_conclusion() -> None:
    privacy = FakePrivacy()
    h = console(privacy_api=stub_privacy(privacy))
    async with h.browser() as browser:
        await sign_in(h, browser)
        path = (
            await h.post_form(browser, "/staff/breaches/new", breach_form(), "/staff/breaches/new")
        ).headers["location"]
        now = local(datetime.now(UTC))
        await h.post_form(
            browser, f"{path}/regulator", {"reference": "SDAIA-1", "notified_at": now}, path
        )
        notice = await h.post_form(
            browser, f"{path}/customers", {"message_ar": "رسالة", "message_en": "  "}, path
        )
        closure = await h.post_form(browser, f"{path}/closure", {"summary": ""}, path)
    assert notice.status_code == closure.status_code == 422
    assert "customers-message_en" in errors_of(notice.text)
    assert "closure-summary" in errors_of(closure.text)
    [held] = privacy.breaches.values()
    assert list(held["steps"]) == ["regulator-notification"]


async def test_telling_customers_before_the_regulator_comes_back_as_refused() -> None:
    privacy = FakePrivacy()
    h = console(privacy_api=stub_privacy(privacy))
    async with h.browser() as browser:
        english(browser)
        await sign_in(h, browser)
        path = (
            await h.post_form(browser, "/staff/breaches/new", breach_form(), "/staff/breaches/new")
        ).headers["location"]
        answer = await h.post_form(
            browser, f"{path}/customers", {"message_ar": "رسالة", "message_en": "A message"}, path
        )
    assert answer.status_code == 422
    assert "The current state does not allow this" in answer.text


# -- the audit trail (S1) --------------------------------------------------------------------


async def test_the_audit_trail_filters_are_kept_in_the_session_not_the_url() -> None:
    h = console()
    async with h.browser() as browser:
        await sign_in(h, browser)
        await browser.get("/staff/requests")
        chosen = await h.post_form(
            browser, "/staff/audit", {"staff_id": "noura", "action": "privacy.", "since": "",
            "until": ""}, "/staff/audit",
        )  # fmt: skip
        shown = await browser.get("/staff/audit")
        cleared = await h.post_form(browser, "/staff/audit", {"clear": "1"}, "/staff/audit")
        everything = await browser.get("/staff/audit")

    assert chosen.headers["location"] == "/staff/audit"
    rows = re.findall(
        r'<td><span class="ids">([^<]+)</span></td>\s*<td><span class="ids">([^<]+)</span>',
        shown.text,
    )
    actions = [action for _, action in rows]
    assert {actor for actor, _ in rows} == {"staff:noura"}
    assert "privacy.queue.read" in actions
    assert {a for a in actions if not a.startswith("privacy.")} == set()
    assert "noura" not in "".join(urls(shown.text))
    assert cleared.headers["location"] == "/staff/audit"
    assert "staff.sign_in" in everything.text


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({"staff_id": "no ura"}, "staff_id"),
        ({"action": "Policy.Publish"}, "action"),
        ({"action": "policy..publish"}, "action"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-11-02T00:00", "until": "2026-11-01T00:00"}, "until"),
    ],
)
async def test_audit_filters_that_cannot_be_right_come_back_with_their_errors(
    sent: dict[str, str], field: str
) -> None:
    h = console()
    async with h.browser() as browser:
        await sign_in(h, browser)
        answer = await h.post_form(browser, "/staff/audit", sent, "/staff/audit")
    assert answer.status_code == 422
    assert f"audit-{field}" in errors_of(answer.text)


async def test_the_audit_trail_pages_by_the_cursor_it_gave_and_refuses_any_other() -> None:
    h = console()
    async with h.browser() as browser:
        await sign_in(h, browser)
        for _ in range(60):  # more entries than a page holds
            await h.gateway.gateway.audit.record("staff:noura", "privacy.queue.read", "x", "r")
        first = await browser.get("/staff/audit")
        [older] = re.findall(r'href="(/staff/audit\?cursor=[^"]+)"', first.text)
        second = await browser.get(older)
        forged = await browser.get("/staff/audit?cursor=../../v1/orders")
    assert second.status_code == 200
    assert 'href="/staff/audit"' in second.text  # back to the newest
    assert forged.status_code == 404


# -- the dashboard ---------------------------------------------------------------------------


async def test_the_dashboard_shows_the_first_party_analytics_counts_only() -> None:
    h = console()
    h.web.analytics.record("storefront/catalogue.html", "visitor-a")
    h.web.analytics.record("storefront/catalogue.html", "visitor-b")
    h.web.analytics.record("storefront/plan.html", "visitor-a")
    async with h.browser() as browser:
        await sign_in(h, browser)
        board = await browser.get("/staff")
    assert board.status_code == 200
    facts = re.findall(r"<dd>([^<]+)</dd>", board.text)
    assert facts[:2] == ["٢", "٣"]  # two visitors today, three views
    assert "visitor-a" not in board.text


async def test_the_dashboard_shows_the_requests_while_the_breach_register_is_down() -> None:
    privacy = FakePrivacy()
    privacy.down = httpx.ConnectError("down")
    h = console(privacy_api=stub_privacy(privacy))
    async with h.browser() as browser:
        await sign_in(h, browser)
        board = await browser.get("/staff")
    assert board.status_code == 200
    assert "تعذّر عرض سجل الحوادث الآن" in board.text


async def test_a_staff_page_is_never_cached_and_keeps_the_session_cookie_host_only() -> None:
    h = console()
    async with h.browser() as browser:
        answer = await sign_in(h, browser)
        board = await browser.get("/staff")
    assert board.headers["cache-control"] == "no-store"
    assert answer.headers["set-cookie"].lower().startswith(SESSION.lower() + "=")
