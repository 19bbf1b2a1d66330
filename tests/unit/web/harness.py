"""The pages over the gateway's own app in process (the gateway over its in-memory adapters,
``tests.unit.gateway.fakes``): every page test goes through the real public API, with no
server and no fake of the API to keep in step with it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from allwan_web.bootstrap import Web, bootstrap
from allwan_web.entrypoints.app import create_app
from allwan_web.settings import WebSettings
from fastapi import FastAPI
from pydantic import SecretStr

from tests.unit.gateway import fakes

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class WebHarness:
    gateway: fakes.Harness
    web: Web
    app: FastAPI

    def browser(self, **headers: str) -> httpx.AsyncClient:
        """A browser: its own cookies, following no redirect by itself."""
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, raise_app_exceptions=False),
            base_url="https://web.test",
            headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0", **headers},
        )

    async def post_form(
        self, browser: httpx.AsyncClient, path: str, data: dict[str, Any], page: str = "/cookies"
    ) -> httpx.Response:
        """Post ``data`` to ``path`` as a form of ``page`` would, with that page's CSRF token."""
        shown = await browser.get(page)
        return await browser.post(path, data={"csrf": csrf_of(shown.text), **data})


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def web_harness(
    clock: Callable[[], datetime] = lambda: datetime.now(UTC), **gateway_overrides: Any
) -> WebHarness:
    gateway = fakes.harness(clock=clock, **gateway_overrides)
    settings = WebSettings(
        gateway_url="https://gateway.test",
        gateway_storefront_api_key=SecretStr(fakes.SECRETS["gateway_storefront_api_key"]),
        web_session_key=SecretStr("web-session-key-for-unit-tests"),
    )
    web = bootstrap(
        settings,
        transport=httpx.ASGITransport(app=gateway.app, raise_app_exceptions=False),
        clock=clock,
    )
    return WebHarness(gateway, web, create_app(web))
