"""The store's front page opens in Arabic, right to left, and in English, left to right, as a
visitor switches it; neither has a serious accessibility violation."""

from __future__ import annotations

import pytest
from allwan_web.entrypoints.app import CSP
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import axe, describe, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def test_the_store_opens_in_arabic_rtl_and_switches_to_english_ltr(page: Page) -> None:
    page.goto("/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    violations = axe(page)
    screenshot(page, "smoke-home-ar")
    assert not violations, describe(violations)

    page.get_by_role("button", name="English").click()

    expect(html).to_have_attribute("lang", "en")
    expect(html).to_have_attribute("dir", "ltr")
    violations = axe(page)
    screenshot(page, "smoke-home-en")
    assert not violations, describe(violations)


def test_axe_finds_a_serious_violation_on_a_page_under_the_strict_csp(browser: Browser) -> None:
    """The check above can fail: axe runs under the pages' own Content-Security-Policy and
    reports a button no screen reader can name (critical)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.route(
            "https://store.test/",
            lambda route: route.fulfill(
                content_type="text/html",
                headers={"Content-Security-Policy": CSP},
                body='<!doctype html><html lang="en"><title>t</title><main><button></button>',
            ),
        )
        page.goto("https://store.test/")

        violations = axe(page)

        assert [v["id"] for v in violations] == ["button-name"], describe(violations)
        inline_ran = page.evaluate(
            """() => {
                window.ran = false;
                const script = document.createElement("script");
                script.textContent = "window.ran = true";
                document.head.append(script);
                return window.ran;
            }"""
        )
        assert inline_ran is False, "the page's CSP is not in force"
    finally:
        context.close()
