"""One access-log line per HTTP request, the same in every service: what kind of request it
was and how it went, never who sent it or what it carried.

uvicorn's own access log writes the request line as sent (path values, the query string) and
the client's address; a path may hold a customer id, a query an unsubscribe token, a WhatsApp
verify token or a card number someone typed into a URL (C2, C3). So every service runs
uvicorn with ``access_log=False`` and its ASGI app wrapped in ``AccessLog``, which writes one
``http.request`` line per request with:

- ``method``: one of the standard methods, else ``OTHER`` (the method is sender-controlled);
- ``route``: the route template (``/v1/customers/{customer_id}/consents``), or an exact path
  the app declares (``/health/ready``), else ``<unmatched>``, never the path as sent;
- ``status`` (0 if no answer started) and ``duration_ms``;
- the trace and span ids, which ``allwan_runtime.logs`` adds while a span is current.

Never the query, a path value, a header or the client's address. An exception that escapes
the app is logged by its type alone (messages and tracebacks may quote request data) and
answered with a bare 500 if no answer had started; it is not re-raised, so the server does
not print a traceback of its own.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

import structlog
from faststream.asgi import AsgiFastStream

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UNMATCHED = "<unmatched>"
OTHER_METHOD = "OTHER"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})

log = structlog.get_logger("allwan.access")


def method_of(scope: Scope) -> str:
    """The request's method if it is a standard one, else ``OTHER``: never the raw token."""
    method = scope.get("method")
    return method if method in METHODS else OTHER_METHOD


def route_of(scope: Scope, exact_paths: Iterable[str] = ()) -> str:
    """The route template the app matched (Starlette/FastAPI put the route in the scope),
    else the path if it is one of ``exact_paths``, else ``UNMATCHED``."""
    template = getattr(scope.get("route"), "path", None)
    if isinstance(template, str):
        return template
    path = scope.get("path")
    return path if isinstance(path, str) and path in set(exact_paths) else UNMATCHED


class AccessLog:
    """ASGI middleware writing the one access-log line of each HTTP request.

    ``exact_paths`` names the paths an app serves as they are (FastStream's ASGI routes:
    health, ``/asyncapi``, the notifier's ledger); it is called per request, so routes added
    after wrapping count. Apps that put their route in the scope need none.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        exact_paths: Callable[[], Iterable[str]] = lambda: (),
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.app = app
        self.exact_paths = exact_paths
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = self.clock()
        status = 0
        failure: str | None = None

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            failure = type(error).__name__
            if status == 0:
                await _bare_500(sending)
        finally:
            fields: dict[str, Any] = {
                "method": method_of(scope),
                "route": route_of(scope, self.exact_paths()),
                "status": status,
                "duration_ms": round((self.clock() - started) * 1000, 1),
            }
            if failure is not None:
                log.error("http.request", error=failure, **fields)
            else:
                log.info("http.request", **fields)


def logged(app: AsgiFastStream) -> AccessLog:
    """A FastStream ASGI app (``ServiceRuntime.asgi_app``) with its access log: it serves
    each of its routes at one exact path, so those paths are the route templates."""
    return AccessLog(app, exact_paths=lambda: [path for path, _ in app.routes])


async def _bare_500(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", b"text/plain"), (b"cache-control", b"no-store")],
        }
    )
    await send({"type": "http.response.body", "body": b"Internal Server Error"})
