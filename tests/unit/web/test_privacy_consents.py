"""The customer's consents in the privacy centre (K2, K3, CK1, CK2): each purpose in words with
its status, policy version, channel and date; a one-click withdraw or grant recorded with the
browser's proof (C2); the cookie categories kept in step with this browser's choice; and the
history of every change."""

from __future__ import annotations

import re

from allwan_contracts import ConsentPurpose, CustomerErased, ErasureReason
from allwan_contracts.fields import Channel

from tests.unit.gateway.seed import consent, deliver
from tests.unit.web.harness import WebHarness, csrf_of
from tests.unit.web.privacy_seed import CUSTOMER, centre, main_of, shown, sign_in, text_of

_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


def row(page: str, purpose: str) -> str:
    found = re.search(rf'<li class="card" id="purpose-{purpose}">(.*?)</li>', page, re.S)
    assert found, purpose
    return found.group(1)


def form_fields(row_html: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the one form in a row."""
    [action] = re.findall(r'<form method="post" action="([^"]+)"', row_html)
    return action, dict(_HIDDEN.findall(row_html))


async def seeded() -> WebHarness:
    """Marketing and analytics granted, functional never asked."""
    h = await centre()
    await deliver(h.gateway.gateway, consent(CUSTOMER), 1)
    await deliver(h.gateway.gateway, consent(CUSTOMER, ConsentPurpose.ANALYTICS_COOKIES), 2)
    return h


async def test_each_purpose_shows_its_status_version_and_channel_in_words() -> None:
    h = await seeded()
    async with h.browser() as browser:
        sign_in(h, browser)
        page = main_of(await shown(browser, "/privacy/consents"))
    marketing = " ".join(re.sub(r"<[^>]+>", " ", row(page, "marketing")).split())
    assert "الرسائل التسويقية موافَق عليه إصدار السياسة ١ القناة الموقع" in marketing
    assert "لم تُمنح" in row(page, "functional_cookies")
    # Order processing comes with an order (K1): explained, never a lone withdraw button.
    assert "<form" not in row(page, "order_processing")


async def test_withdrawing_marketing_is_one_click_recorded_with_the_browsers_proof() -> None:
    h = await seeded()
    async with h.browser() as browser:
        sign_in(h, browser)
        page = await shown(browser, "/privacy/consents")
        action, fields = form_fields(row(page, "marketing"))
        assert (action, fields["action"]) == ("/privacy/consents", "withdraw")
        answer = await browser.post(action, data=fields)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/privacy/consents"
        after = await shown(browser, "/privacy/consents")
    [change] = h.gateway.intake("ConsentChangeRequested")
    assert (change.purpose, change.action, change.channel) == (
        ConsentPurpose.MARKETING, "withdraw", Channel.WEB,
    )  # fmt: skip
    assert change.evidence.user_agent_hmac
    assert "سجّلنا اختيارك" in after


async def test_a_withdrawn_purpose_offers_the_grant_back() -> None:
    h = await centre()
    await deliver(h.gateway.gateway, consent(CUSTOMER, granted=False), 1)
    async with h.browser() as browser:
        sign_in(h, browser)
        page = await shown(browser, "/privacy/consents")
    _, fields = form_fields(row(page, "marketing"))
    assert fields["action"] == "grant"


async def test_a_form_for_a_purpose_this_page_does_not_change_is_refused_and_records_nothing() -> (
    None
):
    h = await seeded()
    async with h.browser() as browser:
        sign_in(h, browser)
        token = csrf_of(await shown(browser, "/privacy/consents"))
        for purpose, action in (("order_processing", "withdraw"), ("marketing", "erase")):
            answer = await browser.post(
                "/privacy/consents", data={"csrf": token, "purpose": purpose, "action": action}
            )
            assert answer.status_code == 422, purpose
    assert h.gateway.intake("ConsentChangeRequested") == []


async def test_a_cookie_category_changes_with_the_cookie_choice_keeping_the_other_one() -> None:
    h = await seeded()
    async with h.browser() as browser:
        sign_in(h, browser)
        page = await shown(browser, "/privacy/consents")
        action, fields = form_fields(row(page, "functional_cookies"))
        assert action == "/cookies"
        assert fields["functional"] == "on"
        assert fields["analytics"] == "on"  # granted in the ledger: kept
        answer = await browser.post(action, data=fields)
        assert answer.headers["location"] == "/privacy/consents"
    assert browser.cookies.get("allwan_cookies") == "v1:1:1"
    recorded = {(c.purpose, c.action) for c in h.gateway.intake("ConsentChangeRequested")}
    assert recorded == {
        (ConsentPurpose.FUNCTIONAL_COOKIES, "grant"),
        (ConsentPurpose.ANALYTICS_COOKIES, "grant"),
    }


async def test_withdrawing_analytics_here_also_drops_it_from_this_browser() -> None:
    h = await seeded()
    async with h.browser() as browser:
        sign_in(h, browser)
        page = await shown(browser, "/privacy/consents")
        action, fields = form_fields(row(page, "analytics_cookies"))
        assert "analytics" not in fields
        assert "functional" not in fields  # never granted: stays off
        await browser.post(action, data=fields)
    assert browser.cookies.get("allwan_cookies") == "v1:0:0"
    assert browser.cookies.get("allwan_analytics") is None


async def test_a_gpc_browser_is_offered_no_analytics_grant() -> None:
    h = await centre()
    async with h.browser(**{"Sec-GPC": "1"}) as browser:
        sign_in(h, browser)
        page = await shown(browser, "/privacy/consents")
    analytics = row(page, "analytics_cookies")
    assert "<form" not in analytics
    assert "GPC" in analytics


async def test_the_cookie_categories_show_what_the_ledger_recorded() -> None:
    h = await seeded()
    async with h.browser() as browser:
        sign_in(h, browser)
        page = text_of(await shown(browser, "/privacy/consents"))
    assert "وظيفية: غير مسموح" in page
    assert "تحليلات: مسموح" in page


async def test_the_history_lists_every_change_newest_first_in_words() -> None:
    h = await centre()
    await deliver(h.gateway.gateway, consent(CUSTOMER), 1)
    await deliver(h.gateway.gateway, consent(CUSTOMER, granted=False), 2)
    async with h.browser() as browser:
        sign_in(h, browser)
        page = main_of(await shown(browser, "/privacy/consents"))
    history = page[page.index('class="consent-history"') :]
    assert history.index("سحب الموافقة") < history.index("منح الموافقة")


async def test_an_erased_customer_is_told_so_and_offered_no_change() -> None:
    h = await seeded()
    erased = CustomerErased(
        customer_id=CUSTOMER,
        erased_at=h.web.clock(),
        reason=ErasureReason.CUSTOMER_REQUEST,
        requested_via=Channel.WEB,
    )
    await deliver(h.gateway.gateway, erased, 3)
    async with h.browser() as browser:
        sign_in(h, browser)
        page = main_of(await shown(browser, "/privacy/consents"))
    assert "مُحيت بياناتك الشخصية" in page
    purposes = page[: page.index('id="cookies"')]
    assert "<form" not in purposes
    assert "مُحيت البيانات الشخصية" in page[page.index('class="consent-history"') :]
