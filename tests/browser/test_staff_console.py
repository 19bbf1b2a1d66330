"""The staff console in a real browser over the running system (S1): a staff member signs in
as themselves, publishes a material policy change after previewing it, and watches its emails
go out (PC1, PC2); a customer then sees the change notice on the store until they confirm it;
the audit trail names the member who published. A wrong password grants nothing. Every
console page passes axe in Arabic and English, with screenshots at desktop and phone widths."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import NewPage, StaffCredentials
from tests.browser.helpers import check_page
from tests.e2e.conftest import RunningSystem

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

REJECT = "رفض غير الضروري"
EVENTUAL_MS = 30_000
"""How long the services may take to act on what the console sent (ms)."""


def become_customer(page: Page, plan: str, phone: str = "0512345678") -> None:
    """Order ``plan`` as anyone does, saying yes to marketing (a secondary purpose: the one a
    material change asks to confirm again), and wait until orders has placed the order."""
    page.goto(f"/checkout/{plan}")
    page.locator(".cookie-banner").get_by_role("button", name=REJECT).click()
    page.locator("#f-name").fill("نورة القحطاني")
    page.locator("#f-email").fill(f"c{uuid.uuid4().hex[:12]}@example.com")
    page.locator("#f-phone").fill(phone)
    page.locator("#f-age-legal").check()
    page.locator("#f-marketing").check()
    page.locator("form.checkout button[type=submit]").click()
    page.wait_for_url(re.compile(r"/orders/[^/?]+"))
    expect(page.locator(".order-state .status-placed")).to_be_visible(timeout=EVENTUAL_MS)


def sign_in(page: Page, who: StaffCredentials, password: str | None = None) -> None:
    page.goto("/staff/sign-in")
    page.locator("#sign-in-staff_id").fill(who.staff_id)
    page.locator("#sign-in-password").fill(who.password if password is None else password)
    page.locator("form.staff-form button[type=submit]").click()


def until(page: Page, path: str, shown: Callable[[Page], bool], what: str) -> None:
    """Open ``path`` again until ``shown`` holds: for a change another service makes, which a
    page learns of only when it is loaded."""
    deadline = time.monotonic() + EVENTUAL_MS / 1000
    while True:
        page.goto(path)
        if shown(page):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within {EVENTUAL_MS} ms")
        page.wait_for_timeout(250)


def test_pc2_a_material_policy_is_previewed_published_followed_and_reconfirmed(
    new_page: NewPage, staff_credentials: StaffCredentials, plan: str
) -> None:
    customer = new_page()
    become_customer(customer, plan)
    staff = new_page()
    sign_in(staff, staff_credentials)
    expect(staff).to_have_url(re.compile(r"/staff$"))
    expect(staff.locator(".staff-bar")).to_contain_text(staff_credentials.staff_id)

    marker = uuid.uuid4().hex[:8]
    staff.goto("/staff/policies/new")
    staff.locator("#policy-summary_ar").fill(f"أضفنا واتساب قناةً لسحب الموافقة ({marker})")
    staff.locator("#policy-text_ar").fill("سياسة الخصوصية\nيمكنك سحب موافقتك عبر واتساب.")
    staff.locator("#policy-summary_en").fill(f"We added WhatsApp for withdrawals ({marker})")
    staff.locator("#policy-text_en").fill("Privacy policy\nYou can withdraw by WhatsApp.")
    staff.locator("#policy-material").check()
    staff.get_by_role("button", name="معاينة").click()

    expect(staff).to_have_url(re.compile(r"/staff/policies/preview$"))
    expect(staff.locator('section.staff-policy[lang="ar"]')).to_contain_text("عبر واتساب")
    expect(staff.locator('section.staff-policy[lang="en"]')).to_contain_text("by WhatsApp")
    assert marker not in staff.url
    staff.get_by_role("button", name="نشر", exact=True).click()

    # The consent service numbers the version; the page follows it, then the emails.
    expect(staff).to_have_url(re.compile(r"/staff/policies/\d+$"), timeout=EVENTUAL_MS)
    version = staff.url.rsplit("/", 1)[-1]
    expect(staff.locator("h1")).to_contain_text("سياسة الخصوصية")
    expect(staff.locator(".staff-fanout [role=status]")).to_contain_text(
        "اكتمل الإرسال", timeout=EVENTUAL_MS
    )
    expect(staff.locator("#fanout-progress")).to_be_visible()

    until(
        customer,
        "/",
        lambda page: page.locator("section.notice").count() == 1,
        "the change notice on the store",
    )
    expect(customer.locator("section.notice")).to_contain_text(
        str(version).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    )
    customer.locator("section.notice").get_by_role("button").click()
    until(
        customer,
        "/",
        lambda page: page.locator("section.notice").count() == 0,
        "the notice gone once confirmed",
    )

    staff.goto("/staff/audit")
    staff.locator("#audit-staff_id").fill(staff_credentials.staff_id)
    staff.locator("#audit-action").fill("policy.publish")
    staff.get_by_role("button", name="تصفية", exact=True).click()
    expect(staff).to_have_url(re.compile(r"/staff/audit$"))
    row = staff.locator("tbody tr").filter(has_text="policy.publish").first
    expect(row).to_contain_text(f"staff:{staff_credentials.staff_id}")


def test_s1_a_wrong_password_shows_the_error_and_grants_nothing(
    page: Page, staff_credentials: StaffCredentials
) -> None:
    sign_in(page, staff_credentials, password="not-the-password-" + uuid.uuid4().hex[:6])

    expect(page.locator("#sign-in-problem")).to_have_text("معرّف الموظف أو كلمة المرور غير صحيحة.")
    expect(page.locator("#sign-in-password")).to_have_value("")
    page.goto("/staff")
    expect(page).to_have_url(re.compile(r"/staff/sign-in$"))
    page.goto("/staff/audit")
    expect(page).to_have_url(re.compile(r"/staff/sign-in$"))


def whatsapp(system: RunningSystem, phone: str, text: str) -> None:
    """A WhatsApp message from ``phone`` (``05...``) to the store, signed as Meta signs it."""
    message = {
        "from": "966" + phone.removeprefix("0"),
        "id": f"wamid.{uuid.uuid4().hex}",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": text},
    }
    change = {
        "field": "messages",
        "value": {"messaging_product": "whatsapp", "messages": [message]},
    }
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}
    raw = json.dumps(body).encode()
    secret = system.secrets["ALLWAN_WHATSAPP_APP_SECRET"].encode()
    answer = httpx.post(
        f"{system.gateway}/v1/webhooks/whatsapp",
        content=raw,
        headers={
            "content-type": "application/json",
            "x-hub-signature-256": "sha256=" + hmac.new(secret, raw, hashlib.sha256).hexdigest(),
        },
        timeout=10.0,
    )
    assert answer.status_code == 202, answer.text


def queued(page: Page) -> set[str]:
    page.goto("/staff/requests")
    return {
        str(href).rsplit("/", 1)[-1]
        for href in page.locator('main a[href^="/staff/requests/"]').evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
    }


def an_open_request(page: Page, new_page: NewPage, plan: str, system: RunningSystem) -> str:
    """A request that stays open: an erasure asked on WhatsApp waits for the customer's
    confirming message, which never comes. Its id, as the queue shows it."""
    phone = f"05{secrets.randbelow(10**8):08d}"
    become_customer(new_page(), plan, phone)
    before = queued(page)
    whatsapp(system, phone, "احذف بياناتي")
    deadline = time.monotonic() + EVENTUAL_MS / 1000
    while not (new := queued(page) - before):
        assert time.monotonic() < deadline, "the WhatsApp erasure never reached the queue"
        page.wait_for_timeout(250)
    [request_id] = new
    return request_id


def riyadh(moment: datetime) -> str:
    return (moment + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_every_console_page_passes_axe(
    new_page: NewPage,
    staff_credentials: StaffCredentials,
    system: RunningSystem,
    plan: str,
    lang: str,
) -> None:
    page = new_page(locale="ar-SA" if lang == "ar" else "en-GB")
    page.goto("/staff/sign-in")
    page.locator(".cookie-banner form").get_by_role("button").nth(1).click()  # reject
    if lang == "en":
        page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    check_page(page, f"staff-sign-in-{lang}")
    sign_in(page, staff_credentials, password="wrong")
    expect(page.locator("#sign-in-problem")).to_be_visible()
    check_page(page, f"staff-sign-in-refused-{lang}")

    sign_in(page, staff_credentials)
    expect(page).to_have_url(re.compile(r"/staff$"))
    check_page(page, f"staff-dashboard-{lang}")

    request_id = an_open_request(page, new_page, plan, system)
    page.goto(f"/staff/requests/{request_id}")
    expect(page.locator("#deny-reason")).to_be_visible()
    check_page(page, f"staff-request-{lang}")
    page.locator("#extend-days").fill("10")
    page.locator("#extend-reason").fill("   ")  # the browser takes blanks, the console does not
    page.locator("form[action$='/extension'] button").click()
    expect(page.locator("#extend-reason-error")).to_be_visible()
    check_page(page, f"staff-request-errors-{lang}")
    page.goto("/staff/requests")
    expect(page.locator(f'a[href="/staff/requests/{request_id}"]')).to_be_visible()
    check_page(page, f"staff-requests-{lang}")

    page.goto("/staff/policies")
    check_page(page, f"staff-policies-{lang}")
    page.goto("/staff/policies/new")
    check_page(page, f"staff-policy-new-{lang}")
    page.locator("#policy-summary_ar").fill("تحديث صياغة")
    page.locator("#policy-text_ar").fill("نص")
    page.locator("#policy-summary_en").fill("Wording")
    page.locator("#policy-text_en").fill("Text")
    page.locator("#policy-effective_at").fill("2020-01-01T10:00")
    page.locator("form.staff-form button[type=submit]").click()
    expect(page.locator("#policy-effective_at-error")).to_be_visible()
    check_page(page, f"staff-policy-new-errors-{lang}")
    page.locator("#policy-effective_at").fill("")
    page.locator("form.staff-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/policies/preview$"))
    check_page(page, f"staff-policy-preview-{lang}")  # previewed, never published
    current = httpx.get(f"{system.gateway}/v1/policy", timeout=10.0).json()["version"]
    page.goto(f"/staff/policies/{current}")
    check_page(page, f"staff-policy-{lang}")

    page.goto("/staff/customers")
    check_page(page, f"staff-customers-{lang}")
    page.locator("#lookup-customer_id").fill(f"caxe{uuid.uuid4().hex[:12]}")
    page.locator("form.staff-inline button").click()
    expect(page.locator("#withdrawal-title")).to_be_visible()
    check_page(page, f"staff-customer-{lang}")
    page.locator("#withdrawal-purpose").select_option("marketing")
    page.locator("#withdrawal-channel").select_option("email")
    page.locator("#withdrawal-message_reference").fill("has spaces")
    page.locator("form[action='/staff/customers/withdrawal'] button").click()
    expect(page.locator("#withdrawal-message_reference-error")).to_be_visible()
    check_page(page, f"staff-customer-errors-{lang}")

    page.goto("/staff/breaches/new")
    check_page(page, f"staff-breach-new-{lang}")
    page.locator("#breach-description").fill("An export bucket was readable.")
    page.locator("#breach-detected_at").fill(riyadh(datetime.now(UTC) - timedelta(hours=1)))
    page.locator("#breach-likely_consequences").fill("Phishing.")
    page.locator("#breach-measures_taken").fill("Access revoked.")
    page.locator("#breach-customer_ids").fill(f"caxe{uuid.uuid4().hex[:12]}")
    page.locator("form.staff-form button[type=submit]").click()
    expect(page.locator("#breach-categories-error")).to_be_visible()
    check_page(page, f"staff-breach-new-errors-{lang}")
    page.locator("#breach-category-email").check()
    page.locator("form.staff-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/breaches/[A-Za-z0-9_-]+$"))
    check_page(page, f"staff-breach-{lang}")
    page.goto("/staff/breaches")
    check_page(page, f"staff-breaches-{lang}")

    page.goto("/staff/audit")
    check_page(page, f"staff-audit-{lang}")
