"""Errors as RFC 9457 problem details: one class per kind of refusal, never a stack trace.

A problem's ``detail`` explains the rule that was broken; it never repeats a value the client
sent (it may be personal data or a card number, C3).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from allwan_contracts.cards import CardDataRefused

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:allwan:problem:"


@dataclass
class ProblemError(Exception):
    """A refusal the gateway answers with ``application/problem+json``."""

    status: int
    kind: str
    detail: str
    headers: Mapping[str, str] = field(default_factory=dict)
    extensions: Mapping[str, Any] = field(default_factory=dict)
    given_title: str | None = None
    """A title another service gave the problem this one passes on; the status's phrase
    otherwise."""

    def __post_init__(self) -> None:
        super().__init__(self.detail)

    @property
    def title(self) -> str:
        return self.given_title or HTTPStatus(self.status).phrase

    def body(self, instance: str) -> dict[str, Any]:
        """The problem document for the request at ``instance`` (its path)."""
        return {
            "type": f"{TYPE_PREFIX}{self.kind}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
            **self.extensions,
        }


def problem_for_status(status: int, detail: str | None = None) -> ProblemError:
    """A generic problem for a status the framework raised (404, 405, ...)."""
    phrase = HTTPStatus(status).phrase
    kind = phrase.lower().replace(" ", "-").replace("'", "")
    return ProblemError(status, kind, detail or phrase)


def unauthorized(detail: str = "Valid credentials are required (S1).") -> ProblemError:
    return ProblemError(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


def forbidden(detail: str = "These credentials may not do this (S1).") -> ProblemError:
    return ProblemError(403, "forbidden", detail)


def not_found(what: str = "resource") -> ProblemError:
    return ProblemError(404, "not-found", f"There is no such {what}.")


def too_many_requests(retry_after_s: float) -> ProblemError:
    seconds = max(1, round(retry_after_s + 0.5))
    return ProblemError(
        429,
        "rate-limited",
        "Too many requests from this client; retry later (S1).",
        headers={"Retry-After": str(seconds)},
    )


def sign_in_refused() -> ProblemError:
    """The same answer for an unknown staff id and a wrong password (S1)."""
    return ProblemError(
        401,
        "sign-in-refused",
        "The staff id and password do not match an account (S1).",
        headers={"WWW-Authenticate": "Bearer"},
    )


def sign_in_locked(retry_after_s: float) -> ProblemError:
    """Too many failed sign-ins for one staff id (S1); the id is not repeated."""
    seconds = max(1, math.ceil(retry_after_s))
    return ProblemError(
        429,
        "sign-in-locked",
        "Too many failed sign-ins for this staff id; retry after the time in Retry-After (S1).",
        headers={"Retry-After": str(seconds)},
    )


def payload_too_large(limit: int) -> ProblemError:
    return ProblemError(413, "payload-too-large", f"Request bodies are limited to {limit} bytes.")


def unsupported_media_type() -> ProblemError:
    return ProblemError(415, "unsupported-media-type", "Request bodies must be application/json.")


def malformed_json(detail: str = "The request body is not valid JSON.") -> ProblemError:
    return ProblemError(400, "malformed-json", detail)


def card_data_refused(refused: CardDataRefused) -> ProblemError:
    """C3: card data never enters; the locations are named, never the value."""
    locations = [finding.location for finding in refused.findings]
    return ProblemError(
        422,
        "card-data-refused",
        "Card numbers and security codes are never accepted: pay with a payment provider's "
        "token (C3).",
        extensions={"errors": [{"location": where, "kind": "card_data"} for where in locations]},
    )


def operator_keys_refused(locations: Sequence[str]) -> ProblemError:
    return ProblemError(
        422,
        "invalid-key",
        "Object keys may not start with '$' or contain '.'.",
        extensions={"errors": [{"location": where, "kind": "invalid_key"} for where in locations]},
    )


def validation_failed(errors: Sequence[Mapping[str, str]]) -> ProblemError:
    return ProblemError(
        422,
        "validation-failed",
        "The request does not match its schema; unknown fields are refused (P1).",
        extensions={"errors": list(errors)},
    )


def unavailable(detail: str) -> ProblemError:
    return ProblemError(503, "unavailable", detail, headers={"Retry-After": "2"})


def overloaded(retry_after_s: int = 1) -> ProblemError:
    """Every slot was taken for as long as a request may wait for one (``Admission``):
    nothing of the request was done, and a retry a moment later may be served."""
    return ProblemError(
        503,
        "overloaded",
        "The gateway is serving as many requests as it can; nothing of this one was done. "
        "Retry after the time in Retry-After.",
        headers={"Retry-After": str(retry_after_s)},
    )


def service_unavailable(retry_after_s: int) -> ProblemError:
    """A store the request needs did not answer in time: a retry may succeed, the request
    itself was not wrong. Nothing about the store (host, error) is told."""
    return ProblemError(
        503,
        "unavailable",
        "A service this request needs is not available right now; retry after the time in "
        "Retry-After (an order with the same Idempotency-Key is recorded once).",
        headers={"Retry-After": str(retry_after_s)},
    )
