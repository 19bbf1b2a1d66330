"""The export of an access request, over HTTP, for the gateway to proxy to the customer:

    GET /exports/{request_id}?customer_id=<id>     JSON (the published ``PrivacyExport``)
    Accept: text/html                              the same, as a bilingual page

- ``200`` with the document (``Cache-Control: no-store``);
- ``404`` for an unknown request, another customer's (the same answer: S1), a request of
  another kind, a denied or cancelled one;
- ``409`` while the access request is still open; ``410`` once its export is destroyed or
  its days are over (or the customer's key is gone);
- ``400`` without a well-formed ``customer_id``, ``405`` for anything but GET and HEAD.
Errors are RFC 9457 problems (``application/problem+json``) that never repeat a value sent.
The port is internal: the customer's token is checked by the gateway (S1).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal, Protocol
from urllib.parse import parse_qs

from allwan_privacy.domain.request import ExportStatus
from allwan_privacy.handlers.exporting import Download

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFIX = "/exports/"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")  # allwan_contracts.fields.Identifier
_PROBLEM = "urn:allwan:problem:"
_NO_STORE = [(b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff")]
_PAGE_POLICY = (
    b"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
    b"frame-ancestors 'none'"
)
_ANSWERS: dict[ExportStatus, tuple[int, str, str]] = {
    ExportStatus.NONE: (404, "not-found", "There is no export of this request."),
    ExportStatus.NOT_READY: (
        409,
        "export-not-ready",
        "The access request is not completed yet: its export is made when it is.",
    ),
    ExportStatus.GONE: (
        410,
        "export-gone",
        "The export was available for a limited time and has been destroyed.",
    ),
}


class Fetch(Protocol):
    async def __call__(
        self, request_id: str, customer_id: str, form: Literal["json", "html"]
    ) -> Download: ...


@dataclass(frozen=True)
class _Route:
    """What the access log names a request by (``allwan_runtime.access_log``): the template,
    never the path as sent."""

    path: str = f"{PREFIX}{{request_id}}"


ROUTE = _Route()


def export_route(fetch: Fetch) -> ASGIApp:
    """The ASGI app answering every path under ``/exports/``."""

    async def app(scope: Scope, receive: Receive, reply: Send) -> None:
        scope["route"] = ROUTE
        head = scope.get("method") == "HEAD"

        async def send(message: MutableMapping[str, Any]) -> None:
            if head and message["type"] == "http.response.body":
                message = {**message, "body": b""}  # a HEAD answer has headers only
            await reply(message)

        path = str(scope.get("path", ""))
        if scope.get("method") not in {"GET", "HEAD"}:
            detail = "This resource answers GET and HEAD only."
            await _problem(send, 405, "method-not-allowed", detail, allow=True)
            return
        request_id = path.removeprefix(PREFIX)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        customer_id = (query.get("customer_id") or [""])[-1]
        if not _ID.match(customer_id):
            detail = "customer_id, the customer's id, is required."
            await _problem(send, 400, "bad-request", detail)
            return
        if not _ID.match(request_id):
            await _problem(send, 404, *_ANSWERS[ExportStatus.NONE][1:])
            return
        form: Literal["json", "html"] = "html" if wants_html(_header(scope, b"accept")) else "json"
        found = await fetch(request_id, customer_id, form)
        if found.status is not ExportStatus.READY or found.body is None:
            status, kind, detail = _ANSWERS.get(found.status, _ANSWERS[ExportStatus.GONE])
            await _problem(send, status, kind, detail)
            return
        headers = [*_NO_STORE, (b"vary", b"accept")]
        if form == "html":
            headers += [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-security-policy", _PAGE_POLICY),
                (b"referrer-policy", b"no-referrer"),
            ]
        else:
            headers.append((b"content-type", b"application/json"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": found.body.encode()})

    return app


def wants_html(accept: str) -> bool:
    """Whether ``Accept`` prefers ``text/html`` to ``application/json`` (JSON when it says
    nothing, or either will do)."""
    ranges: list[tuple[str, str, float]] = []
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        kind, slash, sub = media.lower().partition("/")
        if not slash:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((kind, sub, quality))
    return _quality(ranges, "text", "html") > _quality(ranges, "application", "json")


def _quality(ranges: list[tuple[str, str, float]], kind: str, sub: str) -> float:
    """The quality of the most specific range that matches ``kind/sub`` (RFC 9110)."""
    best, quality = -1, 0.0
    for range_kind, range_sub, range_quality in ranges:
        if (range_kind, range_sub) == (kind, sub):
            specificity = 2
        elif (range_kind, range_sub) == (kind, "*"):
            specificity = 1
        elif (range_kind, range_sub) == ("*", "*"):
            specificity = 0
        else:
            continue
        if specificity > best:
            best, quality = specificity, range_quality
    return quality


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


async def _problem(send: Send, status: int, kind: str, detail: str, *, allow: bool = False) -> None:
    body = {
        "type": f"{_PROBLEM}{kind}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    headers = [*_NO_STORE, (b"content-type", b"application/problem+json")]
    if allow:
        headers.append((b"allow", b"GET, HEAD"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
