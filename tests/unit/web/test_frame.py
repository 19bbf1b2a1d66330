"""What every page shares: language and direction, the cookie banner and its choice (CK1,
CK2), CSRF on every form, strict security headers, sessions that keep tokens server-side."""

from __future__ import annotations

import pytest

from tests.unit.web.harness import csrf_of, web_harness


async def test_pages_are_arabic_and_right_to_left_until_the_visitor_switches() -> None:
    h = web_harness()
    async with h.browser() as browser:
        first = await browser.get("/cookies")
        assert '<html lang="ar" dir="rtl">' in first.text
        switched = await browser.post(
            "/language", data={"csrf": csrf_of(first.text), "lang": "en", "next": "/cookies"}
        )
        assert switched.status_code == 303
        assert switched.headers["location"] == "/cookies"
        again = await browser.get("/cookies")
        assert '<html lang="en" dir="ltr">' in again.text


async def test_a_form_without_the_session_csrf_token_is_refused() -> None:
    h = web_harness()
    async with h.browser() as browser:
        await browser.get("/cookies")
        refused = await browser.post("/cookies", data={"csrf": "forged", "choice": "accept"})
        assert refused.status_code == 403
        assert "allwan_cookies" not in refused.headers.get("set-cookie", "")


async def test_a_form_posted_from_another_site_is_refused_even_with_a_token() -> None:
    h = web_harness()
    async with h.browser() as browser:
        token = csrf_of((await browser.get("/cookies")).text)
        refused = await browser.post(
            "/cookies",
            data={"csrf": token, "choice": "accept"},
            headers={"Sec-Fetch-Site": "cross-site"},
        )
        assert refused.status_code == 403


async def test_the_banner_shows_until_a_choice_and_accept_and_reject_are_one_click() -> None:
    h = web_harness()
    async with h.browser() as browser:
        shown = await browser.get("/cookies")
        assert "cookie-banner" in shown.text
        rejected = await h.post_form(browser, "/cookies", {"choice": "reject", "next": "/cookies"})
        assert rejected.status_code == 303
        assert browser.cookies.get("allwan_cookies") == "v1:0:0"
        assert browser.cookies.get("allwan_analytics") is None
        after = await browser.get("/cookies")
        assert "cookie-banner" not in after.text
        await h.post_form(browser, "/cookies", {"choice": "accept", "next": "/cookies"})
        assert browser.cookies.get("allwan_cookies") == "v1:1:1"
        assert browser.cookies.get("allwan_analytics")


async def test_a_gpc_signal_rejects_analytics_whatever_the_visitor_clicks() -> None:
    h = web_harness()
    async with h.browser(**{"Sec-GPC": "1"}) as browser:
        shown = await browser.get("/cookies")
        assert "cookie-banner" not in shown.text  # the signal is a choice (CK2)
        assert "GPC" in shown.text
        await h.post_form(browser, "/cookies", {"choice": "accept", "next": "/cookies"})
        assert browser.cookies.get("allwan_cookies") == "v1:1:0"
        assert browser.cookies.get("allwan_analytics") is None


async def test_pages_carry_a_strict_csp_and_are_never_cached() -> None:
    h = web_harness()
    async with h.browser() as browser:
        answer = await browser.get("/cookies")
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["x-content-type-options"] == "nosniff"


async def test_the_session_cookie_is_host_only_secure_httponly_and_samesite() -> None:
    h = web_harness()
    async with h.browser() as browser:
        answer = await browser.get("/cookies")
        cookie = answer.headers["set-cookie"].lower()
        assert cookie.startswith("__host-allwan_session=")
        assert "httponly" in cookie
        assert "secure" in cookie
        assert "samesite=lax" in cookie


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil"])
async def test_the_language_switch_never_redirects_off_the_site(target: str) -> None:
    h = web_harness()
    async with h.browser() as browser:
        token = csrf_of((await browser.get("/cookies")).text)
        answer = await browser.post("/language", data={"csrf": token, "lang": "en", "next": target})
        assert answer.headers["location"] == "/"


async def test_an_unknown_page_is_a_404_page_in_the_visitors_language() -> None:
    h = web_harness()
    async with h.browser() as browser:
        answer = await browser.get("/no-such-page")
        assert answer.status_code == 404
        assert "الصفحة غير موجودة" in answer.text


async def test_rejecting_functional_cookies_deletes_the_recent_plans_cookie_at_once() -> None:
    h = web_harness()
    async with h.browser() as browser:
        await h.post_form(browser, "/cookies", {"choice": "accept", "next": "/cookies"})
        browser.cookies.set("allwan_recent", "plan-a", domain="web.test")
        await h.post_form(browser, "/cookies", {"choice": "reject", "next": "/cookies"})
        assert browser.cookies.get("allwan_recent") is None
