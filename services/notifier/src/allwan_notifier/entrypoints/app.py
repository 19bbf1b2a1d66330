"""The notifier's app: its consumers, the fan-out worker, health, the ledger and ``/asyncapi``."""

from __future__ import annotations

from allwan_contracts import CorrectionApplied, CustomerDataExported, ErasureConfirmed
from allwan_contracts.disclosures import DataDisclosed
from allwan_contracts.topics import (
    BREACH_NOTICES,
    CONSENT,
    CUSTOMERS,
    DISCLOSURES,
    ORDERS,
    POLICIES,
    PRIVACY,
    PRIVACY_REPLIES,
    RETENTION,
)
from allwan_runtime.service import ServiceRuntime
from faststream.asgi import AsgiFastStream
from faststream.specification import AsyncAPI

from allwan_notifier.bootstrap import NotifierService, bootstrap
from allwan_notifier.entrypoints.ledger_api import ledger_routes
from allwan_notifier.settings import NotifierSettings


def register_consumers(runtime: ServiceRuntime, service: NotifierService) -> None:
    """One group per concern: an SMTP outage holds up mail, never the address book nor an
    answer to a privacy request. Each group's AsyncAPI entry lists the schemas of the events
    its registry handles; the relay publishes the answers and the disclosures."""
    runtime.consume(
        "book",
        [ORDERS.name, CUSTOMERS.name, CONSENT.name],
        service.book_handlers,
        "Address book (sealed email, language), consents to marketing, erasures.",
    )
    runtime.consume(
        "policies",
        [POLICIES.name],
        service.policy_handlers,
        "PC2: a material policy change schedules its notice to every customer; CT1 contacts.",
    )
    runtime.consume(
        "mail",
        [
            ORDERS.name,
            CUSTOMERS.name,
            CONSENT.name,
            PRIVACY.name,
            BREACH_NOTICES.name,
            RETENTION.name,
        ],
        service.mail_handlers,
        "Transactional mail: receipts, activations, withdrawal confirmations (K3), each step "
        "of a privacy request (PDPL), breach notices (S2) and retention notices (PDPL); an "
        "order or a contact change sends the privacy emails that waited for its address.",
    )
    runtime.consume(
        "privacy",
        [PRIVACY.name],
        service.privacy_handlers,
        "PDPL access: the customer's emails (kind, time, outcome), sealed, as an export part.",
    )
    runtime.publishes(PRIVACY_REPLIES, [CustomerDataExported, CorrectionApplied, ErasureConfirmed])
    # P2, D3: every email the SMTP provider accepted, for the privacy service's ledger.
    runtime.publishes(DISCLOSURES, [DataDisclosed])


def build(settings: NotifierSettings) -> tuple[ServiceRuntime, NotifierService]:
    """The runtime with every consumer registered, and the bound service. The relay publishes
    the notifier's answers to privacy requests and its disclosures from its event store."""
    runtime = ServiceRuntime(settings)
    service = bootstrap(runtime, settings)
    register_consumers(runtime, service)
    return runtime, service


def create_app(settings: NotifierSettings | None = None) -> AsgiFastStream:
    """The ASGI app ``allwan-notifier serve`` runs."""
    runtime, service = build(settings or NotifierSettings())
    app = runtime.asgi_app(extra_routes=ledger_routes(service.queries))
    if isinstance(app.schema, AsyncAPI):
        app.schema.title = "allwan notifier"
        app.schema.description = (
            "Policy-change, transactional, privacy-request, breach, retention and marketing "
            "email (PC2, K2, K3, S2, PDPL); the notifier's answers to privacy requests and its "
            "disclosures to the SMTP provider (P2, D3)."
        )
    # After the runtime's start (storage ready), before the consumers join their groups: a
    # restarted notifier resumes an interrupted fan-out without waiting for Kafka.
    app.on_startup(service.start)
    app.on_shutdown(service.stop)
    app.after_shutdown(service.close)
    return app
