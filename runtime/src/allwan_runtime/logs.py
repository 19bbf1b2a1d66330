"""Structured JSON logs carrying trace_id and span_id, and no personal data.

Log calls pass identifiers and event types, never payloads. As a second line of defence a
processor drops any key whose name says it holds personal data.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import MutableMapping
from typing import Any

import structlog
from opentelemetry import trace

PERSONAL_KEYS = frozenset(
    {"email", "phone", "name", "address", "billing_address", "ip", "payload", "body", "card"}
)

FASTSTREAM_LOGGER = "allwan.faststream"
"""The logger the service's FastStream broker is given, so that a subscriber's task that
failed and is restarted is logged (it was silent with ``logger=None``). FastStream's own
``faststream`` logger has a handler of its own that writes plain text to stderr."""


REPEAT_WINDOW_S = 10.0
"""How long a library's line, once written, holds back the lines of the same kind after it."""
_KINDS_KEPT = 1000


class _Repeats(logging.Filter):
    """A library's line of a kind written in the last ``REPEAT_WINDOW_S`` is counted, not
    written again; the next one written says how many were held back (``repeated``).

    While Kafka is down, every client of a service retries every 100 ms and aiokafka logs
    each failure: 216,000 lines in one chaos bench run (16,000 per Kafka restart), a third of
    each service's CPU while the broker was starting on the same cores, and nothing an
    operator reads. A kind is the logger, the level and the message as written (each group's
    "joined" stays a line of its own). The service's own lines (``allwan.*``) are never held
    back. Kinds written a window ago or more are forgotten once ``_KINDS_KEPT`` are remembered.
    """

    def __init__(self) -> None:
        super().__init__()
        self._kinds: dict[tuple[str, int, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "allwan" or record.name.startswith("allwan."):
            return True
        kind = (record.name, record.levelno, record.getMessage())
        now = _clock()
        if len(self._kinds) >= _KINDS_KEPT and kind not in self._kinds:
            self._forget_before(now - REPEAT_WINDOW_S)
        written_at, held = self._kinds.get(kind, (None, 0))
        if written_at is not None and now - written_at < REPEAT_WINDOW_S:
            self._kinds[kind] = (written_at, held + 1)
            return False
        self._kinds[kind] = (now, 0)
        if held:
            record.repeated = held
        return True

    def _forget_before(self, at: float) -> None:
        # A kind held back and not seen since loses its count: it is only ever reported by
        # a line of the same kind, after the window.
        self._kinds = {kind: seen for kind, seen in self._kinds.items() if seen[0] > at}


def _clock() -> float:
    return time.monotonic()


def _add_repeated(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    held = getattr(event.get("_record"), "repeated", 0)
    if held:
        event["repeated"] = held
    return event


def _add_trace_ids(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = format(context.trace_id, "032x")
        event["span_id"] = format(context.span_id, "016x")
    return event


def _drop_personal(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in PERSONAL_KEYS.intersection(event):
        event[key] = "[redacted]"
    return event


class _CurrentStdout(logging.StreamHandler[Any]):
    """Writes to whatever ``sys.stdout`` is when a record is emitted, as structlog's lines do."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def setup_logging(service_name: str, level: str = "INFO") -> None:
    """Route structlog and the standard library's logging to JSON lines on stdout.

    A library's record (aiokafka's, uvicorn's) becomes a line of the same shape as ours:
    ``event`` (its message), ``level``, ``logger``, ``timestamp``, ``service`` and the trace,
    so an operator reads a broker outage and the service's own lines on one time line.
    """
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_trace_ids,
        _drop_personal,
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        # No file bound here and no logger caching: output follows whatever sys.stdout is at
        # the time of the call, and structlog.testing.capture_logs keeps working.
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service_name)
    handler = _CurrentStdout()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, _add_repeated, *shared],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    handler.addFilter(_Repeats())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # httpx writes every request's full URL at INFO, and a query may carry a customer id or
    # a token (the gateway reads the notifier's ledger by customer id): its warnings only.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # FastStream logs every message it receives at INFO (topic and id) and every restart of a
    # subscriber's task: warnings and errors only, such as a task that failed.
    logging.getLogger(FASTSTREAM_LOGGER).setLevel(max(logging.WARNING, logging.getLevelName(level)))
