"""Builds the real adapters and binds them to the handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from allwan_contracts.envelope import Envelope
from allwan_runtime.dispatch import Handler
from allwan_runtime.guards import only_from, retry_on_conflict
from allwan_runtime.keystore import Purpose
from allwan_runtime.periodic import PeriodicTask
from allwan_runtime.repository import AggregateRepository
from allwan_runtime.service import ServiceRuntime

from allwan_orders.adapters.catalogue_file import load_catalogue
from allwan_orders.adapters.keys import LazyKeyStore
from allwan_orders.adapters.policy_versions import PolicyVersions
from allwan_orders.adapters.read_models import ReadModels
from allwan_orders.domain.customer import CustomerContactRecord
from allwan_orders.domain.order import Order
from allwan_orders.domain.published_catalogue import PublishedCatalogue
from allwan_orders.handlers.catalogue import publish_catalogue
from allwan_orders.handlers.deps import Deps, Request
from allwan_orders.handlers.ending import cancel_order, refund_order
from allwan_orders.handlers.expiry import expire_due
from allwan_orders.handlers.payment import report_payment
from allwan_orders.handlers.placing import place_order
from allwan_orders.handlers.salla import handle_webhook
from allwan_orders.settings import OrdersSettings

PURPOSES = (Purpose.ORDER_PROCESSING, Purpose.SUPPORT)
"""The only purposes orders opens personal data for (C4)."""


@dataclass
class OrdersService:
    """The orders service's parts, built once per process."""

    settings: OrdersSettings
    deps: Deps
    keys: LazyKeyStore
    read_models: ReadModels
    policies: PolicyVersions
    expiry: PeriodicTask
    catalogue: AggregateRepository[PublishedCatalogue]

    async def start(self) -> None:
        """Fail fast without keys, prepare indexes, publish a changed catalogue, start the
        periodic expiry."""
        _ = self.keys.store
        await self.read_models.orders.ensure_indexes()
        await publish_catalogue(self.deps.catalogue, self.catalogue)
        await self.expiry.start()

    async def stop(self) -> None:
        await self.expiry.stop()


def bootstrap(runtime: ServiceRuntime, settings: OrdersSettings) -> OrdersService:
    """Everything the service needs; a bad catalogue stops it here with a clear error."""
    name = settings.service_name
    keys = LazyKeyStore(lambda: runtime.keystore(PURPOSES))
    policies = PolicyVersions(runtime.db)
    read_models = ReadModels(runtime.db)
    deps = Deps(
        orders=AggregateRepository(runtime.store, Order, name),
        contacts=AggregateRepository(runtime.store, CustomerContactRecord, name),
        keys=keys,
        catalogue=load_catalogue(settings.catalogue_path),
        policies=policies,
        payment_timeout=timedelta(minutes=settings.payment_timeout_minutes),
        salla_checkout_attests_legal_age=settings.salla_checkout_attests_legal_age,
    )
    expiry = PeriodicTask(
        f"{name}-expiry", lambda: expire_due(deps, read_models.orders), settings.expiry_interval_s
    )
    catalogue = AggregateRepository(runtime.store, PublishedCatalogue, name)
    return OrdersService(settings, deps, keys, read_models, policies, expiry, catalogue)


RequestHandler = Callable[[Any, Request, Deps], Awaitable[None]]


def _bind(handler: RequestHandler, deps: Deps) -> Handler:
    async def bound(envelope: Envelope, event: Any) -> None:
        await handler(event, Request.of(envelope), deps)

    return bound


def intake_handlers(service: OrdersService) -> dict[str, Handler]:
    """Requests the gateway recorded; only the gateway's are obeyed."""
    deps, gateway = service.deps, service.settings.intake_producers
    handlers: dict[str, RequestHandler] = {
        "OrderRequested": place_order,
        "PaymentReported": report_payment,
        "CancellationRequested": cancel_order,
        "RefundRequested": refund_order,
        "WebhookReceived": handle_webhook,
    }
    return {
        event_type: only_from(gateway, retry_on_conflict(_bind(handler, deps)))
        for event_type, handler in handlers.items()
    }


def view_handlers(service: OrdersService) -> dict[str, Handler]:
    """Read models: this service's own events, erasures, and the policy version in force."""
    own = (service.settings.service_name,)
    models = service.read_models
    handlers: dict[str, Handler] = {
        event_type: only_from(own, models) for event_type in models.orders.event_types
    }
    handlers["CustomerContactChanged"] = only_from(own, models)
    handlers["CustomerErased"] = models
    handlers["PolicyChanged"] = service.policies
    return handlers
