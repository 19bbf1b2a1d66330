"""The privacy service's HTTP API (``ALLWAN_PRIVACY_URL``), one pooled client for all of it.

- ``GET /exports/{request_id}?customer_id=<id>``: the export of a completed access request as
  JSON (``allwan_contracts.privacy_export``) or, with ``Accept: text/html``, as a bilingual
  page; 404 for an unknown request or another customer's, 410 once it is destroyed;
- ``/internal/...``: accountability (disclosures, recipients, retention, breaches, the
  record of processing), JSON in and out, shaped by ``allwan_contracts.accountability``.
  Calls name who asks (``X-Allwan-Actor``) and creations carry the client's
  ``Idempotency-Key``; refusals are RFC 9457 problems.

What the privacy service refuses (a 4xx problem) is the caller's to hear, as it was said
(``PrivacyRefused``); anything else that is not a valid answer (unreachable, too slow, 5xx,
a body that does not match its model) is ``PrivacyUnavailable``: the caller cannot help it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from opentelemetry import propagate
from pydantic import BaseModel, ValidationError

JSON = "application/json"
HTML = "text/html"
ACTOR_HEADER = "X-Allwan-Actor"
PROBLEM_TYPE = re.compile(r"^urn:allwan:problem:([a-z0-9][a-z0-9-]{0,63})$")
DEFAULT_TIMEOUT_S = 5.0
_CONNECT_TIMEOUT_S = 1.0
_MAX_TEXT = 2000

Answer = TypeVar("Answer", bound=BaseModel)


class PrivacyUnavailable(Exception):
    """The privacy service is not configured, not reachable, or answered with an error."""


@dataclass
class PrivacyRefused(Exception):
    """The privacy service refused the request with a problem (RFC 9457), to pass on as is.

    Its ``detail`` never repeats a value of the request (the privacy service's rule), so it
    can be shown to the caller."""

    status: int
    kind: str
    title: str
    detail: str

    def __post_init__(self) -> None:
        super().__init__(self.kind)


@dataclass(frozen=True)
class ExportAnswer:
    """The privacy service's answer: its status and, for a 200, the export's bytes and type."""

    status: int
    media_type: str
    content: bytes


def _refusal(answer: httpx.Response) -> PrivacyRefused:
    """The problem of a 4xx answer; ``PrivacyUnavailable`` if it is not one."""
    try:
        body = answer.json()
    except ValueError:
        raise PrivacyUnavailable(f"the privacy service answered {answer.status_code}") from None
    if not isinstance(body, dict):
        raise PrivacyUnavailable("the privacy service's problem is not an object")
    kind = PROBLEM_TYPE.match(body["type"]) if isinstance(body.get("type"), str) else None
    title, detail = body.get("title"), body.get("detail")
    if (
        kind is None
        or body.get("status") != answer.status_code
        or not isinstance(title, str)
        or not isinstance(detail, str)
        or not 0 < len(title) <= _MAX_TEXT
        or len(detail) > _MAX_TEXT
    ):
        raise PrivacyUnavailable(f"the privacy service answered {answer.status_code}")
    return PrivacyRefused(answer.status_code, kind.group(1), title, detail)


class PrivacyApi:
    """One ``httpx.AsyncClient`` for every call, made on first use, closed by ``aclose``."""

    def __init__(
        self,
        base_url: str | None,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._base_url = base_url
        self._transport = transport
        self._timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, _CONNECT_TIMEOUT_S))
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._base_url is None:
            raise PrivacyUnavailable("no privacy service is configured (ALLWAN_PRIVACY_URL)")
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self._base_url, transport=self._transport, timeout=self._timeout
            )
        return self._client

    async def aclose(self) -> None:
        """Close the pooled connections (at shutdown)."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _send(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._http().send(request)
        except httpx.HTTPError as error:
            # The error's message names the host: only its type is told.
            raise PrivacyUnavailable(type(error).__name__) from None

    async def export(self, request_id: str, customer_id: str, *, html: bool) -> ExportAnswer:
        """The export of ``request_id``, as HTML or JSON; ``PrivacyUnavailable`` when it
        cannot be read (any status but 200, 404 and 410 counts: the caller cannot help it)."""
        wanted = HTML if html else JSON
        request = self._http().build_request(
            "GET",
            f"/exports/{request_id}",
            params={"customer_id": customer_id},
            headers={"Accept": wanted},
        )
        answer = await self._send(request)
        if answer.status_code in {404, 410}:
            return ExportAnswer(answer.status_code, "", b"")
        media_type = answer.headers.get("content-type", "").split(";")[0].strip().lower()
        if answer.status_code != 200 or media_type != wanted:
            raise PrivacyUnavailable(f"the privacy service answered {answer.status_code}")
        return ExportAnswer(200, media_type, answer.content)

    async def call(
        self,
        method: str,
        path: str,
        answer: type[Answer],
        *,
        actor: str,
        params: dict[str, str] | None = None,
        body: BaseModel | None = None,
        idempotency_key: str | None = None,
        timeout_s: float | None = None,
    ) -> Answer:
        """``method path`` on the internal API as ``actor``: its 2xx answer validated as
        ``answer``; ``PrivacyRefused`` for a 4xx problem, ``PrivacyUnavailable`` otherwise."""
        headers = {"Accept": JSON, ACTOR_HEADER: actor}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        propagate.inject(headers)  # one trace from the gateway's request into the privacy service
        extra: dict[str, Any] = {}
        if body is not None:
            extra["json"] = body.model_dump(mode="json")
        if timeout_s is not None:
            extra["timeout"] = httpx.Timeout(timeout_s, connect=_CONNECT_TIMEOUT_S)
        request = self._http().build_request(method, path, params=params, headers=headers, **extra)
        found = await self._send(request)
        if 400 <= found.status_code < 500:
            raise _refusal(found)
        if not 200 <= found.status_code < 300:
            raise PrivacyUnavailable(f"the privacy service answered {found.status_code}")
        try:
            return answer.model_validate_json(found.content)
        except ValidationError:
            raise PrivacyUnavailable(
                f"the privacy service's {answer.__name__} is not valid"
            ) from None
