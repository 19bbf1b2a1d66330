"""The staff console over the gateway's real app in process (S1): staff sign in as themselves,
the token stays in the session, the session id changes on signing in and out, an expired
token sends the member to sign in again (and back), and the privacy-request queue and the
policy pages (PC1, PC2) act with the member's own token."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from allwan_contracts import PolicyChanged, PolicyDocumentPublished
from allwan_gateway.adapters.notifier import NotifierLedger
from allwan_runtime.passwords import hash_password
from fastapi import FastAPI, HTTPException

from tests.unit.gateway.fakes import NOW
from tests.unit.gateway.privacy_fake import FakePrivacy, stub_privacy
from tests.unit.gateway.seed import CONTACT, deliver, extended, life, received, started, verified
from tests.unit.web.harness import WebHarness, csrf_of, web_harness

PASSWORD = "correct horse battery staple"
ACCOUNTS = {
    "noura": {"name": "Noura Alqahtani", "password_hash": hash_password(PASSWORD)},
}
SESSION = "__Host-allwan_session"


class Clock:
    """The pages' and the gateway's clock, moved by the test; it starts now, since the
    gateway checks its tokens against the real time."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


def console(clock: Clock | None = None, **overrides: Any) -> WebHarness:
    """The pages over a gateway with one staff account and a privacy service in memory."""
    overrides.setdefault("privacy_api", stub_privacy(FakePrivacy()))
    return web_harness(clock=clock or Clock(), staff_accounts=ACCOUNTS, **overrides)


def english(browser: httpx.AsyncClient) -> httpx.AsyncClient:
    browser.cookies.set("allwan_lang", "en", domain="web.test")
    return browser


async def sign_in(
    h: WebHarness, browser: httpx.AsyncClient, staff_id: str = "noura", password: str = PASSWORD
) -> httpx.Response:
    return await h.post_form(
        browser, "/staff/sign-in", {"staff_id": staff_id, "password": password}, "/staff/sign-in"
    )


def audited(h: WebHarness) -> list[tuple[str, str, str]]:
    entries = h.gateway.documents.collection("staff_audit").values()
    return sorted((e["actor"], e["action"], e["target"]) for e in entries)


def urls(html: str) -> list[str]:
    """Every address a page links or posts to."""
    return re.findall(r'(?:href|action|src)="([^"]*)"', html)


def errors_of(html: str) -> dict[str, str]:
    """Each field's error as the page ties it to the field: ``<p id="{form}-{field}-error">``."""
    return dict(re.findall(r'<p id="([\w-]+?)-error" class="error">([^<]*)</p>', html))


# -- signing in (S1) ------------------------------------------------------------------------


async def test_a_member_signs_in_as_themselves_and_the_token_stays_on_the_server() -> None:
    h = console()
    async with h.browser() as browser:
        await browser.get("/staff/sign-in")
        before = browser.cookies[SESSION]
        answer = await sign_in(h, browser)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/staff"
        after = browser.cookies[SESSION]
        board = await browser.get("/staff")

    assert after != before  # a new session id: no fixation
    assert board.status_code == 200
    assert "Noura Alqahtani" in board.text
    [session] = [s for s in h.web.sessions._sessions.values() if s.staff_id]
    assert session.staff_token is not None
    assert session.staff_token not in board.text
    assert PASSWORD not in board.text
    assert ("staff:noura", "staff.sign_in", "staff-token") in audited(h)


async def test_the_session_id_used_before_signing_in_opens_nothing_after() -> None:
    h = console()
    async with h.browser() as browser:
        await browser.get("/staff/sign-in")
        planted = browser.cookies[SESSION]
        await sign_in(h, browser)
    async with h.browser() as attacker:
        attacker.cookies.set(SESSION, planted, domain="web.test")
        answer = await attacker.get("/staff")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/staff/sign-in"


@pytest.mark.parametrize(
    ("staff_id", "password"),
    [("noura", "not the password"), ("nobody", PASSWORD)],
    ids=["wrong password", "unknown id"],
)
async def test_a_wrong_password_or_unknown_id_gets_one_generic_error_and_no_access(
    staff_id: str, password: str
) -> None:
    h = console()
    async with h.browser() as browser:
        answer = await sign_in(h, browser, staff_id, password)
        assert answer.status_code == 401
        assert re.search(
            r'<p id="sign-in-problem" class="form-problem" role="alert">'
            "معرّف الموظف أو كلمة المرور غير صحيحة.</p>",
            answer.text,
        )
        assert password not in answer.text
        assert f'value="{staff_id}"' in answer.text  # the id is kept, the password is not
        refused = await browser.get("/staff")
    assert refused.status_code == 303
    assert refused.headers["location"] == "/staff/sign-in"


async def test_a_locked_staff_id_is_told_how_many_minutes_to_wait() -> None:
    h = console()
    async with h.browser() as browser:
        english(browser)
        for _ in range(5):
            assert (await sign_in(h, browser, password="wrong")).status_code == 401
        answer = await sign_in(h, browser)  # the right password, too late
    assert answer.status_code == 429
    assert "Too many attempts. Try again in 15 minutes." in answer.text


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({"staff_id": "", "password": PASSWORD}, "staff_id"),
        ({"staff_id": "noura ali", "password": PASSWORD}, "staff_id"),
        ({"staff_id": "noura", "password": ""}, "password"),
        ({"staff_id": "noura", "password": "x" * 201}, "password"),
    ],
    ids=["no id", "id with a space", "no password", "password too long"],
)
async def test_a_sign_in_form_that_cannot_be_right_is_refused_before_the_gateway(
    sent: dict[str, str], field: str
) -> None:
    h = console()
    async with h.browser() as browser:
        answer = await h.post_form(browser, "/staff/sign-in", sent, "/staff/sign-in")
    assert answer.status_code == 422
    assert f"sign-in-{field}" in errors_of(answer.text)
    assert f'aria-describedby="sign-in-{field}-error"' in answer.text
    assert audited(h) == []  # never sent


async def test_signing_out_forgets_the_token_and_what_was_selected() -> None:
    h = console()
    async with h.browser() as browser:
        await sign_in(h, browser)
        await h.post_form(browser, "/staff/customers", {"customer_id": "cust-1"}, "/staff")
        before = browser.cookies[SESSION]
        answer = await h.post_form(browser, "/staff/sign-out", {}, "/staff")
        assert answer.headers["location"] == "/staff/sign-in"
        assert browser.cookies[SESSION] != before
        [session] = list(h.web.sessions._sessions.values())
        assert session.staff_token is None
        assert session.staff_id is None
        assert not [key for key in session.pending if key.startswith("staff.")]
        again = await browser.get("/staff/customers")
    assert again.status_code == 303


async def test_an_expired_token_sends_the_member_to_sign_in_and_back_to_the_page() -> None:
    clock = Clock()
    h = console(clock)
    async with h.browser() as browser:
        english(browser)
        await sign_in(h, browser)
        assert (await browser.get("/staff/requests")).status_code == 200
        clock.now += timedelta(minutes=15)
        expired = await browser.get("/staff/requests")
        assert expired.status_code == 303
        assert expired.headers["location"] == "/staff/sign-in"
        form = await browser.get("/staff/sign-in")
        assert "Your session has ended. Sign in again to continue." in form.text
        clock.now = datetime.now(UTC)  # the gateway checks its tokens against the real time
        back = await sign_in(h, browser)
    assert back.headers["location"] == "/staff/requests"


async def test_a_token_the_gateway_refuses_sends_the_member_to_sign_in() -> None:
    h = console()
    async with h.browser() as browser:
        await sign_in(h, browser)
        [session] = [s for s in h.web.sessions._sessions.values() if s.staff_id]
        session.staff_token = "not-a-token"
        answer = await browser.get("/staff/requests")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/staff/sign-in"
    assert session.staff_id is None


@pytest.mark.parametrize(
    "path",
    [
        "/staff",
        "/staff/requests",
        "/staff/requests/r-1",
        "/staff/policies",
        "/staff/policies/new",
        "/staff/policies/preview",
        "/staff/policies/1",
        "/staff/customers",
        "/staff/breaches",
        "/staff/breaches/new",
        "/staff/breaches/b-1",
        "/staff/breaches/b-1/report",
        "/staff/audit",
    ],
)
async def test_every_console_page_asks_a_visitor_to_sign_in(path: str) -> None:
    h = console()
    async with h.browser() as browser:
        answer = await browser.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/staff/sign-in"


async def test_a_console_form_posted_without_signing_in_changes_nothing() -> None:
    h = console()
    async with h.browser() as browser:
        answer = await h.post_form(
            browser, "/staff/requests/r-1/extension", {"days": "10", "reason": "x"}, "/cookies"
        )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/staff/sign-in"
    assert h.gateway.intake("PrivacyRequestExtensionRequested") == []


# -- privacy requests (PDPL: 30 days) -------------------------------------------------------


async def request_on(h: WebHarness, request_id: str, customer_id: str, day: int) -> None:
    """A web access request received ``day`` days after NOW, started at once."""
    when = NOW + timedelta(days=day)
    await life(
        h.gateway.gateway,
        received(request_id, customer_id, at=when),
        verified(request_id, customer_id, when),
        started(request_id, customer_id, at=when),
    )


async def test_the_queue_shows_overdue_requests_first_then_by_days_left() -> None:
    clock = Clock()
    h = console(clock)
    clock.now = NOW + timedelta(days=35)
    await request_on(h, "r-later", "cust-2", day=20)  # 15 days left
    await request_on(h, "r-overdue", "cust-1", day=0)  # 5 days overdue
    await request_on(h, "r-soon", "cust-3", day=7)  # 2 days left
    async with h.browser() as browser:
        # Tokens are checked against the real time: sign in then, and look at day 35.
        clock.now = datetime.now(UTC)
        await sign_in(h, browser)
        clock.now = NOW + timedelta(days=35)
        session = next(s for s in h.web.sessions._sessions.values() if s.staff_id)
        session.staff_token_expires = clock.now + timedelta(minutes=10)
        page = await browser.get("/staff/requests")
        board = await browser.get("/staff")
    shown = re.findall(r'href="/staff/requests/(r-[a-z]+)"', page.text)
    assert shown == ["r-overdue", "r-soon", "r-later"]
    assert "متأخر ٥ يوم" in page.text
    figures = re.findall(r'<span class="figure">([^<]+)</span>', board.text)
    assert figures[:2] == ["١", "١"]  # one overdue, one due this week


async def seeded_request(h: WebHarness) -> None:
    await request_on(h, "r-1", "cust-1", day=0)


async def signed_in_at_now(h: WebHarness, browser: httpx.AsyncClient, clock: Clock) -> None:
    """Signed in, with the pages' clock on day 1 of NOW's requests."""
    await sign_in(h, browser)
    clock.now = NOW + timedelta(days=1)
    session = next(s for s in h.web.sessions._sessions.values() if s.staff_id)
    session.staff_token_expires = clock.now + timedelta(minutes=10)


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({"days": "0", "reason": "Restoring the history."}, "days"),
        ({"days": "31", "reason": "Restoring the history."}, "days"),
        ({"days": "ten", "reason": "Restoring the history."}, "days"),
        ({"days": "10", "reason": "   "}, "reason"),
        ({"days": "10", "reason": "x" * 2001}, "reason"),
    ],
)
async def test_an_extension_is_1_to_30_days_with_a_reason(sent: dict[str, str], field: str) -> None:
    clock = Clock()
    h = console(clock)
    await seeded_request(h)
    async with h.browser() as browser:
        await signed_in_at_now(h, browser, clock)
        answer = await h.post_form(
            browser, "/staff/requests/r-1/extension", sent, "/staff/requests/r-1"
        )
    assert answer.status_code == 422
    assert f"extend-{field}" in errors_of(answer.text)
    assert h.gateway.intake("PrivacyRequestExtensionRequested") == []


async def test_an_extension_goes_to_the_gateway_under_the_members_name() -> None:
    clock = Clock()
    h = console(clock)
    await seeded_request(h)
    async with h.browser() as browser:
        await signed_in_at_now(h, browser, clock)
        answer = await h.post_form(
            browser,
            "/staff/requests/r-1/extension",
            {"days": "٢٠", "reason": "Restoring the order history."},  # Arabic-Indic digits
            "/staff/requests/r-1",
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/staff/requests/r-1"
        shown = await browser.get("/staff/requests/r-1")
    [extension] = h.gateway.intake("PrivacyRequestExtensionRequested")
    assert extension.days == 20
    assert ("staff:noura", "privacy.request.extend", "privacy_request:r-1") in audited(h)
    assert "سُجّل التمديد" in shown.text


async def test_a_second_extension_comes_back_beside_the_form_as_refused() -> None:
    clock = Clock()
    h = console(clock)
    await seeded_request(h)
    await life(
        h.gateway.gateway, extended("r-1", "cust-1", NOW + timedelta(days=40)), first_version=4
    )
    async with h.browser() as browser:
        english(browser)
        await signed_in_at_now(h, browser, clock)
        answer = await h.post_form(
            browser, "/staff/requests/r-1/extension", {"days": "5", "reason": "Again."},
            "/staff/requests/r-1",
        )  # fmt: skip
    assert answer.status_code == 422
    assert "The current state does not allow this" in answer.text


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({"reason": "", "explanation": ""}, "reason"),
        ({"reason": "because", "explanation": ""}, "reason"),
        ({"reason": "rights_of_others", "explanation": "x" * 2001}, "explanation"),
    ],
)
async def test_a_denial_needs_one_of_the_legal_reasons(sent: dict[str, str], field: str) -> None:
    clock = Clock()
    h = console(clock)
    await seeded_request(h)
    async with h.browser() as browser:
        await signed_in_at_now(h, browser, clock)
        answer = await h.post_form(
            browser, "/staff/requests/r-1/denial", sent, "/staff/requests/r-1"
        )
    assert answer.status_code == 422
    assert f"deny-{field}" in errors_of(answer.text)
    assert h.gateway.intake("PrivacyRequestDenialRequested") == []


async def test_a_denial_is_recorded_with_its_reason_and_explanation() -> None:
    clock = Clock()
    h = console(clock)
    await seeded_request(h)
    async with h.browser() as browser:
        await signed_in_at_now(h, browser, clock)
        answer = await h.post_form(
            browser, "/staff/requests/r-1/denial",
            {"reason": "excessive_or_repeated", "explanation": "A copy was sent last week."},
            "/staff/requests/r-1",
        )  # fmt: skip
    assert answer.status_code == 303
    [denial] = h.gateway.intake("PrivacyRequestDenialRequested")
    assert denial.reason.value == "excessive_or_repeated"


async def test_a_request_id_that_cannot_be_one_is_a_404_page() -> None:
    h = console()
    async with h.browser() as browser:
        await sign_in(h, browser)
        answer = await browser.get("/staff/requests/no%20such")
    assert answer.status_code == 404


# -- policies (PC1, PC2) --------------------------------------------------------------------

POLICY = {
    "text_ar": "سياسة الخصوصية المحدثة\r\nنضيف واتساب قناةً لسحب الموافقة.",
    "text_en": "The updated privacy policy\r\nWe add WhatsApp as a withdrawal channel.",
    "summary_ar": "أضفنا واتساب قناةً لسحب الموافقة",
    "summary_en": "We added WhatsApp as a withdrawal channel",
    "material": "on",
}


def counts_notifier(counts: dict[str, Any]) -> NotifierLedger:
    """The notifier's ledger API answering ``counts`` for version 2 (404 before it starts)."""
    notifier = FastAPI()

    @notifier.get("/ledger/policies/counts")
    async def found(version: int) -> Any:
        if version != 2 or not counts:
            raise HTTPException(404)
        return {"version": version, **counts}

    return NotifierLedger("http://notifier.test", httpx.ASGITransport(app=notifier))


async def published(h: WebHarness, version: int, summary_ar: str, summary_en: str) -> None:
    """The consent service's answer to a publication: the version, numbered."""
    document = PolicyDocumentPublished(
        version=version, text_ar=POLICY["text_ar"], text_en=POLICY["text_en"], contact=CONTACT,
        published_by="staff:noura",
    )  # fmt: skip
    changed = PolicyChanged(
        version=version, effective_at=NOW, material=True, summary_ar=summary_ar,
        summary_en=summary_en, url=f"https://allwanstores.com/privacy/v{version}",
    )  # fmt: skip
    await deliver(h.gateway.gateway, document, 2 * version - 1)
    await deliver(h.gateway.gateway, changed, 2 * version)


async def test_a_policy_is_previewed_in_both_languages_then_published_and_followed() -> None:
    counts: dict[str, Any] = {}
    h = console(notifier=counts_notifier(counts))
    await published(h, 1, "الإصدار الأول", "The first version")
    async with h.browser() as browser:
        await sign_in(h, browser)
        previewed = await h.post_form(browser, "/staff/policies/new", POLICY, "/staff/policies/new")
        assert previewed.status_code == 303
        assert previewed.headers["location"] == "/staff/policies/preview"
        preview = await browser.get("/staff/policies/preview")
        assert '<section class="staff-policy" lang="ar" dir="rtl"' in preview.text
        assert '<section class="staff-policy" lang="en" dir="ltr"' in preview.text
        assert "We add WhatsApp as a withdrawal channel." in preview.text
        assert h.gateway.intake("PolicyPublishRequested") == []  # a preview publishes nothing

        sent = await h.post_form(browser, "/staff/policies/publish", {}, "/staff/policies/preview")
        assert sent.headers["location"] == "/staff/policies/publishing"
        waiting = await browser.get("/staff/policies/publishing")
        assert '<meta name="allwan-follow"' in waiting.text

        await published(h, 2, POLICY["summary_ar"], POLICY["summary_en"])
        found = await browser.get("/staff/policies/publishing")
        assert found.headers["location"] == "/staff/policies/2"
        starting = await browser.get("/staff/policies/2")
        counts |= {"phase": "sending", "total": 3, "sent": 1, "pending": 2, "failed": 0}
        sending = await browser.get("/staff/policies/2")
        counts |= {"phase": "done", "sent": 3, "pending": 0}
        done = await browser.get("/staff/policies/2")
        twice = await h.post_form(browser, "/staff/policies/publish", {}, "/staff/policies")

    [request] = h.gateway.intake("PolicyPublishRequested")
    assert request.material is True
    assert request.text_en == "The updated privacy policy\nWe add WhatsApp as a withdrawal channel."
    assert '<meta name="allwan-follow"' in starting.text
    assert '<progress id="fanout-progress" max="3" value="1">' in sending.text
    assert '<meta name="allwan-follow"' in sending.text
    assert '<meta name="allwan-follow"' not in done.text
    assert "اكتمل الإرسال" in done.text
    assert twice.headers["location"] == "/staff/policies"  # a second click publishes nothing
    assert len(h.gateway.intake("PolicyPublishRequested")) == 1
    for answer in (previewed, sent, found):
        assert "WhatsApp" not in answer.headers["location"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"text_ar": ""}, "text_ar"),
        ({"text_en": " \r\n "}, "text_en"),
        ({"summary_ar": ""}, "summary_ar"),
        ({"summary_en": "x" * 2001}, "summary_en"),
        ({"effective_at": "tomorrow"}, "effective_at"),
        ({"effective_at": "2020-01-01T10:00"}, "effective_at"),
        ({"effective_at": "2099-01-01T10:00"}, "effective_at"),
    ],
)
async def test_a_policy_draft_needs_both_texts_both_summaries_and_a_date_in_the_window(
    changes: dict[str, str], field: str
) -> None:
    h = console()
    async with h.browser() as browser:
        await sign_in(h, browser)
        answer = await h.post_form(
            browser, "/staff/policies/new", POLICY | changes, "/staff/policies/new"
        )
    assert answer.status_code == 422
    assert f"policy-{field}" in errors_of(answer.text)
    assert POLICY["summary_ar"] in answer.text or field == "summary_ar"  # what was written stays
    [session] = [s for s in h.web.sessions._sessions.values() if s.staff_id]
    assert "staff.policy.draft" not in session.pending


async def test_a_card_number_in_a_policy_is_refused_beside_its_field() -> None:
    h = console()
    async with h.browser() as browser:
        english(browser)
        await sign_in(h, browser)
        card = POLICY | {"text_en": "Pay with 4111 1111 1111 1111 if you like."}
        await h.post_form(browser, "/staff/policies/new", card, "/staff/policies/new")
        answer = await h.post_form(
            browser, "/staff/policies/publish", {}, "/staff/policies/preview"
        )
    assert answer.status_code == 422
    assert errors_of(answer.text)["policy-text_en"].startswith("This looks like it holds a card")
    assert h.gateway.intake("PolicyPublishRequested") == []


async def test_what_was_written_survives_a_token_that_expired_while_writing() -> None:
    clock = Clock()
    h = console(clock)
    async with h.browser() as browser:
        await sign_in(h, browser)
        token = csrf_of((await browser.get("/staff/policies/new")).text)
        clock.now += timedelta(minutes=20)
        answer = await browser.post("/staff/policies/new", data={"csrf": token, **POLICY})
        assert answer.headers["location"] == "/staff/sign-in"
        clock.now = datetime.now(UTC)
        back = await sign_in(h, browser)
        assert back.headers["location"] == "/staff/policies/new"
        form = await browser.get("/staff/policies/new")
    assert POLICY["summary_ar"] in form.text
    assert "We add WhatsApp as a withdrawal channel." in form.text
    assert h.gateway.intake("PolicyPublishRequested") == []


async def test_form_fields_carry_their_attributes_unescaped_for_the_browser() -> None:
    clock = Clock()
    h = console(clock)
    await seeded_request(h)
    async with h.browser() as browser:
        signed_out = await browser.get("/staff/sign-in")
        await signed_in_at_now(h, browser, clock)
        shown = await browser.get("/staff/requests/r-1")
    assert 'autocapitalize="none" spellcheck="false" dir="ltr"' in signed_out.text
    assert 'min="1" max="30" step="1" inputmode="numeric"' in shown.text
    assert "&#34;" not in signed_out.text + shown.text
