"""The one envelope every integration event travels in, on Kafka and in event stores."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

from allwan_contracts.fields import UtcDatetime, utc_now


class Envelope(BaseModel):
    """Metadata of one event plus its payload as a JSON object.

    ``event_type`` and ``schema_version`` say which model reads the payload;
    ``aggregate_type``, ``aggregate_id`` and ``aggregate_version`` place the event in its
    aggregate's history (the id is also the Kafka message key, see ``topics``);
    ``correlation_id`` ties together everything one request caused and ``causation_id`` names
    the event or command that caused this one. ``occurred_at`` is always UTC.

    The payload stays a plain mapping here so that an event stored at an old schema version
    can be upcast (see ``allwan_contracts.upcasting``) before it is validated by its model
    (``allwan_contracts.read_event``). Build envelopes with ``new_envelope``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    event_id: UUID = Field(default_factory=uuid4)
    event_type: str = Field(min_length=1, max_length=100, pattern=r"^[A-Z][A-Za-z0-9]*$")
    schema_version: int = Field(ge=1)
    occurred_at: UtcDatetime = Field(default_factory=utc_now)
    aggregate_type: str = Field(min_length=1, max_length=50, pattern=r"^[a-z][a-z_]*$")
    aggregate_id: str = Field(min_length=1, max_length=200)
    aggregate_version: int = Field(ge=1)
    producer: str = Field(min_length=1, max_length=50)
    correlation_id: UUID
    causation_id: UUID | None = None
    payload: dict[str, Any]
