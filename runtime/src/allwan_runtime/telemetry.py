"""OpenTelemetry for every service: one trace from an HTTP request through Kafka to Mongo.

Configured by the standard ``OTEL_*`` variables: ``OTEL_SERVICE_NAME``,
``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` (OTLP over HTTP),
``OTEL_TRACES_EXPORTER=none`` to switch export off, ``OTEL_TRACES_SAMPLER`` and friends (read by
the SDK itself). Without an endpoint nothing is exported, and spans are not recorded either
(``ReadProvider``): each still gets its trace and span ids, so trace ids reach the logs and
Kafka headers, but nothing stores attributes, events or timings nobody reads.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

_provider: TracerProvider | None = None


class ReadProvider(TracerProvider):
    """A tracer provider that records spans only once a span processor reads them.

    Until the first processor is added (the OTLP exporter, or a test's), every span is
    dropped by its sampler: a non-recording span that still has a valid trace id and span id
    of its own, so the logs name the trace and ``traceparent`` carries it through Kafka (with
    the sampled flag off). A recorded span that nothing exports is work for nothing, on
    every request, record and database command. From the first processor on, the sampler
    configured by ``OTEL_TRACES_SAMPLER`` decides as usual.
    """

    def __init__(self, resource: Resource) -> None:
        super().__init__(resource=resource)
        self.read = False
        self.sampler = _WhenRead(self.sampler, self)

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        super().add_span_processor(span_processor)
        self.read = True


class _WhenRead(Sampler):
    """``configured``'s decision once ``provider`` has a reader; until then, drop."""

    def __init__(self, configured: Sampler, provider: ReadProvider) -> None:
        self._configured = configured
        self._provider = provider

    def should_sample(  # noqa: PLR0917 - the Sampler interface
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if self._provider.read:
            return self._configured.should_sample(
                parent_context, trace_id, name, kind, attributes, links, trace_state
            )
        parent = trace.get_current_span(parent_context).get_span_context()
        return SamplingResult(Decision.DROP, None, parent.trace_state if parent.is_valid else None)

    def get_description(self) -> str:
        return f"WhenRead{{{self._configured.get_description()}}}"


def setup_tracing(
    service_name: str, *, extra_processors: tuple[SpanProcessor, ...] = ()
) -> TracerProvider:
    """Install the global tracer provider once per process and trace PyMongo's commands.

    PyMongo's instrumentation registers a global command listener, which also covers
    ``AsyncMongoClient`` (proven by a test); it must run before clients are created.
    Statements are not captured: they may hold personal data.
    """
    global _provider  # noqa: PLW0603 - one provider per process, by OpenTelemetry's design
    if _provider is None:
        name = os.environ.get("OTEL_SERVICE_NAME", service_name)
        _provider = ReadProvider(Resource.create({SERVICE_NAME: name}))
        exporter = _otlp_exporter()
        if exporter is not None:
            _provider.add_span_processor(BatchSpanProcessor(exporter))
        trace.set_tracer_provider(_provider)
        PymongoInstrumentor().instrument(tracer_provider=_provider)
    for processor in extra_processors:
        _provider.add_span_processor(processor)
    return _provider


def _otlp_exporter() -> SpanExporter | None:
    if os.environ.get("OTEL_TRACES_EXPORTER", "otlp").lower() == "none":
        return None
    if not (
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415

    return OTLPSpanExporter()
