"""One trace from the browser's request through the gateway: the pages' server span, their
call to the gateway (a client span named by method only) and the gateway's server span share
one trace, and no span names a customer (C2)."""

from __future__ import annotations

import httpx
from allwan_runtime.server_spans import ServerSpans
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.unit.web.harness import web_harness


async def test_a_page_and_the_gateway_calls_it_makes_are_one_trace_naming_no_customer() -> None:
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        trace.set_tracer_provider(TracerProvider())
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    h = web_harness()
    pages = ServerSpans(h.app, tracer_name="allwan.web")
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=pages), base_url="https://web.test"
        ) as browser:
            await browser.get("/account/orders")  # a visitor: the session is made
            customer = "cabcdefghijklmnopqrstuvw"
            (session,) = h.web.sessions._sessions.values()
            session.customer_id = customer  # now a customer: the page asks the gateway
            await browser.get("/account/orders")
    finally:
        exporter.shutdown()
    spans = exporter.get_finished_spans()

    page = [s for s in spans if s.kind is trace.SpanKind.SERVER and s.name == "GET /account/orders"]
    gateway = [
        s
        for s in spans
        if s.kind is trace.SpanKind.SERVER and s.name == "GET /v1/customers/{customer_id}/orders"
    ]
    calls = [s for s in spans if s.kind is trace.SpanKind.CLIENT and s.name == "gateway GET"]
    assert page
    assert gateway
    assert calls
    last_page, last_gateway = page[-1], gateway[-1]
    assert last_gateway.parent is not None
    call = next(c for c in calls if c.context.span_id == last_gateway.parent.span_id)
    assert call.parent is not None
    assert call.parent.span_id == last_page.context.span_id
    assert (
        len({last_page.context.trace_id, call.context.trace_id, last_gateway.context.trace_id}) == 1
    )
    exported = repr([(s.name, dict(s.attributes or {})) for s in spans])
    assert customer not in exported
