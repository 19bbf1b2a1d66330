"""The one envelope every integration event travels in, on Kafka and in event stores."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


class Envelope(BaseModel):
    """Metadata of one event plus its payload as a JSON object.

    The payload stays a plain mapping here so that an event stored at an old schema version
    can be upcast (see ``allwan_contracts.registry``) before it is validated by its model.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(default_factory=uuid4)
    event_type: str = Field(min_length=1, max_length=100, pattern=r"^[A-Z][A-Za-z0-9]*$")
    schema_version: int = Field(ge=1)
    occurred_at: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    aggregate_type: str = Field(min_length=1, max_length=50, pattern=r"^[a-z][a-z_]*$")
    aggregate_id: str = Field(min_length=1, max_length=200)
    aggregate_version: int = Field(ge=1)
    producer: str = Field(min_length=1, max_length=50)
    correlation_id: UUID
    causation_id: UUID | None = None
    payload: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)
