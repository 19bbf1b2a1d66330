"""The notifier's delivery ledger, read-only over HTTP (``ALLWAN_NOTIFIER_URL``).

The notifier serves, on its own ASGI app, ``GET /ledger/policies?version=<n>`` (who was told of
version n and when, paged by ``after``/``limit``, filtered by ``status`` or ``customer_id``),
``GET /ledger/policies/counts?version=<n>`` and ``GET /ledger/jobs``; the gateway proxies them
to staff and passes the JSON through. Staff read it
rarely, so each read opens its own connection: nothing to keep alive or close.
"""

from __future__ import annotations

from typing import Any

import httpx


class NotifierUnavailable(Exception):
    """The notifier is not configured, not reachable, or answered with an error."""


class NotifierLedger:
    def __init__(
        self, base_url: str | None, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._base_url = base_url
        self._transport = transport

    async def get(self, path: str, params: dict[str, str] | None = None) -> tuple[int, Any]:
        """``(status, JSON body)`` of the notifier's answer to ``GET path?params``."""
        if self._base_url is None:
            raise NotifierUnavailable("no notifier is configured (ALLWAN_NOTIFIER_URL)")
        try:
            async with httpx.AsyncClient(
                base_url=self._base_url, transport=self._transport, timeout=5.0
            ) as client:
                answer = await client.get(path, params=params)
        except httpx.HTTPError as error:
            raise NotifierUnavailable(type(error).__name__) from None
        if answer.status_code >= 500:
            raise NotifierUnavailable(f"the notifier answered {answer.status_code}")
        try:
            return answer.status_code, answer.json()
        except ValueError:
            raise NotifierUnavailable("the notifier's answer is not JSON") from None
