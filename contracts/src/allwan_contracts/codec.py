"""Envelopes to bytes and back: compact UTF-8 JSON on Kafka and in event stores."""

from __future__ import annotations

from pydantic import ValidationError

from allwan_contracts.envelope import Envelope
from allwan_contracts.errors import MalformedMessage, describe_validation_error


def encode(envelope: Envelope) -> bytes:
    """Compact UTF-8 JSON of the envelope."""
    return envelope.model_dump_json().encode("utf-8")


def decode(raw: bytes) -> Envelope:
    """The envelope in ``raw``; ``MalformedMessage`` if it is not JSON or not an envelope.

    The payload is not validated here: see ``read_event``.
    """
    try:
        return Envelope.model_validate_json(raw)
    except ValidationError as error:
        problems = describe_validation_error(error)
        not_json = any(
            problem["type"] == "json_invalid" for problem in error.errors(include_input=False)
        )
        raise MalformedMessage(
            f"message is not an envelope: {'; '.join(problems)}",
            reason="not_json" if not_json else "invalid_envelope",
        ) from None
