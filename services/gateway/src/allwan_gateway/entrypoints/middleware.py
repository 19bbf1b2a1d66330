"""ASGI middleware around every request, outermost first:

1. ``ServerSpans``: the request's OpenTelemetry server span; the trace continues through the
   event store and the relay to Kafka and the consuming services;
2. ``Shield``: security headers on every answer (HSTS, nosniff, frame denial, CSP,
   Referrer-Policy, no caching), and any unexpected exception as a bare 500 problem;
3. (CORS, from settings);
4. ``Limits``: the per-client rate limit (S1), the body size limit, and for JSON bodies the
   rules of ``domain.body_rules`` (no card data anywhere (C3), no ``$``/``.`` keys, no
   repeated keys). Webhook bodies are checked by their route, after their signature.

Logs carry the request's method, route and status, never its body, query or headers.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog
from opentelemetry import propagate, trace

from allwan_gateway.domain import problems
from allwan_gateway.domain.body_rules import MalformedBody, card_data, operator_keys, parse_json
from allwan_gateway.domain.problems import ProblemError
from allwan_gateway.domain.ratelimit import TokenBuckets
from allwan_gateway.entrypoints.errors import problem_response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = structlog.get_logger(__name__)
tracer = trace.get_tracer("allwan.gateway")

SECURITY_HEADERS = (
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)
WEBHOOKS = "/v1/webhooks/"
ONE_CLICK_UNSUBSCRIBE = "/v1/unsubscribe"  # RFC 8058 posts a form body, not JSON
HEALTH = "/health/"
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


class ServerSpans:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        status = {"code": 0}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        context = propagate.extract(_headers(scope))
        with tracer.start_as_current_span(
            method,
            context=context,
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": method},
        ) as span:
            try:
                await self.app(scope, receive, sending)
            finally:
                route = getattr(scope.get("route"), "path", None)
                if route:
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status["code"])
                log.info("http.request", method=method, route=route, status=status["code"])


class Shield:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            # No traceback in the log: its frames may hold request data.
            log.error("http.unhandled", error=type(error).__name__)  # noqa: TRY400
            if started:
                raise
            failure = ProblemError(500, "internal-error", "Something went wrong on our side.")
            await problem_response(failure, scope["path"])(scope, receive, sending)


class Limits:
    def __init__(
        self,
        app: ASGIApp,
        *,
        buckets: TokenBuckets,
        max_body_bytes: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.buckets = buckets
        self.max_body_bytes = max_body_bytes
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            receive = await self._check(scope, receive)
        except ProblemError as problem:
            await problem_response(problem, scope["path"])(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _check(self, scope: Scope, receive: Receive) -> Receive:
        path: str = scope["path"]
        headers = _headers(scope)
        if not path.startswith(HEALTH):
            wait = self.buckets.take(_caller(scope, headers), self.clock())
            if wait is not None:
                raise problems.too_many_requests(wait)
        if scope["method"] not in _WITH_BODY:
            return receive
        body = await self._read(headers, receive)
        if body and not path.startswith(WEBHOOKS) and path != ONE_CLICK_UNSUBSCRIBE:
            _check_json(headers, body)
        return _replay(body, receive)

    async def _read(self, headers: dict[str, str], receive: Receive) -> bytes:
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                raise ProblemError(400, "bad-request", "Content-Length is not a number.")
            if int(declared) > self.max_body_bytes:
                raise problems.payload_too_large(self.max_body_bytes)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise problems.payload_too_large(self.max_body_bytes)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _caller(scope: Scope, headers: dict[str, str]) -> str:
    """Whose bucket a request spends: its credential's (hashed), else its address's."""
    credential = headers.get("x-api-key") or headers.get("authorization")
    if credential:
        return "c:" + hashlib.sha256(credential.encode()).hexdigest()[:32]
    client = scope.get("client")
    return f"a:{client[0] if client else 'unknown'}"


def _check_json(headers: dict[str, str], body: bytes) -> None:
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise problems.unsupported_media_type()
    try:
        parsed = parse_json(body)
    except MalformedBody as error:
        raise problems.malformed_json(f"The request body is not valid JSON: {error}.") from None
    refused = operator_keys(parsed)
    if refused:
        raise problems.operator_keys_refused(refused)
    cards = card_data(parsed)
    if cards:
        log.warning("http.card_data_refused", locations=cards)
        raise problems.card_data_refused(cards)


def _replay(body: bytes, then: Receive) -> Receive:
    """The body read already, then whatever the server says next (a disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await then()

    return receive
