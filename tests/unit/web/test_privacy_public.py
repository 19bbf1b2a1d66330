"""The privacy centre's public parts: the hub, the policy in force and its versions (PC1), the
material-change confirmation (PC2) and the privacy contact (CT1). A visitor who has not
ordered sees the policy, cookies and contact, and learns where the rest will be."""

from __future__ import annotations

from allwan_contracts import ConsentPurpose, ConsentReconfirmationRequired

from tests.unit.gateway.seed import consent, deliver
from tests.unit.web.harness import csrf_of
from tests.unit.web.privacy_seed import CUSTOMER, centre, main_of, shown, sign_in, text_of


async def test_a_visitor_sees_the_public_parts_and_how_to_reach_the_store_before_ordering() -> None:
    h = await centre()
    async with h.browser() as browser:
        hub = main_of(await shown(browser, "/privacy"))
    for public in ('href="/privacy/policy"', 'href="/cookies"', 'href="/privacy/contact"'):
        assert public in hub
    for own in ("/privacy/consents", "/privacy/requests", "/privacy/disclosures"):
        assert own not in hub
    assert "بعد طلبك الأول" in hub
    assert 'href="https://wa.me/966563120415"' in hub
    assert 'href="mailto:privacy@example.com"' in hub


async def test_a_customer_sees_every_part_of_the_centre() -> None:
    h = await centre()
    async with h.browser() as browser:
        sign_in(h, browser)
        hub = main_of(await shown(browser, "/privacy"))
    for part in ("/privacy/consents", "/privacy/requests", "/privacy/disclosures", "/cookies"):
        assert f'href="{part}"' in hub
    assert "بعد طلبك الأول" not in hub


async def test_a_customer_only_part_tells_a_visitor_it_comes_with_the_first_order() -> None:
    h = await centre()
    async with h.browser() as browser:
        for path in ("/privacy/consents", "/privacy/requests", "/privacy/disclosures"):
            page = main_of(await shown(browser, path))
            assert "بعد طلبك الأول" in page, path
            assert 'href="https://wa.me/966563120415"' in page, path


async def test_the_policy_shows_the_version_in_force_in_the_page_language() -> None:
    h = await centre(policy_versions=2)
    async with h.browser() as browser:
        page = main_of(await shown(browser, "/privacy/policy"))
    assert '<div class="policy-text" lang="ar" dir="rtl">سياسة الخصوصية 2</div>' in page
    assert "<dd>٢</dd>" in page  # the version, in the page's digits
    assert 'href="/privacy/policy?text=en"' in page
    assert "إصدار سابق" not in page


async def test_the_other_languages_text_is_a_link_away_and_marked_as_that_language() -> None:
    h = await centre()
    async with h.browser() as browser:
        page = main_of(await shown(browser, "/privacy/policy?text=en"))
    assert '<div class="policy-text" lang="en" dir="ltr">Privacy policy 1</div>' in page
    assert 'href="/privacy/policy?text=ar"' in page
    assert "النص المعروض هو النص الإنجليزي" in page


async def test_the_versions_are_listed_newest_first_and_an_old_one_says_which_is_in_force() -> None:
    h = await centre(policy_versions=3)
    async with h.browser() as browser:
        listed = main_of(await shown(browser, "/privacy/policy/versions"))
        old = text_of(await shown(browser, "/privacy/policy/versions/1"))
    links = [listed.index(f'href="/privacy/policy/versions/{n}"') for n in (3, 2, 1)]
    assert links == sorted(links)
    assert "سياسة الخصوصية 1" in old
    assert "الإصدار الساري هو ٣" in old


async def test_an_unknown_or_malformed_policy_version_is_a_not_found_page() -> None:
    h = await centre()
    async with h.browser() as browser:
        for path in (
            "/privacy/policy/versions/7",
            "/privacy/policy/versions/x1",
            "/privacy/policy/versions/٣",
        ):
            answer = await browser.get(path)
            assert answer.status_code == 404, path
            assert "الصفحة غير موجودة" in answer.text


async def test_confirming_a_material_change_grants_every_suspended_purpose_again() -> None:
    h = await centre(policy_versions=2)
    gateway = h.gateway.gateway
    await deliver(gateway, consent(CUSTOMER), 1)
    suspended = ConsentReconfirmationRequired(
        customer_id=CUSTOMER,
        purpose=ConsentPurpose.MARKETING,
        granted_under_version=1,
        policy_version=2,
        recorded_by="service:consent",
    )
    await deliver(gateway, suspended, 2)
    async with h.browser() as browser:
        sign_in(h, browser)
        page = await shown(browser, "/privacy/policy")
        assert 'action="/privacy/policy/confirmation"' in page  # the notice of the frame
        answer = await browser.post(
            "/privacy/policy/confirmation",
            data={"csrf": csrf_of(page), "next": "/privacy/consents"},
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/privacy/consents"
        after = await browser.get("/privacy/policy")
    [granted] = h.gateway.intake("ConsentChangeRequested")
    assert (granted.purpose, granted.action) == (ConsentPurpose.MARKETING, "grant")
    assert granted.evidence.user_agent_hmac  # the browser's proof, hashed (C2)
    assert "سجّلنا تأكيدك" in after.text


async def test_the_confirmation_never_sends_the_customer_off_the_site() -> None:
    h = await centre()
    async with h.browser() as browser:
        sign_in(h, browser)
        token = csrf_of(await shown(browser, "/privacy"))
        answer = await browser.post(
            "/privacy/policy/confirmation", data={"csrf": token, "next": "https://evil.example/"}
        )
    assert answer.headers["location"] == "/"


async def test_the_contact_opens_a_call_a_whatsapp_chat_and_an_email() -> None:
    h = await centre()
    async with h.browser() as browser:
        page = main_of(await shown(browser, "/privacy/contact"))
    assert 'href="tel:+966563120415"' in page
    assert 'href="https://wa.me/966563120415"' in page
    assert 'href="mailto:privacy@example.com"' in page


async def test_the_contact_page_says_so_while_no_policy_is_published() -> None:
    h = await centre(policy_versions=0)
    async with h.browser() as browser:
        page = text_of(await shown(browser, "/privacy/contact"))
        hub = await browser.get("/privacy")
    assert "غير منشورة حاليًا" in page
    assert hub.status_code == 200
