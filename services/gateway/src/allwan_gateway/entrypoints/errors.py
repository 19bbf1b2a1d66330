"""Every error as ``application/problem+json`` (RFC 9457): the framework's and ours."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from allwan_gateway.domain.problems import (
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


def _location(loc: tuple[Any, ...]) -> str:
    # Field names come from our models; a key the client invented is not echoed.
    return ".".join(
        str(part) if isinstance(part, int) or str(part).isidentifier() else "<key>" for part in loc
    )


async def _on_problem(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ProblemError)
    return problem_response(error, request.url.path)


async def _on_http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    problem = problem_for_status(error.status_code)
    problem.headers = dict(error.headers or {})
    return problem_response(problem, request.url.path)


async def _on_invalid(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"location": _location(tuple(item.get("loc", ()))), "kind": str(item.get("type"))}
        for item in error.errors()
    ]
    return problem_response(validation_failed(errors), request.url.path)


def install(app: FastAPI) -> None:
    """Problem handlers for our refusals, HTTP errors (404, 405...) and invalid requests.
    Unexpected exceptions become a 500 problem in ``middleware.Shield``."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_invalid)
