"""Builds the gateway's parts: its adapters (real ones over a ``ServiceRuntime`` here, the
unit tests' in-memory ones through ``assemble``), the intake's dependencies, and the
handlers of its three consumers, by event class (``handlers``). ``entrypoints/app.py``
registers those consumers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from allwan_contracts import ORDER_EVENTS, CatalogueUpdated
from allwan_contracts.privacy import (
    PRIVACY_REQUEST_EVENTS,
)
from allwan_runtime.eventstore import Streams
from allwan_runtime.handlers import Handlers
from allwan_runtime.health import Health
from allwan_runtime.recorder import EventRecorder
from allwan_runtime.service import ServiceRuntime

from allwan_gateway.adapters.audit import AuditLog
from allwan_gateway.adapters.decisions import Decisions
from allwan_gateway.adapters.documents import MongoDocuments
from allwan_gateway.adapters.notifier import NotifierLedger
from allwan_gateway.adapters.order_views import (
    CustomerOrders,
    OrderViews,
    project_order,
)
from allwan_gateway.adapters.privacy_api import PrivacyApi
from allwan_gateway.adapters.privacy_views import PrivacyViews, project_privacy_request
from allwan_gateway.adapters.queries import Queries
from allwan_gateway.adapters.views import (
    CONSENT_EVENTS,
    POLICY_EVENTS,
    project_catalogue,
    project_consent,
    project_policy,
)
from allwan_gateway.domain.auth import Tokens
from allwan_gateway.domain.ratelimit import TokenBuckets
from allwan_gateway.domain.staff_sign_in import SignInThrottle, StaffDirectory
from allwan_gateway.handlers.ports import Documents, IntakeDeps, Sealer
from allwan_gateway.settings import GatewaySettings

Lifespan = Callable[[], contextlib.AbstractAsyncContextManager[None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


@contextlib.asynccontextmanager
async def _nothing() -> AsyncIterator[None]:
    yield


@dataclass
class Gateway:
    """Everything the HTTP layer and the consumers need, built once per process."""

    settings: GatewaySettings
    intake: IntakeDeps
    queries: Queries
    documents: Documents
    orders: OrderViews
    privacy: PrivacyViews
    decisions: Decisions
    audit: AuditLog
    notifier: NotifierLedger
    privacy_api: PrivacyApi
    """The privacy service over HTTP: exports and accountability."""
    tokens: Tokens
    limits: TokenBuckets
    health: Health
    staff: StaffDirectory = field(default_factory=StaffDirectory)
    """Who signs in to the staff API as themselves (``ALLWAN_STAFF_ACCOUNTS``)."""
    sign_ins: SignInThrottle = field(default_factory=SignInThrottle)
    clock: Callable[[], datetime] = utc_now
    lifespan: Lifespan = field(default=_nothing)


@dataclass(frozen=True)
class Consumers:
    """The gateway's consumers, each event obeyed only from its owner."""

    order_views: Handlers[OrderViews]
    """Orders' decisions, on their own so that the one a storefront waits for is not queued
    behind anything else."""
    views: Handlers[Documents]
    """Consents, erasures, policy versions (PC1) and the catalogue."""
    privacy_views: Handlers[PrivacyViews]
    """Privacy requests' lives, from the privacy service."""


def assemble(
    settings: GatewaySettings,
    *,
    store: Streams,
    keys: Sealer,
    documents: Documents,
    notifier: NotifierLedger,
    privacy_api: PrivacyApi | None = None,
    health: Health | None = None,
    clock: Callable[[], datetime] = utc_now,
    lifespan: Lifespan = _nothing,
) -> Gateway:
    """The gateway over the given adapters."""
    decisions = Decisions()
    customer_orders = CustomerOrders(documents)
    orders = OrderViews(documents, customer_orders, on_order=decisions.notify)
    privacy = PrivacyViews.over(documents)
    return Gateway(
        settings=settings,
        intake=IntakeDeps(
            store=store,
            recorder=EventRecorder(store, settings.service_name),
            keys=keys,
            pending=orders,
            privacy=privacy,
            fingerprint_key=settings.ip_hash_key.get_secret_value().encode(),
            clock=clock,
        ),
        queries=Queries(documents, customer_orders),
        documents=documents,
        orders=orders,
        privacy=privacy,
        decisions=decisions,
        audit=AuditLog(documents, clock),
        notifier=notifier,
        privacy_api=privacy_api or PrivacyApi(None),
        tokens=Tokens(
            secret=settings.gateway_jwt_secret.get_secret_value(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl=timedelta(seconds=settings.customer_token_ttl_s),
        ),
        limits=TokenBuckets(rate=settings.rate_limit_per_s, burst=settings.rate_limit_burst),
        health=health or Health(),
        staff=staff_directory(settings),
        clock=clock,
        lifespan=lifespan,
    )


def staff_directory(settings: GatewaySettings) -> StaffDirectory:
    """The staff accounts of the settings, as the sign-in checks them."""
    accounts = settings.staff_accounts.get_secret_value()
    return StaffDirectory(
        {
            staff_id: (account.name, account.password_hash.get_secret_value())
            for staff_id, account in accounts.items()
        }
    )


def handlers(gateway: Gateway) -> Consumers:
    """The read models' handlers by event class: orders' events and the catalogue obeyed
    from orders, consents, erasures and policies from consent, privacy requests from
    privacy."""
    settings = gateway.settings
    orders, consent = [settings.orders_producer], [settings.consent_producer]
    order_views = Handlers(gateway.orders, producers=orders)
    order_views.on_each(ORDER_EVENTS, project_order)
    views = Handlers(gateway.documents, producers=consent)
    views.on_each(CONSENT_EVENTS, project_consent)
    views.on_each(POLICY_EVENTS, project_policy)
    views.on(CatalogueUpdated, project_catalogue, producers=orders)
    privacy_views = Handlers(gateway.privacy, producers=[settings.privacy_producer])
    privacy_views.on_each(PRIVACY_REQUEST_EVENTS, project_privacy_request)
    return Consumers(order_views, views, privacy_views)


def bootstrap(runtime: ServiceRuntime, settings: GatewaySettings) -> Gateway:
    """The real gateway over ``runtime``: its event store and read models in MongoDB, a key
    store that seals and opens nothing (C4: no purpose), the notifier's ledger and the
    privacy service's API over HTTP.
    Its lifespan runs the relay and the consumers, once the master keys are found, and
    closes the privacy service's connections at the end."""
    keys = runtime.keystore(())
    privacy_api = PrivacyApi(settings.privacy_url, timeout_s=settings.privacy_timeout_s)

    @contextlib.asynccontextmanager
    async def running() -> AsyncIterator[None]:
        keys.check()  # no master keys, no start: not the first request that seals
        try:
            async with runtime.running():
                yield
        finally:
            await privacy_api.aclose()

    return assemble(
        settings,
        store=runtime.store,
        keys=keys,
        documents=MongoDocuments(runtime.db),
        notifier=NotifierLedger(settings.notifier_url),
        privacy_api=privacy_api,
        health=runtime.health,
        lifespan=running,
    )


def describe(gateway: Gateway) -> dict[str, Any]:
    """Non-secret facts about the configuration, for the start-up log."""
    settings = gateway.settings
    return {
        "decision_wait_s": settings.decision_wait_s,
        "rate_limit_per_s": settings.rate_limit_per_s,
        "max_body_bytes": settings.max_body_bytes,
        "notifier": bool(settings.notifier_url),
        "privacy": bool(settings.privacy_url),
        "staff_accounts": len(gateway.staff),
    }
