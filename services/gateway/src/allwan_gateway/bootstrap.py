"""Builds the gateway's parts: real adapters here, fakes in the unit tests (``assemble``)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from allwan_contracts import (
    ConsentGranted,
    ConsentReconfirmationRequired,
    ConsentWithdrawn,
    PolicyChanged,
    PolicyDocumentPublished,
)
from allwan_contracts.topics import CATALOGUE, CONSENT, CUSTOMERS, ORDERS, POLICIES
from allwan_runtime.dispatch import Handler
from allwan_runtime.guards import only_from
from allwan_runtime.health import Health
from allwan_runtime.service import ServiceRuntime

from allwan_gateway.adapters.audit import AuditLog
from allwan_gateway.adapters.decisions import Decisions
from allwan_gateway.adapters.documents import MongoDocuments
from allwan_gateway.adapters.notifier import NotifierLedger
from allwan_gateway.domain.auth import Tokens
from allwan_gateway.domain.ratelimit import TokenBuckets
from allwan_gateway.handlers.intake import IntakeDeps
from allwan_gateway.handlers.ports import Documents, EventLog, Sealer
from allwan_gateway.handlers.queries import Queries
from allwan_gateway.handlers.views import CustomerOrders, Projector
from allwan_gateway.settings import GatewaySettings

ORDER_EVENTS = (
    "OrderPlaced",
    "OrderRejected",
    "OrderPaid",
    "SubscriptionActivated",
    "OrderCancelled",
    "OrderRefunded",
    "OrderExpired",
)
Lifespan = Callable[[], contextlib.AbstractAsyncContextManager[None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


@contextlib.asynccontextmanager
async def _nothing() -> AsyncIterator[None]:
    yield


@dataclass
class Gateway:
    """Everything the HTTP layer needs, built once per process."""

    settings: GatewaySettings
    intake: IntakeDeps
    queries: Queries
    projector: Projector
    decisions: Decisions
    audit: AuditLog
    notifier: NotifierLedger
    tokens: Tokens
    limits: TokenBuckets
    health: Health
    clock: Callable[[], datetime] = utc_now
    lifespan: Lifespan = field(default=_nothing)


def assemble(
    settings: GatewaySettings,
    *,
    store: EventLog,
    keys: Sealer,
    documents: Documents,
    notifier: NotifierLedger,
    health: Health | None = None,
    clock: Callable[[], datetime] = utc_now,
    lifespan: Lifespan = _nothing,
) -> Gateway:
    """The gateway over the given adapters."""
    decisions = Decisions()
    customer_orders = CustomerOrders(documents)
    return Gateway(
        settings=settings,
        intake=IntakeDeps(
            store=store,
            keys=keys,
            documents=documents,
            customer_orders=customer_orders,
            producer=settings.service_name,
            fingerprint_key=settings.ip_hash_key.get_secret_value().encode(),
            clock=clock,
        ),
        queries=Queries(documents, customer_orders),
        projector=Projector(documents, customer_orders, on_order=decisions.notify),
        decisions=decisions,
        audit=AuditLog(documents, clock),
        notifier=notifier,
        tokens=Tokens(
            secret=settings.gateway_jwt_secret.get_secret_value(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl=timedelta(seconds=settings.customer_token_ttl_s),
        ),
        limits=TokenBuckets(rate=settings.rate_limit_per_s, burst=settings.rate_limit_burst),
        health=health or Health(),
        clock=clock,
        lifespan=lifespan,
    )


def projection_handlers(gateway: Gateway) -> tuple[dict[str, Handler], dict[str, Handler]]:
    """(orders consumer, everything-else consumer): each event obeyed only from its owner."""
    orders, consent = gateway.settings.orders_producer, gateway.settings.consent_producer
    projector = gateway.projector
    order_views: dict[str, Handler] = {
        event_type: only_from([orders], projector.order) for event_type in ORDER_EVENTS
    }
    views: dict[str, Handler] = {
        event.event_type: only_from([consent], projector.consent)
        for event in (ConsentGranted, ConsentWithdrawn, ConsentReconfirmationRequired)
    }
    views["CustomerErased"] = only_from([consent], projector.consent)
    views["PolicyDocumentPublished"] = only_from([consent], projector.policy)
    views["PolicyChanged"] = only_from([consent], projector.policy)
    views["CatalogueUpdated"] = only_from([orders], projector.catalogue)
    assert {PolicyChanged.event_type, PolicyDocumentPublished.event_type} <= views.keys()
    return order_views, views


def build(settings: GatewaySettings) -> tuple[Gateway, ServiceRuntime]:
    """The real gateway: its event store and read models in MongoDB, its relay and
    consumers on Kafka, a key store that seals and opens nothing (C4: no purpose)."""
    runtime = ServiceRuntime(settings)

    @contextlib.asynccontextmanager
    async def running() -> AsyncIterator[None]:
        async with runtime.running():
            yield

    gateway = assemble(
        settings,
        store=runtime.store,
        keys=runtime.keystore(()),
        documents=MongoDocuments(runtime.db),
        notifier=NotifierLedger(settings.notifier_url),
        health=runtime.health,
        lifespan=running,
    )
    order_views, views = projection_handlers(gateway)
    runtime.consume(
        "order-views", [ORDERS.name], order_views, "Orders' decisions into the order views."
    )
    runtime.consume(
        "views",
        [CONSENT.name, CUSTOMERS.name, POLICIES.name, CATALOGUE.name],
        views,
        "Consents, erasures, policy versions (PC1) and the catalogue into read models.",
    )
    return gateway, runtime


def describe(gateway: Gateway) -> dict[str, Any]:
    """Non-secret facts about the configuration, for the start-up log."""
    settings = gateway.settings
    return {
        "decision_wait_s": settings.decision_wait_s,
        "rate_limit_per_s": settings.rate_limit_per_s,
        "max_body_bytes": settings.max_body_bytes,
        "notifier": bool(settings.notifier_url),
    }
