"""The consent service's app: its consumers, what its relay publishes, health routes and
``/asyncapi``."""

from __future__ import annotations

from allwan_contracts import (
    ConsentGranted,
    ConsentReconfirmationRequired,
    ConsentWithdrawn,
    CorrectionApplied,
    CustomerDataExported,
    CustomerErased,
    ErasureConfirmed,
    PolicyChanged,
    PolicyDocumentPublished,
    PrivacyRequestConfirmed,
    PrivacyRequestSubmitted,
)
from allwan_contracts.topics import (
    CONSENT,
    CONSENT_INTAKE,
    CUSTOMERS,
    ORDERS,
    POLICIES,
    POLICY_INTAKE,
    PRIVACY,
    PRIVACY_INTAKE,
    PRIVACY_REPLIES,
    WEBHOOKS,
)
from allwan_runtime.service import ServiceRuntime
from faststream.asgi import AsgiFastStream

from allwan_consent.bootstrap import ConsentService, bootstrap
from allwan_consent.settings import ConsentSettings


def register_consumers(runtime: ServiceRuntime, service: ConsentService) -> None:
    """One consumer group per concern, so a slow one never holds up another; and what the
    outbox relay publishes, for ``/asyncapi``."""
    consumers = service.consumers
    runtime.consume(
        "intake",
        [CONSENT_INTAKE.name, POLICY_INTAKE.name],
        consumers.intake,
        "Consent changes, erasure requests and policy versions recorded by the gateway.",
    )
    runtime.consume(
        "orders", [ORDERS.name], consumers.orders, "K1/K2: purchases imply order processing only."
    )
    runtime.consume(
        "whatsapp",
        [WEBHOOKS.name],
        consumers.whatsapp,
        "K3: opt-outs sent on WhatsApp; PDPL: privacy requests sent on WhatsApp.",
    )
    runtime.consume(
        "read-models",
        [CONSENT.name, CUSTOMERS.name, POLICIES.name],
        consumers.read_models,
        "This service's own events into its read models.",
    )
    runtime.consume(
        "reconfirmation",
        [POLICIES.name],
        consumers.reconfirmation,
        "PC1: material policy changes suspend older secondary consents.",
    )
    runtime.consume(
        "privacy",
        [PRIVACY.name, CUSTOMERS.name],
        consumers.privacy,
        "PDPL: privacy requests started (access, erasure), contact corrections, erasures "
        "done; answered on allwan.privacy.replies.",
    )
    runtime.publishes(CONSENT, [ConsentGranted, ConsentWithdrawn, ConsentReconfirmationRequired])
    runtime.publishes(CUSTOMERS, [CustomerErased])
    runtime.publishes(POLICIES, [PolicyDocumentPublished, PolicyChanged])
    runtime.publishes(PRIVACY_INTAKE, [PrivacyRequestSubmitted, PrivacyRequestConfirmed])
    runtime.publishes(PRIVACY_REPLIES, [CustomerDataExported, CorrectionApplied, ErasureConfirmed])


def build(settings: ConsentSettings) -> tuple[ServiceRuntime, ConsentService]:
    """The runtime with every consumer registered, and the service."""
    runtime = ServiceRuntime(settings)
    service = bootstrap(runtime, settings)
    register_consumers(runtime, service)
    return runtime, service


def create_app(settings: ConsentSettings | None = None) -> AsgiFastStream:
    """The ASGI app ``allwan-consent serve`` runs."""
    runtime, service = build(settings or ConsentSettings())
    app = runtime.asgi_app()
    app.on_startup(service.prepare)  # after the runtime's own start: storage is ready
    return app
