"""Builds the real adapters and the dependencies, and the handler registries of the three
consumer groups (``entrypoints/app.py`` registers them with the runtime)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from allwan_contracts import (
    CustomerContactChanged,
    CustomerErased,
    PolicyChanged,
    PrivacyRequestStarted,
)
from allwan_contracts.intake import (
    CancellationRequested,
    OrderRequested,
    PaymentReported,
    RefundRequested,
    WebhookReceived,
)
from allwan_runtime.handlers import Handlers
from allwan_runtime.keystore import LazyKeyStore, Purpose
from allwan_runtime.periodic import PeriodicTask
from allwan_runtime.recorder import EventRecorder
from allwan_runtime.repository import AggregateRepository
from allwan_runtime.service import ServiceRuntime

from allwan_orders.adapters.catalogue_file import load_catalogue
from allwan_orders.adapters.policy_versions import PolicyVersions
from allwan_orders.adapters.read_models import ReadModels
from allwan_orders.domain.customer import CustomerContactRecord
from allwan_orders.domain.order import Order
from allwan_orders.domain.published_catalogue import PublishedCatalogue
from allwan_orders.handlers.catalogue import publish_catalogue
from allwan_orders.handlers.ending import cancel_order, refund_order
from allwan_orders.handlers.expiry import expire_due
from allwan_orders.handlers.payment import report_payment
from allwan_orders.handlers.placing import place_order
from allwan_orders.handlers.ports import Deps, Privacy, Views
from allwan_orders.handlers.privacy import answer_privacy_request
from allwan_orders.handlers.salla import handle_webhook
from allwan_orders.handlers.views import follow_policy, forget_customer, project, show_contact
from allwan_orders.settings import OrdersSettings

PURPOSES = (
    Purpose.ORDER_PROCESSING,
    Purpose.SUPPORT,
    Purpose.DATA_ACCESS,
    Purpose.DATA_CORRECTION,
)
"""The only purposes orders opens personal data for (C4): the customer's own access and
correction requests (PDPL) among them."""


@dataclass
class OrdersService:
    """The orders service's parts, built once per process."""

    settings: OrdersSettings
    deps: Deps
    views: Views
    privacy: Privacy
    keys: LazyKeyStore
    read_models: ReadModels
    policies: PolicyVersions
    expiry: PeriodicTask
    catalogue: AggregateRepository[PublishedCatalogue]

    async def start(self) -> None:
        """Fail fast without keys, prepare indexes, publish a changed catalogue, start the
        periodic expiry."""
        self.keys.check()
        await self.read_models.orders.ensure_indexes()
        await publish_catalogue(self.deps.catalogue, self.catalogue)
        await self.expiry.start()

    async def stop(self) -> None:
        await self.expiry.stop()


def bootstrap(runtime: ServiceRuntime, settings: OrdersSettings) -> OrdersService:
    """Everything the service needs; a bad catalogue stops it here with a clear error."""
    name = settings.service_name
    keys = runtime.keystore(PURPOSES)
    policies = PolicyVersions(runtime.db)
    read_models = ReadModels(runtime.db)
    deps = Deps(
        orders=AggregateRepository(runtime.store, Order, name),
        contacts=AggregateRepository(runtime.store, CustomerContactRecord, name),
        keys=keys,
        catalogue=load_catalogue(settings.catalogue_path),
        policies=policies,
        disclosures=EventRecorder(runtime.store, name),
        payment_recipient=settings.payment_recipient,
        service=name,
        payment_timeout=timedelta(minutes=settings.payment_timeout_minutes),
        salla_checkout_attests_legal_age=settings.salla_checkout_attests_legal_age,
    )
    replies = EventRecorder(runtime.store, name)
    views = Views(
        read_models=read_models,
        customers=read_models.customers,
        policies=policies,
        keys=keys,
        replies=replies,
        service=name,
    )
    privacy = Privacy(
        store=runtime.store,
        contacts=deps.contacts,
        customer_orders=read_models.customer_orders,
        keys=keys,
        replies=replies,
        service=name,
    )
    expiry = PeriodicTask(
        f"{name}-expiry", lambda: expire_due(deps, read_models.orders), settings.expiry_interval_s
    )
    catalogue = AggregateRepository(runtime.store, PublishedCatalogue, name)
    return OrdersService(
        settings, deps, views, privacy, keys, read_models, policies, expiry, catalogue
    )


def intake_handlers(service: OrdersService) -> Handlers[Deps]:
    """Requests the gateway recorded, and Salla's webhooks: only the gateway's records are
    obeyed, and a handler that lost a race for an order runs again on a fresh load."""
    intake = Handlers(
        service.deps, producers=service.settings.intake_producers, retry_conflicts=True
    )
    intake.on(OrderRequested, place_order)
    intake.on(PaymentReported, report_payment)
    intake.on(CancellationRequested, cancel_order)
    intake.on(RefundRequested, refund_order)
    intake.on(WebhookReceived, handle_webhook)
    return intake


def view_handlers(service: OrdersService) -> Handlers[Views]:
    """Read models: this service's own events (its own only), erasures and the policy version
    in force (the consent service's only: a forged erasure redacts nobody)."""
    views = Handlers(service.views)
    own = {service.settings.service_name}
    views.on_each(Order.event_classes, project, producers=own)
    views.on(CustomerContactChanged, show_contact, producers=own)
    consent = service.settings.consent_producers
    views.on(CustomerErased, forget_customer, producers=consent)
    views.on(PolicyChanged, follow_policy, producers=consent)
    return views


def privacy_handlers(service: OrdersService) -> Handlers[Privacy]:
    """Privacy requests the privacy service started (only its records are obeyed, S1); a
    correction that lost a race for the contact record runs again on a fresh load."""
    privacy = Handlers(
        service.privacy, producers=service.settings.privacy_producers, retry_conflicts=True
    )
    privacy.on(PrivacyRequestStarted, answer_privacy_request)
    return privacy
