"""The checks every request passes before a route sees it (the innermost middleware):

- the per-client rate limit (S1);
- card data (C3) in the headers the gateway reads, in any query parameter (name or value)
  and in the path (``domain.card_data``);
- the body size limit, and for JSON bodies the rules of ``domain.body_rules`` (no ``$``/``.``
  keys, no repeated keys) and no card data anywhere (``allwan_contracts.cards``). Webhook
  bodies are checked by their route, after their signature;
- the time the request may wait for MongoDB.

A refusal is a problem answer naming the rule and where it was broken, never a value.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import pymongo
import structlog
from allwan_contracts.cards import CardDataRefused, refuse_card_data
from allwan_runtime.server_spans import headers_of

from allwan_gateway.domain.body_rules import MalformedBody, operator_keys, parse_json
from allwan_gateway.domain.card_data import refuse_outside_body, without_card_data
from allwan_gateway.domain.ratelimit import TokenBuckets
from allwan_gateway.entrypoints.errors import problem_response
from allwan_gateway.entrypoints.middleware import ASGIApp, Message, Receive, Scope, Send
from allwan_gateway.entrypoints.schemas import problems
from allwan_gateway.entrypoints.schemas.problems import ProblemError

log = structlog.get_logger(__name__)

WEBHOOKS = "/v1/webhooks/"
ONE_CLICK_UNSUBSCRIBE = "/v1/unsubscribe"  # RFC 8058 posts a form body, not JSON
HEALTH = "/health/"
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})

# How long a request may wait for MongoDB, all its operations together. PyMongo would wait
# 5 s to find an unreachable server (``allwan_runtime.mongo``); the storefront is promised an
# order's decision, or a 202, within about 2 s (``ALLWAN_DECISION_WAIT_S``), so a request
# whose store does not answer gives up on the same scale and answers 503 rather than hang.
# The one route that waits for a decision by design gets that wait on top.
DATABASE_BUDGET_S = 2.0
DECIDING = ("POST", "/v1/orders")


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
            instance = without_card_data(scope["path"])
            await problem_response(problem, instance)(scope, receive, send)
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
        headers = headers_of(scope)
        if not path.startswith(HEALTH):
            wait = self.buckets.take(_caller(scope, headers), self.clock())
            if wait is not None:
                raise problems.too_many_requests(wait)
        try:
            refuse_outside_body(scope["headers"], scope.get("query_string", b""), path)
        except CardDataRefused as refused:
            raise _card_data_refused(refused) from None
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


def _card_data_refused(refused: CardDataRefused) -> ProblemError:
    log.warning("http.card_data_refused", locations=[f.location for f in refused.findings])
    return problems.card_data_refused(refused)


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
    try:
        refuse_card_data(parsed)
    except CardDataRefused as found:
        raise _card_data_refused(found) from None


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
