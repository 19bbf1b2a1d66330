"""The server span of each HTTP request, with the request's one access-log line inside it.

The trace starts here (or continues a caller's W3C ``traceparent``) and runs on through the
service's outgoing calls: the event store and relay to Kafka, or the web pages' calls to the
gateway. The span is named by the route template, never the path as sent (C2, C3), and the
access log (``allwan_runtime.access_log``) runs inside it, so its line carries the trace id.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from opentelemetry import propagate, trace

from allwan_runtime.access_log import AccessLog, ASGIApp, Message, Receive, Scope, Send, method_of


def headers_of(scope: MutableMapping[str, Any]) -> dict[str, str]:
    """The request's headers, names lower-cased."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


class ServerSpans:
    """ASGI middleware: one server span per HTTP request, named ``<method> <route>``."""

    def __init__(self, app: ASGIApp, tracer_name: str = "allwan.http") -> None:
        self.app: ASGIApp = AccessLog(app)
        self.tracer = trace.get_tracer(tracer_name)

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

        context = propagate.extract(headers_of(scope))
        with self.tracer.start_as_current_span(
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
