"""Builds the consent service: its adapters, the handlers' ``Deps``, and one ``Handlers``
registry per consumer group (``entrypoints.app`` registers them with the runtime)."""

from __future__ import annotations

from dataclasses import dataclass

from allwan_contracts import (
    CustomerContactChanged,
    CustomerErased,
    OrderPlaced,
    PolicyChanged,
    PrivacyRequestStarted,
)
from allwan_contracts.fields import utc_now
from allwan_contracts.intake import (
    ConsentChangeRequested,
    ErasureRequested,
    PolicyPublishRequested,
    WebhookReceived,
)
from allwan_runtime.handlers import Handlers
from allwan_runtime.keystore import LazyKeyStore, Purpose
from allwan_runtime.recorder import EventRecorder
from allwan_runtime.repository import AggregateRepository
from allwan_runtime.service import ServiceRuntime

from allwan_consent.adapters import queries
from allwan_consent.adapters.ledger_history import StoredLedgerHistory
from allwan_consent.adapters.phone_index import MongoPhoneIndex
from allwan_consent.adapters.queries import ConsentQueries, PolicyQueries
from allwan_consent.adapters.read_models import (
    LEDGER_EVENTS,
    POLICY_EVENTS,
    ConsentProjection,
    PolicyProjection,
    ReadModels,
    project_ledger,
    project_policy,
)
from allwan_consent.domain.ledger import ConsentLedger
from allwan_consent.domain.policy import PrivacyPolicy
from allwan_consent.handlers.consent import change_consent, erase_customer, record_purchase
from allwan_consent.handlers.policies import (
    ask_for_reconfirmation,
    publish_first_version,
    publish_policy,
)
from allwan_consent.handlers.ports import Deps
from allwan_consent.handlers.privacy import (
    apply_correction,
    confirm_erasure,
    fulfil_privacy_request,
)
from allwan_consent.handlers.whatsapp import handle_whatsapp_delivery
from allwan_consent.policies import first_version
from allwan_consent.settings import ConsentSettings

PURPOSES = (Purpose.CONSENT_MATCHING,)
"""C4: the consent service opens personal data only to match a customer's WhatsApp message
(a withdrawal, a privacy request) to them."""


@dataclass(frozen=True)
class Consumers:
    """Each consumer group's handlers, by event class."""

    intake: Handlers[Deps]
    orders: Handlers[Deps]
    whatsapp: Handlers[Deps]
    read_models: Handlers[ReadModels]
    reconfirmation: Handlers[Deps]
    privacy: Handlers[Deps]


def consumers(settings: ConsentSettings, deps: Deps, read_models: ReadModels) -> Consumers:
    """Every handler for its event class. Inputs are obeyed only from the service that owns
    them (S1: the gateway's intake, the orders service's orders and contact corrections, the
    privacy service's requests and retention erasures, this service's own policy notices and
    erasures), and a handler that lost a race for a stream runs again."""
    gateway, orders_service = {settings.gateway_producer}, {settings.orders_producer}
    me = {settings.service_name}
    intake = Handlers(deps, producers=gateway, retry_conflicts=True)
    intake.on(ConsentChangeRequested, change_consent)
    # The privacy service too, for retention only: ``erase_customer`` refuses anything else.
    intake.on(ErasureRequested, erase_customer, producers=gateway | {settings.privacy_producer})
    intake.on(PolicyPublishRequested, publish_policy)
    orders = Handlers(deps, producers=orders_service, retry_conflicts=True)
    orders.on(OrderPlaced, record_purchase)
    whatsapp = Handlers(deps, producers=gateway, retry_conflicts=True)
    whatsapp.on(WebhookReceived, handle_whatsapp_delivery)
    reconfirmation = Handlers(deps, producers=me, retry_conflicts=True)
    reconfirmation.on(PolicyChanged, ask_for_reconfirmation)
    privacy = Handlers(deps, retry_conflicts=True)
    privacy.on(PrivacyRequestStarted, fulfil_privacy_request, producers={settings.privacy_producer})
    privacy.on(CustomerContactChanged, apply_correction, producers=orders_service)
    privacy.on(CustomerErased, confirm_erasure, producers=me)
    # The projections skip other producers' events themselves: ``rebuild`` calls them too.
    projections = Handlers(read_models)
    projections.on_each(LEDGER_EVENTS, project_ledger)
    projections.on_each(POLICY_EVENTS, project_policy)
    return Consumers(intake, orders, whatsapp, projections, reconfirmation, privacy)


@dataclass(frozen=True)
class ConsentService:
    """The consent service's adapters and handlers, ready for ``entrypoints.app``."""

    settings: ConsentSettings
    runtime: ServiceRuntime
    secrets: LazyKeyStore
    deps: Deps
    read_models: ReadModels
    consumers: Consumers
    consents: ConsentQueries
    policies: PolicyQueries
    phones: MongoPhoneIndex

    async def prepare(self) -> None:
        """At every start: fail fast without keys, read-model indexes, then version 1 of the
        policy if none exists."""
        self.secrets.check()
        await queries.ensure_indexes(self.runtime.db)
        await self.phones.ensure_indexes()
        await publish_first_version(first_version(utc_now()), self.deps)


def bootstrap(runtime: ServiceRuntime, settings: ConsentSettings) -> ConsentService:
    """The service on the real adapters of ``runtime``."""
    me, db = settings.service_name, runtime.db
    secrets = runtime.keystore(PURPOSES)
    phones = MongoPhoneIndex(db)
    deps = Deps(
        ledgers=AggregateRepository(runtime.store, ConsentLedger, me),
        policies=AggregateRepository(runtime.store, PrivacyPolicy, me),
        secrets=secrets,
        phones=phones,
        history=StoredLedgerHistory(runtime.store),
        recorder=EventRecorder(runtime.store, me),
        service=me,
        privacy_producer=settings.privacy_producer,
        contact=settings.contact(),
        url_for=settings.policy_url,
        country_code=settings.phone_country_code,
    )
    read_models = ReadModels(ConsentProjection(db, me), PolicyProjection(db, me))
    return ConsentService(
        settings=settings,
        runtime=runtime,
        secrets=secrets,
        deps=deps,
        read_models=read_models,
        consumers=consumers(settings, deps, read_models),
        consents=ConsentQueries(db),
        policies=PolicyQueries(db),
        phones=phones,
    )
