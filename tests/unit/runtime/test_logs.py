"""Structured logs: JSON lines that carry the trace, and never a personal field's value."""

from __future__ import annotations

import json
import logging

import pytest
from allwan_runtime import logs
from allwan_runtime.logs import FASTSTREAM_LOGGER, setup_logging
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


def test_a_library_line_repeated_within_the_window_is_counted_not_written(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiokafka logs every retry while Kafka is down: 16,000 lines per broker restart."""
    now = [100.0]
    monkeypatch.setattr(logs, "_clock", lambda: now[0])
    setup_logging("unit")
    broker = logging.getLogger("aiokafka")
    for _ in range(50):
        broker.error("Unable connect to node with id %s: %s", 1, "Connection refused")
    broker.error("Unable connect to node with id %s: %s", 2, "Connection refused")  # another
    logging.getLogger(FASTSTREAM_LOGGER).error("task failed")  # ours: never held back
    logging.getLogger(FASTSTREAM_LOGGER).error("task failed")
    now[0] += logs.REPEAT_WINDOW_S
    broker.error("Unable connect to node with id %s: %s", 1, "Connection refused")
    broker.error("Unable connect to node with id %s: %s", 2, "Connection refused")

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["event"], line.get("repeated")) for line in lines] == [
        ("Unable connect to node with id 1: Connection refused", None),
        ("Unable connect to node with id 2: Connection refused", None),
        ("task failed", None),
        ("task failed", None),
        ("Unable connect to node with id 1: Connection refused", 49),
        ("Unable connect to node with id 2: Connection refused", None),
    ]


def test_lines_of_many_kinds_are_forgotten_once_their_window_passed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [100.0]
    monkeypatch.setattr(logs, "_clock", lambda: now[0])
    monkeypatch.setattr(logs, "_KINDS_KEPT", 10)
    setup_logging("unit")
    fetcher = logging.getLogger("aiokafka.consumer.fetcher")
    for offset in range(10):
        fetcher.warning("Fetch offset %s is out of range", offset)
    fetcher.warning("Fetch offset %s is out of range", 0)  # held back: within its window
    now[0] += logs.REPEAT_WINDOW_S
    fetcher.warning("Fetch offset %s is out of range", 10)  # the eleventh kind: the rest go
    fetcher.warning("Fetch offset %s is out of range", 5)

    written = [json.loads(line)["event"] for line in capsys.readouterr().out.splitlines()]
    assert len(written) == 12
    handler = logging.getLogger().handlers[0]
    [repeats] = handler.filters
    assert isinstance(repeats, logs._Repeats)
    assert sorted(kind[2] for kind in repeats._kinds) == [
        "Fetch offset 10 is out of range",
        "Fetch offset 5 is out of range",
    ]
