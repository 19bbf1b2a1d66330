"""The privacy service's app: its consumers, what its relay publishes, the export route, the
internal accountability API, health routes and ``/asyncapi``."""

from __future__ import annotations

from typing import Literal

from allwan_contracts.breaches import BREACH_EVENTS, BreachNoticeRequested
from allwan_contracts.disclosures import DataDisclosed
from allwan_contracts.intake import ErasureRequested
from allwan_contracts.privacy import (
    PRIVACY_REQUEST_EVENTS,
)
from allwan_contracts.retention import RETENTION_EVENTS
from allwan_contracts.topics import (
    BREACH_NOTICES,
    BREACHES,
    CONSENT_INTAKE,
    CUSTOMERS,
    DISCLOSURES,
    ORDERS,
    PRIVACY,
    PRIVACY_INTAKE,
    PRIVACY_REPLIES,
    RETENTION,
)
from allwan_runtime.service import ServiceRuntime
from faststream.asgi import AsgiFastStream
from faststream.specification import AsyncAPI

from allwan_privacy.bootstrap import PrivacyService, bootstrap
from allwan_privacy.entrypoints import accountability_api
from allwan_privacy.entrypoints.exports_api import PREFIX, ASGIApp, Receive, Scope, Send
from allwan_privacy.entrypoints.exports_api import export_route as make_export_route
from allwan_privacy.handlers.exporting import Download, download
from allwan_privacy.settings import PrivacySettings


def register_consumers(runtime: ServiceRuntime, service: PrivacyService) -> None:
    """One consumer group per concern, so that a flood of answers never holds up new
    requests; and what the outbox relay publishes, for ``/asyncapi``."""
    consumers = service.consumers
    runtime.consume(
        "intake",
        [PRIVACY_INTAKE.name],
        consumers.intake,
        "Privacy requests recorded by the gateway (web, staff) and the consent service "
        "(WhatsApp): submissions, confirmations, cancellations, extensions, denials.",
    )
    runtime.consume(
        "replies",
        [PRIVACY_REPLIES.name],
        consumers.replies,
        "Each holding service's answer: export parts, corrections applied, erasures confirmed.",
    )
    runtime.consume(
        "read-models",
        [PRIVACY.name],
        consumers.read_models,
        "This service's own events into its read model of requests.",
    )
    runtime.publishes(PRIVACY, PRIVACY_REQUEST_EVENTS)
    runtime.consume(
        "activity",
        [ORDERS.name, CUSTOMERS.name],
        service.retention_job.consumer,
        "Customers' activity for the retention schedule: each order's phase (orders service) "
        "and who is erased (consent service); ids and instants only.",
    )
    runtime.publishes(RETENTION, RETENTION_EVENTS)
    runtime.publishes(CONSENT_INTAKE, [ErasureRequested])
    register_accountability(runtime, service)


def register_accountability(runtime: ServiceRuntime, service: PrivacyService) -> None:
    """The disclosure ledger and the breach register: their consumers, and what the relay
    publishes for them (legal disclosures, breaches, one notice per affected customer)."""
    registers = service.registers
    runtime.consume(
        "disclosures",
        [DISCLOSURES.name],
        registers.disclosures,
        "Every disclosure of a customer's data to a recipient (D1-D3), into the ledger.",
    )
    runtime.consume(
        "breach-views",
        [BREACHES.name],
        registers.breach_views,
        "This service's own breach events into the register's read model.",
    )
    runtime.publishes(DISCLOSURES, [DataDisclosed])
    runtime.publishes(BREACHES, BREACH_EVENTS)
    runtime.publishes(BREACH_NOTICES, [BreachNoticeRequested])


def build(settings: PrivacySettings) -> tuple[ServiceRuntime, PrivacyService]:
    """The runtime with every consumer registered, and the service."""
    runtime = ServiceRuntime(settings)
    service = bootstrap(runtime, settings)
    register_consumers(runtime, service)
    return runtime, service


def export_route(service: PrivacyService) -> ASGIApp:
    """``GET /exports/{request_id}`` on the service's handlers' dependencies."""

    async def fetch(request_id: str, customer_id: str, form: Literal["json", "html"]) -> Download:
        return await download(request_id, customer_id, form, service.deps)

    return make_export_route(fetch)


def internal_api(service: PrivacyService) -> ASGIApp:
    """The internal accountability API (``/internal/...``) on the service's registers."""
    registers = service.registers
    return accountability_api.accountability_api(
        accountability_api.Accountability(
            ledger=registers.ledger,
            breaches=registers.breaches,
            retention=service.retention,
            records_file=service.settings.records_of_processing_file,
        )
    )


def serve_under(app: AsgiFastStream, prefix: str, route: ASGIApp) -> None:
    """Serve every path under ``prefix`` with ``route``.

    FastStream's ASGI routes match whole paths only, and the export's path carries the
    request's id: paths FastStream does not route go to its ``not_found``, which answers
    those under ``prefix`` here and leaves the rest to FastStream's own 404.
    """
    not_found = app.not_found

    async def routed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(prefix):
            await route(scope, receive, send)
            return
        await not_found(scope, receive, send)

    app.not_found = routed  # type: ignore[method-assign]


def create_app(settings: PrivacySettings | None = None) -> AsgiFastStream:
    """The ASGI app ``allwan-privacy serve`` runs."""
    runtime, service = build(settings or PrivacySettings())
    app = runtime.asgi_app()
    serve_under(app, PREFIX, export_route(service))
    serve_under(app, accountability_api.PREFIX, internal_api(service))
    if isinstance(app.schema, AsyncAPI):
        app.schema.title = "allwan privacy"
        app.schema.description = (
            "Privacy requests (PDPL): access, correction and erasure against the 30-day clock."
        )
    app.on_startup(service.start)  # after the runtime's own start (storage ready), before consumers
    app.on_shutdown(service.stop)
    return app
