"""ASGI middleware around every request, outermost first:

1. ``allwan_runtime.server_spans.ServerSpans``: the request's OpenTelemetry server span; the
   trace continues through the event store and the relay to Kafka and the consuming services.
   Inside the span, the request's one access-log line (``allwan_runtime.access_log``:
   method, route template, status, duration, trace id; never the query, a path value, a
   header or the client's address);
2. ``Shield``: security headers on every answer (HSTS, nosniff, frame denial, CSP,
   Referrer-Policy, no caching); a store that does not answer (in time) as a 503 problem with
   ``Retry-After``, any other unexpected exception as a bare 500 problem;
3. (CORS, from settings);
4. ``admission.Admission``: at most ``ALLWAN_MAX_IN_FLIGHT`` requests worked on at once; one
   that waited ``ALLWAN_ADMISSION_WAIT_S`` for a slot is a 503 ``overloaded`` problem;
5. ``limits.Limits``: the rate limit (S1), card data (C3) anywhere the gateway reads, the
   body's size and rules, and the time the request may wait for MongoDB.

Logs carry the request's method, route and status, never its body, query or headers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog
from allwan_runtime.dispatch import is_transient
from pymongo.errors import PyMongoError

from allwan_gateway.entrypoints.errors import problem_response
from allwan_gateway.entrypoints.schemas import problems
from allwan_gateway.entrypoints.schemas.problems import ProblemError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = structlog.get_logger(__name__)

SECURITY_HEADERS = (
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)
# Servers come back in seconds, not instantly: a retry sooner would only add load.
RETRY_AFTER_S = 5


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
