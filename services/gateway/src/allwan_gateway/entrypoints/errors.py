"""Every error as ``application/problem+json`` (RFC 9457): the framework's and ours."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from allwan_gateway.entrypoints.schemas.problems import (
    PROBLEM_JSON,
    ProblemError,
    problem_for_status,
    validation_failed,
)


def problem_response(problem: ProblemError, instance: str) -> JSONResponse:
    return JSONResponse(
        problem.body(instance),
        status_code=problem.status,
        headers=dict(problem.headers),
        media_type=PROBLEM_JSON,
    )


_PARAMETERS = frozenset({"header", "query", "path", "cookie"})


def location(loc: tuple[Any, ...]) -> str:
    """Where a validation error is (``body.contact.name``, ``header.idempotency-key``), by
    our models' field names and our parameters' names: a key the client invented is not
    echoed."""
    declared = len(loc) >= 2 and loc[0] in _PARAMETERS  # only declared parameters are named
    return ".".join(
        str(part)
        if isinstance(part, int) or str(part).isidentifier() or (declared and index == 1)
        else "<key>"
        for index, part in enumerate(loc)
    )


async def _on_problem(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ProblemError)
    return problem_response(error, request.url.path)


_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


@lru_cache(maxsize=256)
def _template(path: str) -> re.Pattern[str]:
    # ``/v1/orders/{order_id}`` matches a request path whose segment stands for the id.
    literal = re.split(r"\{[^/]+?\}", path)
    return re.compile("[^/]+".join(re.escape(part) for part in literal))


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method the OpenAPI document gives the request's path. The router's own 405 names
    only the first route it tried, one method; RFC 9110 wants ``Allow`` to list them all,
    and a client reads them in the document."""
    methods = {
        method.upper()
        for template, operations in app.openapi()["paths"].items()
        if _template(template).fullmatch(path)
        for method in operations
        if method in _HTTP_METHODS
    }
    return sorted(methods)


async def _on_http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    headers = dict(error.headers or {})
    detail = None
    allowed = allowed_methods(request.app, request.url.path) if error.status_code == 405 else []
    if allowed:
        headers["Allow"] = ", ".join(allowed)
        detail = f"This resource answers {headers['Allow']} only."
    problem = problem_for_status(error.status_code, detail)
    problem.headers = headers
    return problem_response(problem, request.url.path)


async def _on_invalid(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"location": location(tuple(item.get("loc", ()))), "kind": str(item.get("type"))}
        for item in error.errors()
    ]
    return problem_response(validation_failed(errors), request.url.path)


def install(app: FastAPI) -> None:
    """Problem handlers for our refusals, HTTP errors (404, 405...) and invalid requests.
    Unexpected exceptions become a 500 problem in ``middleware.Shield``."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_invalid)
