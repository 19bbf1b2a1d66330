"""The storefront in a real browser over the running system: a visitor who rejects cookies
checks out with essential cookies only (CK2); a customer orders in Arabic, pays through the
storefront's payment call and sees the subscription start once orders decided; a GPC browser
gets no analytics cookie whatever it clicks (CK2); a keyboard alone places an order; and every
storefront page passes axe in Arabic and English, with screenshots at desktop and phone
widths."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import NewPage
from tests.browser.helpers import check_page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

ESSENTIAL = frozenset(
    {"__Host-allwan_session", "__Host-allwan_customer", "allwan_cookies", "allwan_lang"}
)
"""The cookies the store sets without consent: session, remembered customer, the choice
itself and the language (``/cookies`` lists them)."""
REJECT = "رفض غير الضروري"
ACCEPT = "قبول الكل"
ORDER_LINK = re.compile(r"/orders/[A-Za-z0-9_-]+$")
DECIDED_S = 30_000
"""How long orders may take to decide, as the page follows it (ms)."""


def fill_contact(page: Page) -> None:
    page.locator("#f-name").fill("نورة القحطاني")
    page.locator("#f-email").fill(f"c{uuid.uuid4().hex[:12]}@example.com")
    page.locator("#f-phone").fill("0512345678")


def placed(page: Page) -> str:
    """The order page the checkout led to, once orders placed the order; its id."""
    page.wait_for_url(ORDER_LINK)
    expect(page.locator(".order-state .status-placed")).to_be_visible(timeout=DECIDED_S)
    return page.url.rsplit("/", 1)[-1]


def cookie_names(page: Page) -> set[str]:
    return {cookie["name"] for cookie in page.context.cookies()}


def test_ck2_a_visitor_who_rejects_cookies_checks_out_with_essential_cookies_only(
    page: Page, plan: str
) -> None:
    page.goto("/")
    page.locator(".cookie-banner").get_by_role("button", name=REJECT).click()
    page.locator(f'a[href="/plans/{plan}"]').first.click()
    page.locator(f'main a[href="/checkout/{plan}"]').click()
    fill_contact(page)
    page.get_by_label("أُقرّ بأنني بلغت السن النظامية").check()
    page.get_by_role("button", name="تأكيد الطلب").click()
    placed(page)
    page.goto("/account/orders")

    names = cookie_names(page)
    assert names <= ESSENTIAL, names - ESSENTIAL
    assert {"__Host-allwan_session", "__Host-allwan_customer", "allwan_cookies"} <= names
    [choice] = [c for c in page.context.cookies() if c["name"] == "allwan_cookies"]
    assert choice["value"] == "v1:0:0"
    expect(page.locator("table.orders tbody tr")).to_have_count(1)


def test_a_customer_orders_in_arabic_pays_and_sees_the_subscription_active(
    page: Page, plan: str
) -> None:
    page.goto(f"/checkout/{plan}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator(".cookie-banner").get_by_role("button", name=REJECT).click()
    fill_contact(page)
    page.locator("#f-age-legal").check()
    page.locator("form.checkout button[type=submit]").click()
    order_id = placed(page)
    expect(page.locator(".order-state")).to_contain_text("بانتظار الدفع")

    page.get_by_role("button", name="ادفع (تجريبي)").click()

    # The page follows the payment by itself (static/follow.js) until orders activates it.
    expect(page.locator(".order-state .status-active")).to_be_visible(timeout=DECIDED_S)
    expect(page.locator(".order-state")).to_contain_text("نشط")
    expect(page.locator("main")).to_contain_text("نهاية الاشتراك")
    assert page.url.endswith(f"/orders/{order_id}")
    expect(page.get_by_role("button", name="ادفع (تجريبي)")).to_have_count(0)
    check_page(page, "storefront-order-active-ar")


@pytest.fixture
def gpc_page(browser: Browser, web_url: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=web_url, locale="ar-SA", extra_http_headers={"Sec-GPC": "1"}
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def test_ck2_a_gpc_browser_is_shown_its_signal_and_gets_no_analytics_cookie_on_accept(
    gpc_page: Page, plan: str
) -> None:
    page = gpc_page
    page.goto("/")
    expect(page.locator(".cookie-banner")).to_have_count(0)  # the signal is a choice
    page.goto("/cookies")
    expect(page.locator(".gpc")).to_contain_text("GPC")
    expect(page.locator("#analytics")).to_be_disabled()

    page.locator("form.cookie-form").get_by_role("button", name=ACCEPT).click()
    page.goto(f"/plans/{plan}")
    page.goto("/")

    names = cookie_names(page)
    assert "allwan_analytics" not in names
    [choice] = [c for c in page.context.cookies() if c["name"] == "allwan_cookies"]
    assert choice["value"] == "v1:1:0"  # functional as accepted, analytics refused by GPC


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element ``selector`` names has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_keyboard_alone_places_an_order(page: Page, plan: str) -> None:
    page.goto("/")
    tab_to(page, ".cookie-banner button[value=reject]")
    page.keyboard.press("Enter")
    expect(page.locator(".cookie-banner")).to_have_count(0)
    tab_to(page, f'main a[href="/checkout/{plan}"]')
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/checkout/{plan}")

    tab_to(page, "#f-name")
    page.keyboard.type("نورة القحطاني")
    tab_to(page, "#f-email")
    page.keyboard.type(f"k{uuid.uuid4().hex[:12]}@example.com")
    tab_to(page, "#f-phone")
    page.keyboard.type("0512345678")
    tab_to(page, "#f-age-legal")
    page.keyboard.press("Space")
    expect(page.locator("#f-age-legal")).to_be_checked()
    expect(page.locator("#f-marketing")).not_to_be_checked()
    tab_to(page, "form.checkout button[type=submit]")
    page.keyboard.press("Enter")

    placed(page)


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_every_storefront_page_passes_axe(new_page: NewPage, plan: str, lang: str) -> None:
    page = new_page(locale="ar-SA" if lang == "ar" else "en-GB")
    page.goto("/")
    page.locator(".cookie-banner form").get_by_role("button").nth(1).click()  # reject
    if lang == "en":
        page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", lang)

    check_page(page, f"storefront-catalogue-{lang}")
    page.goto("/account/orders")
    check_page(page, f"storefront-orders-empty-{lang}")
    page.goto(f"/plans/{plan}")
    check_page(page, f"storefront-plan-{lang}")
    page.goto(f"/checkout/{plan}")
    check_page(page, f"storefront-checkout-{lang}")
    page.locator("form.checkout button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    check_page(page, f"storefront-checkout-errors-{lang}")

    fill_contact(page)
    page.locator("#f-age-legal").check()
    page.locator("form.checkout button[type=submit]").click()
    order_id = placed(page)
    check_page(page, f"storefront-order-{lang}")
    page.goto(f"/orders/{order_id}/cancel")
    check_page(page, f"storefront-cancel-{lang}")
    page.goto("/account/orders")
    expect(page.locator("table.orders")).to_be_visible()
    check_page(page, f"storefront-orders-{lang}")
