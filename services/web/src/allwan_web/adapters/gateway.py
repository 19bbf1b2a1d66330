"""The gateway's public HTTP API, as the storefront client calls it.

Every call goes out with the caller's credentials (the storefront's API key, a customer's or a
staff member's token), the trace context (W3C ``traceparent``: a client span of its own, named
by method only, since a path may hold a customer id: C2) and, for a browser's request,
its address and ``User-Agent`` (``X-Forwarded-For``) so that consent proof names the browser
that acted, as keyed hashes only (C2). An answer that is not 2xx becomes ``GatewayProblem``
carrying the RFC 9457 problem the gateway sent; an unreachable gateway becomes
``GatewayUnavailable``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from opentelemetry import propagate, trace

_tracer = trace.get_tracer("allwan.web")

Transport = httpx.AsyncBaseTransport
"""How calls reach the gateway: the network, or (in tests) the gateway's own app in process."""


@dataclass(frozen=True)
class Browser:
    """Who is at the other end of a page request, as the gateway's consent proof needs it."""

    address: str | None = None
    user_agent: str | None = None

    def headers(self) -> dict[str, str]:
        found: dict[str, str] = {}
        if self.address:
            found["X-Forwarded-For"] = self.address
        if self.user_agent:
            found["User-Agent"] = self.user_agent
        return found


class GatewayUnavailable(Exception):
    """The gateway did not answer (in time), or answered 503."""

    def __init__(self, retry_after_s: int | None = None) -> None:
        super().__init__("the gateway is unavailable")
        self.retry_after_s = retry_after_s


@dataclass
class GatewayProblem(Exception):
    """A problem (RFC 9457) the gateway answered with."""

    status: int
    type: str = "about:blank"
    title: str = ""
    detail: str = ""
    errors: list[dict[str, Any]] = field(default_factory=list)
    extensions: dict[str, Any] = field(default_factory=dict)
    """The problem's other members (``order_id`` and ``reason`` of a refused order...)."""
    retry_after_s: int | None = None
    """The answer's ``Retry-After`` (a 429 says when to try again)."""

    def __str__(self) -> str:
        return f"{self.status} {self.type}"

    @property
    def slug(self) -> str:
        """The last part of the problem type (``urn:allwan:problem:not-found`` → ``not-found``)."""
        return self.type.rsplit(":", 1)[-1].rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: Mapping[str, str]
    content: bytes


class GatewayClient:
    """One pooled connection set to the gateway for the whole process."""

    def __init__(
        self,
        base_url: str,
        storefront_key: str,
        timeout_s: float,
        transport: Transport | None = None,
    ) -> None:
        self._key = storefront_key
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout_s,
            transport=transport,
            headers={"Accept": "application/json, application/problem+json"},
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        client_key: bool = False,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
        browser: Browser | None = None,
        idempotency_key: str | None = None,
        accept: str | None = None,
    ) -> Answer:
        """``method path`` with the caller's credentials; the answer when it is 2xx.
        ``accept`` asks for another representation than JSON (an export's page)."""
        headers: dict[str, str] = {}
        if accept is not None:
            headers["Accept"] = f"{accept}, application/problem+json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if client_key:
            headers["X-API-Key"] = self._key
        if browser is not None:
            headers.update(browser.headers())
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        with _tracer.start_as_current_span(
            f"gateway {method}",
            kind=trace.SpanKind.CLIENT,
            attributes={"http.request.method": method},
        ) as span:
            propagate.inject(headers)
            try:
                answer = await self._http.request(
                    method, path, headers=headers, json=json, params=params
                )
            except httpx.TransportError:
                raise GatewayUnavailable from None
            span.set_attribute("http.response.status_code", answer.status_code)
        if answer.status_code == 503:
            raise GatewayUnavailable(_retry_after(answer))
        if answer.status_code >= 400:
            raise _problem(answer)
        body: Any = None
        if answer.headers.get("content-type", "").startswith("application/json"):
            body = answer.json()
        return Answer(answer.status_code, body, answer.headers, answer.content)

    async def live(self) -> bool:
        """Whether the gateway answers at all (the pages' readiness)."""
        try:
            answer = await self._http.get("/health/live", timeout=2.0)
        except httpx.TransportError:
            return False
        return answer.status_code == 200


def _retry_after(answer: httpx.Response) -> int | None:
    raw = answer.headers.get("retry-after", "")
    return int(raw) if raw.isdigit() else None


_PROBLEM_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "errors"})


def _problem(answer: httpx.Response) -> GatewayProblem:
    try:
        body = answer.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    errors = body.get("errors")
    return GatewayProblem(
        status=answer.status_code,
        type=str(body.get("type", "about:blank")),
        title=str(body.get("title", "")),
        detail=str(body.get("detail", "")),
        errors=errors if isinstance(errors, list) else [],
        extensions={k: v for k, v in body.items() if k not in _PROBLEM_MEMBERS},
        retry_after_s=_retry_after(answer),
    )
