"""The orders service as a FastStream ASGI app: consumers, relay, health, ``/asyncapi``."""

from __future__ import annotations

from allwan_contracts import CorrectionApplied, CustomerDataExported, ErasureConfirmed
from allwan_contracts.disclosures import DataDisclosed
from allwan_contracts.topics import (
    CATALOGUE,
    CUSTOMERS,
    DISCLOSURES,
    ORDER_INTAKE,
    ORDERS,
    POLICIES,
    PRIVACY,
    PRIVACY_REPLIES,
    WEBHOOKS,
)
from allwan_runtime.service import ServiceRuntime
from faststream.asgi import AsgiFastStream
from faststream.specification import AsyncAPI

from allwan_orders.bootstrap import (
    OrdersService,
    bootstrap,
    intake_handlers,
    privacy_handlers,
    view_handlers,
)
from allwan_orders.domain.customer import CustomerContactRecord
from allwan_orders.domain.order import Order
from allwan_orders.domain.published_catalogue import PublishedCatalogue
from allwan_orders.settings import OrdersSettings


def build_service(settings: OrdersSettings) -> tuple[ServiceRuntime, OrdersService]:
    """The runtime with the orders consumers registered, and the service's parts."""
    runtime = ServiceRuntime(settings)
    service = bootstrap(runtime, settings)
    runtime.consume(
        "intake",
        [ORDER_INTAKE.name, WEBHOOKS.name],
        intake_handlers(service),
        description="Order requests and Salla webhooks the gateway recorded; orders decides.",
        # Each decision loads, decides and saves one order's stream (a lost race is run again
        # on a fresh load): orders of different partitions are decided at once.
        concurrent_partitions=True,
    )
    runtime.consume(
        "views",
        [ORDERS.name, CUSTOMERS.name, POLICIES.name],
        view_handlers(service),
        description="Read models: orders, customers (sealed), the policy version in force.",
    )
    runtime.consume(
        "privacy",
        [PRIVACY.name],
        privacy_handlers(service),
        description="Privacy requests started (PDPL): orders' export part, contact corrections.",
    )
    runtime.publishes(ORDERS, Order.event_classes)
    runtime.publishes(CUSTOMERS, CustomerContactRecord.event_classes)
    runtime.publishes(CATALOGUE, PublishedCatalogue.event_classes)
    runtime.publishes(PRIVACY_REPLIES, [CustomerDataExported, CorrectionApplied, ErasureConfirmed])
    runtime.publishes(DISCLOSURES, [DataDisclosed])
    return runtime, service


def build_app(settings: OrdersSettings | None = None) -> AsgiFastStream:
    """The ASGI app ``allwan-orders serve`` runs."""
    runtime, service = build_service(settings or OrdersSettings())
    app = runtime.asgi_app()
    if isinstance(app.schema, AsyncAPI):
        app.schema.title = "allwan orders"
        app.schema.description = "Orders of digital subscriptions, event-sourced (T1, T2, C3)."
    app.after_startup(service.start)
    app.on_shutdown(service.stop)
    return app
