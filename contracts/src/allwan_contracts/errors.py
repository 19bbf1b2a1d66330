"""Errors raised when a message does not honour the contracts.

Every error carries a short machine-readable ``reason`` (for metrics, dead-letter headers and
log fields) and a message that never repeats a field's value: payloads may hold personal data
(P3, T2), and error messages end up in logs and dead-letter topics.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import ClassVar

from pydantic import ValidationError

# Payload keys are producer-controlled: an unknown key is echoed only if it looks like a field
# name, so that a value smuggled in as a key cannot leak through an error message.
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class ContractError(Exception):
    """Base of every contract error; ``reason`` says which rule was broken."""

    default_reason: ClassVar[str] = "contract_error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason: str = reason or self.default_reason


class UnknownEventType(ContractError):
    """The event type is not in the registry."""

    default_reason = "unknown_event_type"


class UnsupportedSchemaVersion(ContractError):
    """The schema version is newer than this library knows, or no upcaster reaches the latest.

    Reasons: ``schema_version_too_new``, ``no_upcaster``.
    """

    default_reason = "schema_version_too_new"


class ContractViolation(ContractError):
    """A payload does not validate against its model, or does not match its envelope.

    Reasons: ``invalid_payload``, ``envelope_mismatch``, ``upcast_failed``.
    ``problems`` lists ``location: error type`` lines, never values.
    """

    default_reason = "invalid_payload"

    def __init__(
        self, message: str, *, reason: str | None = None, problems: Iterable[str] = ()
    ) -> None:
        super().__init__(message, reason=reason)
        self.problems: tuple[str, ...] = tuple(problems)

    @classmethod
    def from_validation_error(cls, what: str, error: ValidationError) -> ContractViolation:
        problems = describe_validation_error(error)
        return cls(f"{what} is invalid: {'; '.join(problems)}", problems=problems)


class MalformedMessage(ContractError):
    """Raw bytes are not a JSON envelope. Reasons: ``not_json``, ``invalid_envelope``."""

    default_reason = "invalid_envelope"


def describe_validation_error(error: ValidationError) -> tuple[str, ...]:
    """``location: error type`` for each problem, without input values or messages."""
    return tuple(
        f"{_location(problem['loc'])}: {problem['type']}"
        for problem in error.errors(include_url=False, include_context=False, include_input=False)
    )


def _location(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return "(root)"
    return ".".join(
        str(part) if isinstance(part, int) or _FIELD_NAME.match(part) else "<redacted>"
        for part in loc
    )
