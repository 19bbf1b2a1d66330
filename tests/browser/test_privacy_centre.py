"""The privacy centre in a real browser over the running system: a customer (made by their own
checkout, since the customer lives in the web session) withdraws marketing and sees it in the
history (K3); asks for a copy of their data and downloads it once the services answered
(PDPL); and every privacy page passes axe in Arabic and English, with screenshots at desktop
and phone widths."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import NewPage
from tests.browser.helpers import check_page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

REJECT = "رفض غير الضروري"
WITHDRAW = "اسحب الموافقة"
ASK_COPY = "اطلب نسخة من بياناتي"
DOWNLOAD_JSON = "نزّل ملف JSON"


def checkout(page: Page, plan: str, *, marketing: bool = False) -> str:
    """Become a customer as anyone does: choose cookies, order ``plan``; the order's id once
    orders placed it."""
    page.goto(f"/checkout/{plan}")
    page.locator(".cookie-banner").get_by_role("button", name=REJECT).click()
    page.locator("#f-name").fill("نورة القحطاني")
    page.locator("#f-email").fill(f"c{uuid.uuid4().hex[:12]}@example.com")
    page.locator("#f-phone").fill("0512345678")
    page.locator("#f-age-legal").check()
    if marketing:
        page.locator("#f-marketing").check()
    page.locator("form.checkout button[type=submit]").click()
    page.wait_for_url(re.compile(r"/orders/[^/?]+"))
    # The order page follows the order by itself until orders decided.
    expect(page.locator(".order-state .status-placed")).to_be_visible(timeout=30_000)
    return page.url.split("?")[0].rsplit("/", 1)[-1]


def reload_until(page: Page, shown: Locator, timeout_s: float = 30.0) -> None:
    """Reload ``page`` as a customer would until ``shown`` is there: what the services do
    reaches the pages within seconds, not at once."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            expect(shown).to_be_visible(timeout=1_000)
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            page.reload()
        else:
            return


def test_k3_a_customer_withdraws_marketing_and_sees_the_withdrawal_in_the_history(
    page: Page, plan: str
) -> None:
    checkout(page, plan, marketing=True)
    page.goto("/privacy/consents")
    marketing = page.locator("#purpose-marketing")
    reload_until(page, marketing.get_by_role("button", name=WITHDRAW))  # granted at the order

    marketing.get_by_role("button", name=WITHDRAW).click()

    expect(page.get_by_role("status")).to_contain_text("سجّلنا اختيارك")
    # The purpose's state and its history are two views the gateway updates one after the
    # other: each is waited for.
    reload_until(page, marketing.get_by_role("button", name="امنح الموافقة"))
    expect(marketing).to_contain_text("مسحوبة")
    withdrawn = (
        page.locator("table.consent-history tbody tr")
        .filter(has_text="الرسائل التسويقية")
        .filter(has_text="سحب الموافقة")
    )
    reload_until(page, withdrawn.first)


def test_a_customer_downloads_the_copy_of_their_data_naming_their_order(
    page: Page, plan: str
) -> None:
    order_id = checkout(page, plan)
    page.goto("/privacy/requests")

    page.get_by_role("button", name=ASK_COPY).click()

    page.wait_for_url(re.compile(r"/privacy/requests/[^/?]+$"))
    download = page.get_by_role("link", name=DOWNLOAD_JSON)
    reload_until(page, download, timeout_s=60)  # every service answered, the copy is made
    with page.expect_download() as started:
        download.click()
    saved = started.value
    assert saved.suggested_filename.endswith(".json")
    export = json.loads(Path(saved.path()).read_text(encoding="utf-8"))
    assert export["personal_data_held"] is True
    assert order_id in [order["order_id"] for order in export["orders"]]
    assert export["contact"]["name"] == "نورة القحطاني"


PUBLIC = ("/privacy", "/privacy/policy", "/privacy/policy/versions", "/privacy/contact")
OWN = ("/privacy/consents", "/privacy/requests", "/privacy/disclosures")


def _name(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.strip("/")) or "root"


def test_every_privacy_page_passes_axe_in_arabic_and_english(new_page: NewPage, plan: str) -> None:
    visitor = new_page()
    visitor.goto("/privacy")
    visitor.locator(".cookie-banner").get_by_role("button", name=REJECT).click()
    customer = new_page()
    checkout(customer, plan)
    customer.goto("/privacy/requests")
    customer.get_by_role("button", name=ASK_COPY).click()
    customer.wait_for_url(re.compile(r"/privacy/requests/[^/?]+$"))
    request = customer.url
    for lang, switch in (("ar", None), ("en", "English")):
        for page in (visitor, customer):
            if switch:
                page.goto("/privacy")
                page.get_by_role("button", name=switch).click()
                expect(page.locator("html")).to_have_attribute("lang", lang)
        for path in PUBLIC:
            visitor.goto(path)
            check_page(visitor, f"privacy-visitor-{_name(path)}-{lang}")
        visitor.goto(OWN[0])
        check_page(visitor, f"privacy-visitor-not-yet-{lang}")
        # The public pages differ for a customer only by the parts they link to.
        for path in ("/privacy", "/privacy/policy/versions/1", *OWN, request):
            customer.goto(path)
            name = "request" if path == request else _name(path)
            check_page(customer, f"privacy-customer-{name}-{lang}")
