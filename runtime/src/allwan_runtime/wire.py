"""How an envelope looks on Kafka: JSON value, aggregate id as key, metadata in headers."""

from __future__ import annotations

from collections.abc import Iterable

from allwan_contracts import encode
from allwan_contracts.envelope import Envelope
from opentelemetry import propagate

# Headers duplicate a few envelope fields so operators can route, filter and read the
# dead-letter topic without parsing values, and carry the W3C trace context.
EVENT_TYPE = "allwan-event-type"
EVENT_ID = "allwan-event-id"
SCHEMA_VERSION = "allwan-schema-version"


def message_value(envelope: Envelope) -> bytes:
    """The Kafka record value of an envelope."""
    return encode(envelope)


def message_headers(envelope: Envelope) -> list[tuple[str, bytes]]:
    """Record headers: event metadata plus the current trace context (``traceparent``)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    headers = {
        "content-type": "application/json",
        EVENT_TYPE: envelope.event_type,
        EVENT_ID: str(envelope.event_id),
        SCHEMA_VERSION: str(envelope.schema_version),
        **carrier,
    }
    return [(name, value.encode()) for name, value in headers.items()]


def headers_to_text(headers: Iterable[tuple[str, bytes]] | dict[str, str]) -> dict[str, str]:
    """Kafka headers as text, for logs and the dead-letter record; undecodable bytes escaped."""
    items = headers.items() if isinstance(headers, dict) else headers
    return {
        name: value if isinstance(value, str) else value.decode("utf-8", "backslashreplace")
        for name, value in items
    }
