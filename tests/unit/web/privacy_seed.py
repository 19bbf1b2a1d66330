"""What the privacy centre's page tests share: the pages over a gateway with a published
policy (and, where a test needs one, the privacy service's fake behind it), a browser that is
the session's customer, and a page's main content to read assertions from."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from allwan_web.entrypoints.app import customer_cookie

from tests.unit.gateway.privacy_fake import FakePrivacy, stub_privacy
from tests.unit.gateway.seed import publish_policy
from tests.unit.web.harness import WebHarness, web_harness

CUSTOMER = "cust-1"
_MAIN = re.compile(r"<main[^>]*>(.*)</main>", re.S)
_TAGS = re.compile(r"<[^>]+>")


async def centre(
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    privacy: FakePrivacy | None = None,
    policy_versions: int = 1,
) -> WebHarness:
    """The pages over a gateway that has published ``policy_versions`` versions."""
    overrides: dict[str, Any] = {"privacy_api": stub_privacy(privacy)} if privacy else {}
    h = web_harness(clock=clock, **overrides)
    for version in range(1, policy_versions + 1):
        await publish_policy(h.gateway.gateway, version)
    return h


def sign_in(h: WebHarness, browser: httpx.AsyncClient, customer_id: str = CUSTOMER) -> None:
    """Make ``browser`` the customer's, as their first order's remembered-customer cookie does."""
    name = customer_cookie(h.web)
    browser.cookies.set(name, h.web.sealer.seal(name, customer_id), domain="web.test")


def main_of(html: str) -> str:
    """The page's own content, without the frame (header, footer, cookie banner)."""
    found = _MAIN.search(html)
    assert found, "the page has no <main>"
    return found.group(1)


def text_of(html: str) -> str:
    """The main content's words, tags dropped and spaces collapsed."""
    return " ".join(_TAGS.sub(" ", main_of(html)).split())


async def shown(browser: httpx.AsyncClient, path: str) -> str:
    """The page at ``path``, which must answer 200."""
    answer = await browser.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return answer.text
