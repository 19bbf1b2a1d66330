"""The gateway's app: its consumers and what its relay publishes (``build``), and the FastAPI
app over it (``create_app``), whose lifespan starts and stops the service runtime."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator

import structlog
from allwan_contracts.topics import (
    CATALOGUE,
    CONSENT,
    CUSTOMERS,
    ORDERS,
    POLICIES,
    PRIVACY,
    topic_spec,
)
from allwan_runtime.server_spans import ServerSpans
from allwan_runtime.service import ServiceRuntime
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from faststream.specification import AsyncAPI

from allwan_gateway.bootstrap import Consumers, Gateway, bootstrap, describe, handlers
from allwan_gateway.entrypoints import errors, openapi
from allwan_gateway.entrypoints.admission import Admission
from allwan_gateway.entrypoints.limits import Limits
from allwan_gateway.entrypoints.middleware import Shield
from allwan_gateway.entrypoints.routes import ROUTERS
from allwan_gateway.entrypoints.schemas import responses
from allwan_gateway.handlers.intake import RECORDED
from allwan_gateway.settings import GatewaySettings

log = structlog.get_logger(__name__)


def register(runtime: ServiceRuntime, consumers: Consumers) -> None:
    """The three consumer groups, and the intake topics the relay publishes to (AsyncAPI)."""
    runtime.consume(
        "order-views",
        [ORDERS.name],
        consumers.order_views,
        "Orders' decisions into the order views.",
        # Each order's view is written once per version, by its id; a customer's list is
        # claimed by insert: decisions of different partitions are projected at once.
        concurrent_partitions=True,
    )
    runtime.consume(
        "views",
        [CONSENT.name, CUSTOMERS.name, POLICIES.name, CATALOGUE.name],
        consumers.views,
        "Consents, erasures, policy versions (PC1) and the catalogue into read models.",
    )
    runtime.consume(
        "privacy-views",
        [PRIVACY.name],
        consumers.privacy_views,
        "Privacy requests' lives (received, started, extended, completed...) into the "
        "privacy views.",
    )
    for topic in dict.fromkeys(event.topic for event in RECORDED):
        runtime.publishes(topic_spec(topic), [e for e in RECORDED if e.topic == topic])


def build(settings: GatewaySettings) -> tuple[Gateway, ServiceRuntime]:
    """The real gateway and its runtime, every consumer registered; nothing started."""
    runtime = ServiceRuntime(settings)
    gateway = bootstrap(runtime, settings)
    register(runtime, handlers(gateway))
    # A decision on a partition this process holds is projected here and wakes its waiter.
    gateway.decisions.projected_here = functools.partial(
        runtime.holdings["order-views"].holds, runtime.topic(ORDERS.name)
    )
    return gateway, runtime


def asyncapi(runtime: ServiceRuntime) -> AsyncAPI:
    """The AsyncAPI document of the gateway's consumers and of what its relay publishes.

    Printed by ``allwan-gateway asyncapi``, not served: the gateway's HTTP surface is the
    public API, whose every route the OpenAPI document states (and whose CSP would not let
    the AsyncAPI page load its viewer).
    """
    return AsyncAPI(
        runtime.broker,
        title="allwan gateway",
        version="1.0.0",
        description="Intake events the gateway records, and the events its read models follow.",
    )


def create_app(gateway: Gateway) -> FastAPI:
    """The app over ``gateway``'s parts (real ones from ``build``, in-memory ones in tests)."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with gateway.lifespan():
            log.info("gateway.started", **describe(gateway))
            yield

    settings = gateway.settings
    app = FastAPI(
        title="allwan gateway",
        version="1.0.0",
        description=openapi.DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # FastAPI's own spans carry the raw path and query, its logs exception messages
        # (C2, C3): the request's span is ``allwan_runtime.server_spans.ServerSpans``'s, by
        # route template.
        telemetry={"tracing": False, "logs": False},
    )
    app.state.gateway = gateway
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/health/live", tags=["health"])
    async def live() -> responses.Live:
        """Answers while the event loop runs."""
        return responses.Live(status="live")

    @app.get(
        "/health/ready",
        tags=["health"],
        responses={503: {"model": responses.Ready, "description": "A dependency is down."}},
    )
    async def ready() -> JSONResponse:
        """MongoDB, Kafka and every consumer (``allwan_runtime.health``)."""
        checks = await gateway.health.readiness()
        ok = all(result == "ok" for result in checks.values())
        body = responses.Ready(status="ready" if ok else "not ready", checks=checks)
        return JSONResponse(body.model_dump(), status_code=200 if ok else 503)

    app.openapi = lambda: openapi.document(app)  # type: ignore[method-assign]
    app.add_middleware(
        Limits,
        buckets=gateway.limits,
        max_body_bytes=settings.max_body_bytes,
        decision_wait_s=settings.decision_wait_s,
    )
    app.add_middleware(
        Admission, slots=settings.max_in_flight, max_wait_s=settings.admission_wait_s
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-API-Key"],
            expose_headers=["Content-Disposition", "Location", "Retry-After", "Server-Timing"],
            max_age=600,
        )
    app.add_middleware(Shield)
    app.add_middleware(ServerSpans, tracer_name="allwan.gateway")
    return app


def build_app(settings: GatewaySettings | None = None) -> FastAPI:
    """The app ``allwan-gateway serve`` runs, over the real adapters."""
    gateway, _ = build(settings or GatewaySettings())
    return create_app(gateway)
