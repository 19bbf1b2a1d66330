"""The gateway as a FastAPI app; its lifespan starts and stops the service runtime (the relay
that publishes intake events and the consumers that build the read models)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from allwan_gateway.bootstrap import Gateway, build, describe
from allwan_gateway.domain.problems import PROBLEM_JSON
from allwan_gateway.entrypoints import errors, schemas, staff, storefront, webhooks
from allwan_gateway.entrypoints.middleware import Limits, ServerSpans, Shield
from allwan_gateway.settings import GatewaySettings

log = structlog.get_logger(__name__)
ERROR_STATUSES = {
    "400": "Malformed request (JSON, headers)",
    "401": "Missing or invalid credentials (S1)",
    "403": "Not allowed for these credentials (S1)",
    "404": "Not found",
    "409": "Conflicts with an earlier request, or with the resource's state",
    "413": "Body larger than {max_body_bytes} bytes",
    "415": "Body is not JSON",
    "422": "Refused: invalid, card data (C3), operator keys, or refused by the deciding service",
    "429": "Rate limited (S1)",
    "500": "Unexpected failure (no details are given)",
    "503": "A dependency (database, notifier) is not available; retry after Retry-After",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 1},
    }
}
ERROR_HEADERS: dict[str, dict[str, Any]] = {
    "401": {
        "WWW-Authenticate": {"description": "The scheme to use.", "schema": {"type": "string"}}
    },
    "429": _RETRY_AFTER,
    "503": _RETRY_AFTER,
}
DESCRIPTION = """\
The public HTTP API of ALLWANSTORES: the storefront (catalogue, orders, consents, cookies,
the privacy policy), staff (policy versions, consent proof, withdrawals by email or phone,
the notification ledger) and signed webhooks (Salla, WhatsApp).

Requests enter as events: the gateway records them and the owning service decides, so
commands answer `202 Accepted` with a status URL, or the decision itself when it arrives
within a short bound. Every error is `application/problem+json` (RFC 9457). Card data is
refused everywhere (C3); personal fields are sealed before they are stored (T2).
"""


def _without_null(parameter: dict[str, Any]) -> None:
    """An optional header or query parameter is absent or a string, never JSON's null: FastAPI
    writes ``X | None`` as ``anyOf: [X, null]``, which says the server takes a value it
    cannot even receive. The non-null branch is the parameter's schema."""
    schema = parameter.get("schema", {})
    branches = schema.get("anyOf", [])
    kept = [branch for branch in branches if branch != {"type": "null"}]
    if len(kept) == 1 and len(branches) == 2:
        del schema["anyOf"]
        schema.update(kept[0])


def _document_errors(app: FastAPI) -> dict[str, Any]:
    """OpenAPI 3.1 with every operation's problem answers (and the headers they carry)
    documented, and parameters as the server reads them."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = FastAPI.openapi(app)
    max_body_bytes = app.state.gateway.settings.max_body_bytes
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = schemas.Problem.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                _without_null(parameter)
            answers = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                if path.startswith("/health/") and status != "500":
                    continue
                answers[status] = {
                    "description": description.format(max_body_bytes=max_body_bytes),
                    "content": problem,
                }
                if status in ERROR_HEADERS:
                    answers[status]["headers"] = ERROR_HEADERS[status]
    app.openapi_schema = schema
    return schema


def create_app(gateway: Gateway) -> FastAPI:
    """The app over ``gateway``'s parts (real ones from ``build``, fakes in unit tests)."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with gateway.lifespan():
            log.info("gateway.started", **describe(gateway))
            yield

    settings = gateway.settings
    app = FastAPI(
        title="allwan gateway",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # FastAPI's own spans carry the raw path and query, its logs exception messages
        # (C2, C3): the request's span is ``middleware.ServerSpans``'s, by route template.
        telemetry={"tracing": False, "logs": False},
    )
    app.state.gateway = gateway
    errors.install(app)
    app.include_router(storefront.router)
    app.include_router(staff.router)
    app.include_router(webhooks.router)

    @app.get("/health/live", tags=["health"])
    async def live() -> schemas.Live:
        """Answers while the event loop runs."""
        return schemas.Live(status="live")

    @app.get(
        "/health/ready",
        tags=["health"],
        responses={503: {"model": schemas.Ready, "description": "A dependency is down."}},
    )
    async def ready() -> JSONResponse:
        """MongoDB, Kafka and every consumer (``allwan_runtime.health``)."""
        checks = await gateway.health.readiness()
        ok = all(result == "ok" for result in checks.values())
        body = schemas.Ready(status="ready" if ok else "not ready", checks=checks)
        return JSONResponse(body.model_dump(), status_code=200 if ok else 503)

    app.openapi = lambda: _document_errors(app)  # type: ignore[method-assign]
    app.add_middleware(
        Limits,
        buckets=gateway.limits,
        max_body_bytes=settings.max_body_bytes,
        decision_wait_s=settings.decision_wait_s,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-API-Key"],
            expose_headers=["Location", "Retry-After", "Server-Timing"],
            max_age=600,
        )
    app.add_middleware(Shield)
    app.add_middleware(ServerSpans)
    return app


def build_app(settings: GatewaySettings | None = None) -> FastAPI:
    """The app ``allwan-gateway serve`` runs, over the real adapters."""
    gateway, _ = build(settings or GatewaySettings())
    return create_app(gateway)
