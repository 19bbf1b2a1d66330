"""Structured logs: JSON lines that carry the trace, and never a personal field's value."""

from __future__ import annotations

import json
import logging

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


def test_a_library_record_is_a_json_line_with_time_level_and_logger(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # aiokafka, uvicorn and the other libraries log through the standard library: an operator
    # reads their broker outage on the same time line as the service's own lines.
    setup_logging("unit")
    logging.getLogger("aiokafka.conn").warning("Unable connect to node with id %s", 1)
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["event"] == "Unable connect to node with id 1"
    assert line["level"] == "warning"
    assert line["logger"] == "aiokafka.conn"
    assert line["service"] == "unit"
    assert line["timestamp"].endswith("Z")


def test_a_library_record_below_the_level_is_not_written(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging("unit", level="WARNING")
    try:
        logging.getLogger("aiokafka.conn").info("connected")
        logging.getLogger("aiokafka.conn").warning("disconnected")
    finally:
        setup_logging("unit")  # the next test's level
    written = capsys.readouterr().out
    assert "disconnected" in written
    assert "connected" not in written.replace("disconnected", "")
