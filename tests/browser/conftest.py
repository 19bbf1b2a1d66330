"""The browser layer: the running system with its web pages, driven through Playwright's sync
API by Debian's headless Chromium (``/usr/bin/chromium``; Playwright's own browser downloads
are never used). One system and one browser for the whole package, since starting them is the
cost; each page gets a fresh browser context (its own cookies and storage)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import httpx
import pytest
from allwan_devstack.browser import CHROMIUM, missing_packages
from allwan_devstack.system import DEV_STAFF_ID, DEV_STAFF_PASSWORD
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.e2e.conftest import RunningSystem


class NewPage(Protocol):
    def __call__(self, *, locale: str = ..., width: int = ..., height: int = ...) -> Page: ...


@dataclass(frozen=True)
class StaffCredentials:
    """The development staff account of the run (``secrets.env``): what a person types."""

    staff_id: str
    password: str


@pytest.fixture(scope="package")
def system(shared_system: RunningSystem) -> RunningSystem:
    """The back end and the web pages: the run's shared system (``tests/conftest.py``)."""
    return shared_system


@pytest.fixture(scope="package")
def plan(system: RunningSystem) -> str:
    """A plan on sale, from the catalogue the system publishes."""
    catalogue = httpx.get(f"{system.gateway}/v1/catalogue", timeout=10.0).json()
    return next(
        str(offer["plan_id"])
        for product in catalogue["products"]
        for offer in product["plans"]
        if not offer["retired"]
    )


@pytest.fixture(scope="package")
def web_url(system: RunningSystem) -> str:
    return system.web


@pytest.fixture(scope="package")
def staff_credentials(system: RunningSystem) -> StaffCredentials:
    return StaffCredentials(DEV_STAFF_ID, system.secrets[DEV_STAFF_PASSWORD])


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Chromium for this package only: Playwright's sync API runs an event loop of its own in
    the main thread while it is open, and every async test after it needs that thread free."""
    missing = missing_packages()
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not installed: run `uv run devstack provision-browser` "
            "(./dev test does)"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Browser, web_url: str) -> Iterator[NewPage]:
    """``new_page(locale=..., width=..., height=...)``: a page in a context of its own, its
    relative URLs on the web pages (``page.goto("/")``). Closed after the test."""
    contexts: list[BrowserContext] = []

    def make(*, locale: str = "ar-SA", width: int = 1280, height: int = 800) -> Page:
        context = browser.new_context(
            base_url=web_url,
            locale=locale,
            viewport={"width": width, "height": height},
            timezone_id="Asia/Riyadh",
        )
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """A fresh page as most visitors open the store: Arabic, a desktop window."""
    return new_page()
