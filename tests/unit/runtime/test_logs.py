"""Structured logs: JSON lines that carry the trace, and never a personal field's value."""

from __future__ import annotations

import json

import pytest
from allwan_runtime.logs import setup_logging
from opentelemetry.sdk.trace import TracerProvider
from structlog import get_logger


def test_a_log_line_is_json_with_trace_and_span_ids_and_no_personal_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging("unit")
    tracer = TracerProvider().get_tracer("unit")
    with tracer.start_as_current_span("request") as span:
        get_logger("unit").warning(
            "order.refused", order_id="o-1", email="sara@example.com", phone="+966500000000"
        )
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    context = span.get_span_context()
    assert line["event"] == "order.refused"
    assert line["service"] == "unit"
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")
    assert line["email"] == line["phone"] == "[redacted]"
    assert "sara@example.com" not in json.dumps(line)
