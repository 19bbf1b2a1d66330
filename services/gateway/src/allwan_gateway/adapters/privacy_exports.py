"""The privacy service's exports, read-only over HTTP (``ALLWAN_PRIVACY_URL``).

The privacy service serves, on its own ASGI app, ``GET /exports/{request_id}?customer_id=<id>``:
the export of a completed access request as JSON (``allwan_contracts.privacy_export``), or
as a bilingual HTML page with ``Accept: text/html``; 404 for an unknown request or another
customer's, 410 once it is destroyed. The gateway proxies it to the customer whose request
it is. Exports are read rarely, so each read opens its own connection: nothing to keep alive.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

JSON = "application/json"
HTML = "text/html"


class PrivacyUnavailable(Exception):
    """The privacy service is not configured, not reachable, or answered with an error."""


@dataclass(frozen=True)
class ExportAnswer:
    """The privacy service's answer: its status and, for a 200, the export's bytes and type."""

    status: int
    media_type: str
    content: bytes


class PrivacyExports:
    def __init__(
        self, base_url: str | None, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._base_url = base_url
        self._transport = transport

    async def get(self, request_id: str, customer_id: str, *, html: bool) -> ExportAnswer:
        """The export of ``request_id``, as HTML or JSON; ``PrivacyUnavailable`` when it
        cannot be read (any status but 200, 404 and 410 counts: the caller cannot help it)."""
        if self._base_url is None:
            raise PrivacyUnavailable("no privacy service is configured (ALLWAN_PRIVACY_URL)")
        wanted = HTML if html else JSON
        try:
            async with httpx.AsyncClient(
                base_url=self._base_url, transport=self._transport, timeout=5.0
            ) as client:
                answer = await client.get(
                    f"/exports/{request_id}",
                    params={"customer_id": customer_id},
                    headers={"Accept": wanted},
                )
        except httpx.HTTPError as error:
            raise PrivacyUnavailable(type(error).__name__) from None
        if answer.status_code in {404, 410}:
            return ExportAnswer(answer.status_code, "", b"")
        media_type = answer.headers.get("content-type", "").split(";")[0].strip().lower()
        if answer.status_code != 200 or media_type != wanted:
            raise PrivacyUnavailable(f"the privacy service answered {answer.status_code}")
        return ExportAnswer(200, media_type, answer.content)
