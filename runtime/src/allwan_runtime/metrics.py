"""OpenTelemetry metrics for every service, configured like the traces (``telemetry``).

``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`` (OTLP over HTTP)
turn export on, every ``OTEL_METRIC_EXPORT_INTERVAL`` milliseconds (the SDK reads it);
``OTEL_METRICS_EXPORTER=none`` turns it off. Without an endpoint instruments still count, and
nothing leaves the process.
"""

from __future__ import annotations

import os

from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import SERVICE_NAME, Resource

_provider: MeterProvider | None = None


def setup_metrics(service_name: str) -> MeterProvider:
    """Install the global meter provider once per process; later calls return it."""
    global _provider  # noqa: PLW0603 - one provider per process, by OpenTelemetry's design
    if _provider is None:
        name = os.environ.get("OTEL_SERVICE_NAME", service_name)
        exporter = _otlp_exporter()
        readers = [] if exporter is None else [PeriodicExportingMetricReader(exporter)]
        _provider = MeterProvider(
            resource=Resource.create({SERVICE_NAME: name}), metric_readers=readers
        )
        metrics.set_meter_provider(_provider)
    return _provider


def _otlp_exporter() -> MetricExporter | None:
    if os.environ.get("OTEL_METRICS_EXPORTER", "otlp").lower() == "none":
        return None
    if not (
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
    ):
        return None
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import (  # noqa: PLC0415
        OTLPMetricExporter,
    )

    return OTLPMetricExporter()
