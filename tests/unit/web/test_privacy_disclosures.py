"""The customer's disclosure ledger in the privacy centre (D1-D3, P2): each time their data
left the store, to whom, which kinds of data, why and on what legal basis, in words; newest
first, a page at a time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from allwan_contracts.accountability import Disclosure
from allwan_contracts.disclosures import DataCategory, LegalBasis, RecipientRole

from tests.unit.gateway.privacy_fake import FakePrivacy
from tests.unit.web.privacy_seed import CUSTOMER, centre, main_of, shown, sign_in, text_of

NOW = datetime.now(UTC)


def disclosed(number: int, **fields: object) -> Disclosure:
    values: dict[str, object] = {
        "disclosure_id": f"d-{number:03d}",
        "customer_id": CUSTOMER,
        "recipient": "smtp",
        "recipient_name": "The store's email provider (SMTP)",
        "role": RecipientRole.PROCESSOR,
        "categories": [DataCategory.EMAIL, DataCategory.NAME],
        "purpose": "order_receipts",
        "legal_basis": LegalBasis.PROCESSOR,
        "source": f"email:{number}",
        "recorded_by": "service:notifier",
        "at": NOW - timedelta(hours=number),
    }
    return Disclosure.model_validate(values | fields)


async def test_each_disclosure_says_to_whom_what_why_and_on_what_basis_in_words() -> None:
    privacy = FakePrivacy()
    privacy.disclosures = [
        disclosed(1),
        disclosed(
            2,
            recipient="authority",
            recipient_name="A public authority",
            role=RecipientRole.AUTHORITY,
            categories=[DataCategory.PHONE],
            purpose="legal_obligation",
            legal_basis=LegalBasis.LAW,
            reference="Court order 7/1447",
        ),
    ]
    h = await centre(privacy=privacy)
    async with h.browser() as browser:
        sign_in(h, browser)
        page = text_of(await shown(browser, "/privacy/disclosures"))
    assert "مزوّد البريد الإلكتروني للمتجر البريد الإلكتروني، الاسم رسائل طلبك" in page
    assert "جهة رسمية مخوّلة نظامًا رقم الجوال التزام نظامي يوجبه النظام" in page
    assert "Court order 7/1447" in page
    assert page.index("مزوّد البريد الإلكتروني للمتجر") < page.index("جهة رسمية مخوّلة")


async def test_a_recipient_or_purpose_without_words_yet_shows_as_the_ledger_names_it() -> None:
    privacy = FakePrivacy()
    privacy.disclosures = [
        disclosed(1, recipient="sms", recipient_name="SMS gateway", purpose="otp")
    ]
    h = await centre(privacy=privacy)
    async with h.browser() as browser:
        sign_in(h, browser)
        page = text_of(await shown(browser, "/privacy/disclosures"))
    assert "SMS gateway" in page
    assert "otp" in page


async def test_a_long_ledger_is_paged_by_the_gateways_cursor() -> None:
    privacy = FakePrivacy()
    privacy.disclosures = [disclosed(n) for n in range(1, 26)]
    h = await centre(privacy=privacy)
    async with h.browser() as browser:
        sign_in(h, browser)
        first = main_of(await shown(browser, "/privacy/disclosures"))
        [older] = re.findall(r'href="(/privacy/disclosures\?cursor=[^"]+)"', first)
        second = main_of(await shown(browser, older))
    assert first.count("<tr>") == 1 + 20
    assert second.count("<tr>") == 1 + 5
    assert 'href="/privacy/disclosures"' in second
    assert "cursor=" not in second.split('class="actions"')[-1]


async def test_no_disclosure_yet_is_said_plainly() -> None:
    h = await centre(privacy=FakePrivacy())
    async with h.browser() as browser:
        sign_in(h, browser)
        page = text_of(await shown(browser, "/privacy/disclosures"))
    assert "لم تخرج بياناتك إلى أي جهة بعد" in page


async def test_a_cursor_that_is_no_cursor_is_a_not_found_page() -> None:
    h = await centre(privacy=FakePrivacy())
    async with h.browser() as browser:
        sign_in(h, browser)
        answer = await browser.get("/privacy/disclosures", params={"cursor": "a b"})
    assert answer.status_code == 404
