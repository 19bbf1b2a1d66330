"""The base of every integration-event payload model."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from allwan_contracts.topics import topic_spec

_EVENT_TYPE = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_AGGREGATE_TYPE = re.compile(r"^[a-z][a-z_]*$")


class Event(BaseModel):
    """A versioned integration event: the payload of one ``Envelope``.

    Unknown fields are rejected, not stored (P1), and inputs are kept out of validation
    errors because they may be personal data. A concrete event declares, as class variables,
    its ``event_type``, ``schema_version``, ``aggregate_type``, the ``aggregate_id_field``
    that identifies its aggregate (also its topic's message key) and its ``topic``; they are
    checked when the class is defined. Subclasses that do not set ``event_type`` are
    abstract and only share fields.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    event_type: ClassVar[str]
    schema_version: ClassVar[int]
    aggregate_type: ClassVar[str]
    aggregate_id_field: ClassVar[str]
    topic: ClassVar[str]

    def aggregate_id(self) -> str:
        """The id of the aggregate this event belongs to, and the message key."""
        return str(getattr(self, self.aggregate_id_field))

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "event_type" in cls.__dict__:
            _check_event_metadata(cls)


def _check_event_metadata(cls: type[Event]) -> None:
    name = cls.__name__
    if not _EVENT_TYPE.match(cls.event_type):
        raise TypeError(f"{name}.event_type must be CamelCase")
    if cls.schema_version < 1:
        raise TypeError(f"{name}.schema_version must be at least 1")
    if not _AGGREGATE_TYPE.match(cls.aggregate_type):
        raise TypeError(f"{name}.aggregate_type must be snake_case")
    if cls.aggregate_id_field not in cls.model_fields:
        raise TypeError(f"{name}.aggregate_id_field must name one of its fields")
    try:
        key = topic_spec(cls.topic).key
    except KeyError:
        raise TypeError(f"{name}.topic must be one of topics.ALL_TOPICS") from None
    if key != cls.aggregate_id_field:
        raise TypeError(f"{name} is keyed by {cls.aggregate_id_field}, its topic by {key}")
