"""The customer's privacy requests (PDPL: access and a copy, correction, erasure, answered
within 30 days): asking once per form (the hidden Idempotency-Key), the erasure's typed
confirmation, the correction's errors in the visitor's language, the days left, cancelling
before work starts, and the export downloaded as a file never cached."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import httpx
from allwan_contracts.privacy import PrivacyRequestKind

from tests.unit.gateway.privacy_fake import FakePrivacy
from tests.unit.gateway.seed import access_completed, extended, life, received, started, verified
from tests.unit.web.harness import WebHarness, csrf_of
from tests.unit.web.privacy_seed import CUSTOMER, centre, main_of, shown, sign_in, text_of

_KEY = re.compile(
    r'name="kind" value="([a-z]+)">\s*<input type="hidden" name="idempotency_key" value="([^"]+)">'
)
NOW = datetime.now(UTC)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def ask(
    browser: httpx.AsyncClient, kind: str, **fields: str
) -> tuple[httpx.Response, dict[str, str]]:
    """Post the ``kind`` form of the requests page as shown; the answer and what was posted."""
    page = await shown(browser, "/privacy/requests")
    keys = dict(_KEY.findall(page))
    posted = {"csrf": csrf_of(page), "kind": kind, "idempotency_key": keys[kind], **fields}
    return await browser.post("/privacy/requests", data=posted), posted


def submitted(h: WebHarness) -> list[object]:
    return h.gateway.intake("PrivacyRequestSubmitted")


async def test_asking_for_a_copy_records_one_web_request_and_shows_its_page() -> None:
    h = await centre()
    async with h.browser() as browser:
        sign_in(h, browser)
        answer, _ = await ask(browser, "access")
        assert answer.status_code == 303
        where = answer.headers["location"]
        page = await shown(browser, where)
    [request] = submitted(h)
    assert request.kind is PrivacyRequestKind.ACCESS  # type: ignore[attr-defined]
    assert where == f"/privacy/requests/{request.request_id}"  # type: ignore[attr-defined]
    assert "استلمنا طلبك" in page  # the flash, above the page's own content
    assert "استُلم" in text_of(page)


async def test_a_double_submitted_form_asks_once() -> None:
    h = await centre()
    async with h.browser() as browser:
        sign_in(h, browser)
        first, posted = await ask(browser, "access")
        again = await browser.post("/privacy/requests", data=posted)
    assert again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert len(submitted(h)) == 1


async def test_an_erasure_without_its_typed_word_is_refused_and_nothing_is_asked() -> None:
    h = await centre()
    async with h.browser() as browser:
        sign_in(h, browser)
        answer, _ = await ask(browser, "erasure", confirm="نعم")
    assert answer.status_code == 422
    page = main_of(answer.text)
    assert 'aria-describedby="erasure-confirm-error"' in page
    assert (
        '<p id="erasure-confirm-error" class="error">اكتب كلمة التأكيد كما هي: «احذف».</p>' in page
    )
    assert submitted(h) == []


async def test_an_erasure_is_confirmed_by_either_languages_word() -> None:
    h = await centre()
    async with h.browser() as browser:
        sign_in(h, browser)
        answer, _ = await ask(browser, "erasure", confirm=" delete ")  # an Arabic page
        assert answer.status_code == 303
        page = main_of(await shown(browser, answer.headers["location"]))
    [request] = submitted(h)
    assert request.kind is PrivacyRequestKind.ERASURE  # type: ignore[attr-defined]
    assert re.search(r'action="/privacy/requests/[^"]+/cancellation"', page)


async def test_the_erasure_form_asks_for_the_page_languages_word_and_says_what_is_kept() -> None:
    h = await centre()
    async with h.browser() as browser:
        sign_in(h, browser)
        arabic = text_of(await shown(browser, "/privacy/requests"))
        token = csrf_of(await shown(browser, "/privacy/requests"))
        await browser.post("/language", data={"csrf": token, "lang": "en", "next": "/"})
        english = text_of(await shown(browser, "/privacy/requests"))
    assert "اكتب كلمة «احذف»" in arabic
    assert "type DELETE" in english
    for kept in ("financial records", "disclosure ledger", "grace period"):
        assert kept in english


async def test_a_correction_names_at_least_one_field() -> None:
    h = await centre()
    async with h.browser() as browser:
        sign_in(h, browser)
        answer, _ = await ask(browser, "correction", name=" ", email="")
    assert answer.status_code == 422
    assert "اكتب قيمة واحدة على الأقل" in answer.text
    assert submitted(h) == []


async def test_a_correction_the_gateway_refuses_shows_each_field_error_and_keeps_the_values() -> (
    None
):
    h = await centre()
    async with h.browser() as browser:
        sign_in(h, browser)
        answer, posted = await ask(browser, "correction", name="Noura Q", email="not-an-email")
    assert answer.status_code == 422
    page = main_of(answer.text)
    assert 'aria-invalid="true" aria-describedby="correction-email-error"' in page
    assert "اكتب بريدًا إلكترونيًا صحيحًا" in page
    assert 'value="Noura Q"' in page
    # The form keeps its key: nothing was recorded under it.
    assert f'value="{posted["idempotency_key"]}"' in page
    assert submitted(h) == []


async def test_a_card_number_in_a_correction_is_named_as_such_and_never_echoed() -> None:
    h = await centre()
    async with h.browser() as browser:
        sign_in(h, browser)
        answer, _ = await ask(browser, "correction", billing_address="4111 1111 1111 1111")
    assert answer.status_code == 422
    assert "لا نقبل أرقام البطاقات" in answer.text
    assert 'aria-describedby="correction-billing_address-error"' in answer.text


async def test_a_correction_sends_only_the_filled_fields_and_no_value_reaches_a_url() -> None:
    h = await centre()
    async with h.browser() as browser:
        sign_in(h, browser)
        answer, _ = await ask(browser, "correction", email="noura.q@example.com", phone="")
    assert answer.status_code == 303
    assert "noura" not in answer.headers["location"]
    [request] = submitted(h)
    changes = request.changes  # type: ignore[attr-defined]
    assert changes.email is not None
    assert (changes.name, changes.phone, changes.billing_address) == (None, None, None)


async def test_an_open_request_of_a_kind_replaces_its_form_with_a_link_to_it() -> None:
    h = await centre()
    await life(h.gateway.gateway, received("r-open", CUSTOMER, at=NOW))
    async with h.browser() as browser:
        sign_in(h, browser)
        page = main_of(await shown(browser, "/privacy/requests"))
    access = page[page.index('id="ask-access"') : page.index('id="ask-correction"')]
    assert "<form" not in access
    assert 'href="/privacy/requests/r-open"' in access


async def test_a_stale_form_for_a_kind_already_open_leads_to_the_open_request() -> None:
    h = await centre()
    async with h.browser() as browser:
        sign_in(h, browser)
        page = await shown(browser, "/privacy/requests")
        keys = dict(_KEY.findall(page))
        first, _ = await ask(browser, "access")
        stale = {"csrf": csrf_of(page), "kind": "access", "idempotency_key": keys["access"] + "x"}
        answer = await browser.post("/privacy/requests", data=stale)
        after = await shown(browser, answer.headers["location"])
    assert answer.status_code == 303
    assert answer.headers["location"] == first.headers["location"]
    assert "لديك طلب مفتوح من هذا النوع بالفعل" in after
    assert len(submitted(h)) == 1


async def test_the_list_shows_the_days_left_in_words_and_marks_an_overdue_request() -> None:
    h = await centre(clock=Clock(NOW))
    asked = NOW - timedelta(days=35)
    await life(h.gateway.gateway, *access_completed("r-done", CUSTOMER, asked))
    await life(
        h.gateway.gateway, received("r-late", CUSTOMER, PrivacyRequestKind.ERASURE, at=asked)
    )
    await life(
        h.gateway.gateway,
        received("r-slow", CUSTOMER, at=asked),
        verified("r-slow", CUSTOMER, asked),
        started("r-slow", CUSTOMER, at=asked),
        extended("r-slow", CUSTOMER, asked + timedelta(days=45)),
    )
    async with h.browser() as browser:
        sign_in(h, browser)
        page = main_of(await shown(browser, "/privacy/requests"))
    rows = {
        request_id: " ".join(re.sub(r"<[^>]+>", " ", html).split())
        for request_id, html in re.findall(
            r'href="/privacy/requests/([a-z-]+)">(.*?)</tr>', page, re.S
        )
    }
    assert rows["r-slow"].endswith("١٠ أيام")
    assert rows["r-late"].endswith("متأخر ٥ أيام")
    assert '<span class="overdue">متأخر ٥ أيام</span>' in page
    assert rows["r-done"].endswith("انتهى")


async def test_an_erasure_not_started_can_be_cancelled_from_its_page() -> None:
    h = await centre()
    async with h.browser() as browser:
        sign_in(h, browser)
        asked, _ = await ask(browser, "erasure", confirm="احذف")
        page = await shown(browser, asked.headers["location"])
        answer = await browser.post(
            asked.headers["location"] + "/cancellation", data={"csrf": csrf_of(page)}
        )
        after = await shown(browser, answer.headers["location"])
    assert answer.status_code == 303
    assert len(h.gateway.intake("PrivacyRequestCancellationRequested")) == 1
    assert "سجّلنا إلغاء طلبك" in after


async def test_a_started_request_offers_no_cancel_and_a_late_cancel_is_explained() -> None:
    h = await centre()
    await life(
        h.gateway.gateway,
        received("r-1", CUSTOMER, PrivacyRequestKind.ERASURE, at=NOW),
        verified("r-1", CUSTOMER, NOW),
        started("r-1", CUSTOMER, PrivacyRequestKind.ERASURE, NOW),
    )
    async with h.browser() as browser:
        sign_in(h, browser)
        page = await shown(browser, "/privacy/requests/r-1")
        assert "/cancellation" not in page
        answer = await browser.post(
            "/privacy/requests/r-1/cancellation", data={"csrf": csrf_of(page)}
        )
        after = await shown(browser, answer.headers["location"])
    assert "لا يمكن إلغاؤه" in after
    assert h.gateway.intake("PrivacyRequestCancellationRequested") == []


async def test_a_completed_copy_downloads_as_a_json_file_never_cached() -> None:
    h = await centre(privacy=FakePrivacy())
    await life(h.gateway.gateway, *access_completed("r-1", CUSTOMER, NOW))
    async with h.browser() as browser:
        sign_in(h, browser)
        page = main_of(await shown(browser, "/privacy/requests/r-1"))
        assert 'href="/privacy/requests/r-1/export?format=json"' in page
        answer = await browser.get("/privacy/requests/r-1/export?format=json")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == (
        'attachment; filename="privacy-export-r-1.json"'
    )
    assert answer.headers["cache-control"] == "no-store"
    assert json.loads(answer.content)["customer_id"] == CUSTOMER


async def test_the_readable_copy_downloads_as_the_bilingual_page() -> None:
    h = await centre(privacy=FakePrivacy())
    await life(h.gateway.gateway, *access_completed("r-1", CUSTOMER, NOW))
    async with h.browser() as browser:
        sign_in(h, browser)
        answer = await browser.get("/privacy/requests/r-1/export?format=html")
        unknown = await browser.get("/privacy/requests/r-1/export?format=xml")
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-disposition"].endswith('privacy-export-r-1.html"')
    assert b"<html lang=ar dir=rtl>" in answer.content
    assert unknown.status_code == 404


async def test_a_copy_not_ready_yet_sends_the_customer_back_to_the_request_saying_so() -> None:
    h = await centre(privacy=FakePrivacy())
    await life(h.gateway.gateway, received("r-1", CUSTOMER, at=NOW))
    async with h.browser() as browser:
        sign_in(h, browser)
        answer = await browser.get("/privacy/requests/r-1/export?format=json")
        after = await shown(browser, answer.headers["location"])
    assert answer.status_code == 303
    assert answer.headers["location"] == "/privacy/requests/r-1"
    assert "لم تكتمل النسخة بعد" in after


async def test_another_customers_request_does_not_exist_for_this_one() -> None:
    h = await centre()
    await life(h.gateway.gateway, received("r-theirs", "cust-2", at=NOW))
    async with h.browser() as browser:
        sign_in(h, browser)
        theirs = await browser.get("/privacy/requests/r-theirs")
        malformed = await browser.get("/privacy/requests/..%2Fconsents")
    assert theirs.status_code == 404
    assert malformed.status_code == 404
