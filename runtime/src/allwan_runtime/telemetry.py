"""OpenTelemetry for every service: one trace from an HTTP request through Kafka to Mongo.

Configured by the standard ``OTEL_*`` variables: ``OTEL_SERVICE_NAME``,
``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` (OTLP over HTTP),
``OTEL_TRACES_EXPORTER=none`` to switch export off, ``OTEL_TRACES_SAMPLER`` and friends (read by
the SDK itself). Without an endpoint nothing is exported, but spans are still created so that
trace ids reach the logs and Kafka headers.
"""

from __future__ import annotations

import os

from opentelemetry import trace
from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

_provider: TracerProvider | None = None


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
        _provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
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
