"""ASGI middleware around every request, outermost first:

1. ``ServerSpans``: the request's OpenTelemetry server span; the trace continues through the
   event store and the relay to Kafka and the consuming services. Inside the span, the
   request's one access-log line (``allwan_runtime.access_log``: method, route template,
   status, duration, trace id; never the query, a path value, a header or the client's
   address);
2. ``Shield``: security headers on every answer (HSTS, nosniff, frame denial, CSP,
   Referrer-Policy, no caching); a store that does not answer (in time) as a 503 problem with
   ``Retry-After``, any other unexpected exception as a bare 500 problem;
3. (CORS, from settings);
4. ``Limits``: the per-client rate limit (S1); card data (C3) in the headers the gateway
   reads, in any query parameter (name or value) and in the path; the body size limit, and
   for JSON bodies the rules of ``domain.body_rules`` (no card data anywhere (C3), no
   ``$``/``.`` keys, no repeated keys); and the time the request may wait for MongoDB.
   Webhook bodies are checked by their route, after their signature.

Logs carry the request's method, route and status, never its body, query or headers.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

import pymongo
import structlog
from allwan_contracts.cards import contains_card_number, find_card_data
from allwan_runtime.access_log import AccessLog, method_of
from allwan_runtime.dispatch import is_transient
from opentelemetry import propagate, trace
from pymongo.errors import PyMongoError

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

# The headers the gateway itself reads (C3): credentials, the idempotency key, the webhook
# signatures, the user agent kept as consent evidence, what CORS and the proxy headers feed,
# and the trace baggage it passes on to Kafka. Not the browser's others: third-party cookies
# carry 13-digit millisecond timestamps, and the gateway never reads a cookie. Not
# ``traceparent`` either: the propagator takes only its exact hex shape (random ids), and
# ignores anything else.
READ_HEADERS = frozenset(
    {
        "authorization",
        "x-api-key",
        "idempotency-key",
        "x-salla-signature",
        "x-salla-security-strategy",
        "x-hub-signature-256",
        "user-agent",
        "content-type",
        "content-length",
        "origin",
        "access-control-request-method",
        "access-control-request-headers",
        "x-forwarded-for",
        "x-forwarded-proto",
        "tracestate",
        "baggage",
    }
)
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
_WITHHELD_SEGMENT = "*"

# How long a request may wait for MongoDB, all its operations together. PyMongo would wait
# 5 s to find an unreachable server (``allwan_runtime.mongo``); the storefront is promised an
# order's decision, or a 202, within about 2 s (``ALLWAN_DECISION_WAIT_S``), so a request
# whose store does not answer gives up on the same scale and answers 503 rather than hang.
# The one route that waits for a decision by design gets that wait on top.
DATABASE_BUDGET_S = 2.0
DECIDING = ("POST", "/v1/orders")
# Servers come back in seconds, not instantly: a retry sooner would only add load.
RETRY_AFTER_S = 5


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


class ServerSpans:
    def __init__(self, app: ASGIApp) -> None:
        # The access log runs inside the span, so its line carries the trace id.
        self.app: ASGIApp = AccessLog(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = method_of(scope)
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
            if unavailable(error):
                log.warning("http.dependency_unavailable", error=type(error).__name__)
                failure = problems.service_unavailable(RETRY_AFTER_S)
            else:
                log.error("http.unhandled", error=type(error).__name__)  # noqa: TRY400
                failure = ProblemError(500, "internal-error", "Something went wrong on our side.")
            if started:
                raise
            await problem_response(failure, scope["path"])(scope, receive, sending)


def unavailable(error: BaseException) -> bool:
    """Whether ``error`` says that MongoDB did not answer (in time), not that it refused.

    ``allwan_runtime.dispatch.is_transient``: an unreachable server (PyMongo's
    ``ConnectionFailure``), a timed-out operation, a query the store interrupted under load.
    An error raised ``from`` one counts, and so does a group of them.
    """
    if isinstance(error, BaseExceptionGroup):
        return all(unavailable(inner) for inner in error.exceptions)
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, PyMongoError) and is_transient(cause):
            return True
        cause = cause.__cause__
    return False


class Limits:
    def __init__(
        self,
        app: ASGIApp,
        *,
        buckets: TokenBuckets,
        max_body_bytes: int,
        decision_wait_s: float = 0.0,
        database_budget_s: float = DATABASE_BUDGET_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.buckets = buckets
        self.max_body_bytes = max_body_bytes
        self.decision_wait_s = decision_wait_s
        self.database_budget_s = database_budget_s
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            receive = await self._check(scope, receive)
        except ProblemError as problem:
            await problem_response(problem, _instance(scope["path"]))(scope, receive, send)
            return
        # A deadline for every MongoDB operation of this request, server selection included
        # (PyMongo's client-side operation timeout); past it they raise, and Shield answers 503.
        with pymongo.timeout(self._database_budget_s(scope)):
            await self.app(scope, receive, send)

    def _database_budget_s(self, scope: Scope) -> float:
        if (scope["method"], scope["path"]) == DECIDING:
            return self.database_budget_s + self.decision_wait_s
        return self.database_budget_s

    async def _check(self, scope: Scope, receive: Receive) -> Receive:
        path: str = scope["path"]
        headers = _headers(scope)
        if not path.startswith(HEALTH):
            wait = self.buckets.take(_caller(scope, headers), self.clock())
            if wait is not None:
                raise problems.too_many_requests(wait)
        cards = card_data_outside_body(scope)
        if cards:
            log.warning("http.card_data_refused", locations=cards)
            raise problems.card_data_refused(cards)
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


def card_data_outside_body(scope: Scope) -> list[str]:
    """Where card data (C3) is in a request, its body aside: ``header:<name>`` for the
    headers the gateway reads, ``query:<name>`` for any query parameter (a name that is not a
    plain name is shown as ``<name>``), ``path`` for the path. Never the value."""
    found: list[str] = []
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        # As UTF-8, so that Arabic-Indic digits are read as digits.
        if name in READ_HEADERS and contains_card_number(raw_value.decode("utf-8", "replace")):
            found.append(f"header:{name}")
    query = scope.get("query_string", b"").decode("utf-8", "replace")
    for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
        if find_card_data({name: value}):
            found.append(f"query:{_shown(name)}")
    if _withheld(scope["path"]):
        found.append("path")
    return list(dict.fromkeys(found))


def _shown(name: str) -> str:
    # A parameter's name is sender-controlled: only a plain one is echoed.
    return name if _PLAIN_NAME.match(name) and not contains_card_number(name) else "<name>"


def _withheld(path: str) -> list[int]:
    return [i for i, segment in enumerate(path.split("/")) if contains_card_number(segment)]


def _instance(path: str) -> str:
    """The problem's ``instance``: the path, with any segment holding card data withheld."""
    withheld = set(_withheld(path))
    if not withheld:
        return path
    segments = path.split("/")
    return "/".join(_WITHHELD_SEGMENT if i in withheld else s for i, s in enumerate(segments))


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
