"""Spans are recorded only once something reads them; until then they still carry the trace
(ids for the logs, ``traceparent`` for Kafka headers)."""

from __future__ import annotations

from allwan_runtime.telemetry import ReadProvider
from opentelemetry import propagate
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


def test_without_a_reader_spans_are_not_recorded_but_carry_their_trace() -> None:
    provider = ReadProvider(Resource.create({}))
    tracer = provider.get_tracer("test")
    carrier: dict[str, str] = {}
    with (
        tracer.start_as_current_span("request") as request,
        tracer.start_as_current_span("publish") as publish,
    ):
        propagate.inject(carrier)
    assert not request.is_recording()
    outer, inner = request.get_span_context(), publish.get_span_context()
    assert outer.is_valid
    assert inner.is_valid
    assert inner.trace_id == outer.trace_id
    assert inner.span_id != outer.span_id
    trace_id, span_id = f"{outer.trace_id:032x}", f"{inner.span_id:016x}"
    _, carried_trace, carried_span, flags = carrier["traceparent"].split("-")
    assert (carried_trace, carried_span) == (trace_id, span_id)
    assert int(flags, 16) & 1 == 0  # not sampled: a service that exports does not either


def test_from_the_first_reader_on_spans_are_recorded_in_the_trace_they_continue() -> None:
    provider = ReadProvider(Resource.create({}))
    tracer = provider.get_tracer("test")  # a tracer taken before the reader came
    with tracer.start_as_current_span("before"):
        pass
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with tracer.start_as_current_span("request"), tracer.start_as_current_span("publish"):
        pass
    names = [span.name for span in exporter.get_finished_spans()]
    assert names == ["publish", "request"]
    publish, recorded = exporter.get_finished_spans()
    assert publish.parent is not None
    assert publish.parent.span_id == recorded.context.span_id
    assert recorded.context.trace_flags.sampled
