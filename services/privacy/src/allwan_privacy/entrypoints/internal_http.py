"""What every route of the internal accountability API shares: RFC 9457 problems that never
repeat a value sent, and the reading of what staff send (the actor, the Idempotency-Key, ids,
query values, JSON bodies checked against their ``allwan_contracts.accountability`` model).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, TypeVar

import structlog
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

M = TypeVar("M", bound=BaseModel)
log = structlog.get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
NO_STORE = {"Cache-Control": "no-store"}
MAX_BODY = 2 * 1024 * 1024
"""Enough for a breach naming 10,000 customers by id."""

_TYPE = "urn:allwan:problem:"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")  # allwan_contracts.fields.Identifier
_STAFF = re.compile(r"^staff:[A-Za-z0-9._-]{1,64}$")  # an Actor of kind staff
_KEY = re.compile(r"^[\x21-\x7E]{8,200}$")


class Problem(Exception):
    """An answer that refuses the request: ``urn:allwan:problem:<slug>``."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.slug, self.detail = status, slug, detail
        self.headers = dict(headers or {})
        self.errors = errors


def problem_response(problem: Problem) -> Response:
    body: dict[str, Any] = {
        "type": f"{_TYPE}{problem.slug}",
        "title": HTTPStatus(problem.status).phrase,
        "status": problem.status,
        "detail": problem.detail,
    }
    if problem.errors is not None:
        body["errors"] = problem.errors
    return JSONResponse(
        body,
        status_code=problem.status,
        headers={**NO_STORE, **problem.headers},
        media_type=PROBLEM_JSON,
    )


def answer(
    model: BaseModel, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return JSONResponse(
        model.model_dump(mode="json"), status_code=status, headers={**NO_STORE, **(headers or {})}
    )


def staff_actor(request: Request) -> str:
    """The staff member the gateway authenticated (``X-Allwan-Actor: staff:<id>``)."""
    actor = request.headers.get("x-allwan-actor", "")
    if not _STAFF.match(actor):
        raise Problem(
            400, "missing-actor", "X-Allwan-Actor must name the staff member (staff:<id>)."
        )
    return actor


def idempotency_key(request: Request) -> str:
    key = request.headers.get("idempotency-key")
    if key is None:
        raise Problem(400, "idempotency-key-required", "This request needs an Idempotency-Key.")
    if not _KEY.match(key):
        raise Problem(
            400,
            "invalid-idempotency-key",
            "The Idempotency-Key is 8 to 200 printable ASCII characters.",
        )
    return key


def customer_id(request: Request) -> str:
    value = str(request.path_params["customer_id"])
    if not _ID.match(value):
        raise Problem(400, "invalid-customer-id", "The customer id is not a well-formed id.")
    return value


def breach_id(request: Request) -> str:
    value = str(request.path_params["breach_id"])
    if not _ID.match(value):
        raise Problem(404, "not-found", "There is no breach under this id.")
    return value


def limit_of(request: Request, default: int = 20) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise Problem(400, "invalid-query", "limit is a whole number from 1 to 100.")
    return int(raw)


def flag_of(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw not in {"true", "false"}:
        raise Problem(400, "invalid-query", f"{name} is true or false.")
    return raw == "true"


async def body_of(request: Request, model: type[M]) -> M:
    """The JSON body as ``model``: 415 for another media type, 413 past ``MAX_BODY``, 400 if
    it is not JSON, 422 naming each field that does not fit (never its value)."""
    media = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media != "application/json":
        raise Problem(415, "unsupported-media-type", "The body is application/json.")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise Problem(413, "body-too-large", f"The body is at most {MAX_BODY} bytes.")
    try:
        return model.model_validate_json(bytes(raw))
    except ValidationError as error:
        found = error.errors(include_input=False, include_context=False, include_url=False)
        if any(item["type"] == "json_invalid" for item in found):
            raise Problem(400, "malformed-json", "The body is not well-formed JSON.") from None
        errors = [
            {"location": _location(item["loc"]), "kind": item["type"], "message": item["msg"]}
            for item in found
        ]
        fields = ", ".join(sorted({entry["location"] or "body" for entry in errors}))
        raise Problem(
            422, "invalid-body", f"The body does not fit its schema at: {fields}.", errors=errors
        ) from None


def _location(loc: tuple[int | str, ...]) -> str:
    # Field names come from our models; a key the sender invented is not repeated back.
    return ".".join(
        str(part) if isinstance(part, int) or str(part).isidentifier() else "<key>" for part in loc
    )


async def on_problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, Problem)
    return problem_response(error)


async def on_busy(request: Request, error: Exception) -> Response:
    """A store that does not answer, or a race lost three times: try again shortly."""
    log.warning("privacy.internal_api_unavailable", error=type(error).__name__)
    detail = "The service cannot answer now; try again shortly."
    return problem_response(Problem(503, "unavailable", detail, headers={"Retry-After": "1"}))


async def on_http_error(request: Request, error: Exception) -> Response:
    """The router's own refusals (no such path, another method) as problems."""
    assert isinstance(error, HTTPException)
    headers = dict(error.headers or {})
    if error.status_code == 405:
        detail = f"This resource answers {headers.get('Allow', '')} only."
        return problem_response(Problem(405, "method-not-allowed", detail, headers=headers))
    if error.status_code == 404:
        return problem_response(Problem(404, "not-found", "There is no such resource."))
    status = error.status_code
    return problem_response(Problem(status, "http-error", HTTPStatus(status).phrase))
