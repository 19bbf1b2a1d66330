"""Builds the real adapters and binds them to the handlers (the unit tests bind fakes)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from allwan_contracts.fields import utc_now
from allwan_runtime.dispatch import Handler
from allwan_runtime.guards import only_from, retry_on_conflict
from allwan_runtime.keystore import Purpose
from allwan_runtime.service import ServiceRuntime

from allwan_consent.adapters import queries
from allwan_consent.adapters.phone_index import MongoPhoneIndex
from allwan_consent.adapters.queries import ConsentQueries, PolicyQueries
from allwan_consent.adapters.read_models import ConsentProjection, PolicyProjection
from allwan_consent.adapters.streams import EventSourced
from allwan_consent.domain.ledger import ConsentLedger
from allwan_consent.domain.policy import PrivacyPolicy
from allwan_consent.handlers.consent import change_consent, erase_customer, record_purchase
from allwan_consent.handlers.policies import (
    ask_for_reconfirmation,
    publish_first_version,
    publish_policy,
)
from allwan_consent.handlers.ports import Secrets
from allwan_consent.handlers.whatsapp import withdraw_by_whatsapp
from allwan_consent.policies import first_version
from allwan_consent.settings import ConsentSettings

PURPOSES = (Purpose.CONSENT_MATCHING,)
"""C4: the consent service opens personal data only to match a withdrawal to a customer."""

Handlers = dict[str, Handler]


@dataclass
class ConsentService:
    """The consent service's handlers, bound to their adapters, by consumer."""

    settings: ConsentSettings
    runtime: ServiceRuntime
    secrets: Secrets
    intake: Handlers
    orders: Handlers
    whatsapp: Handlers
    read_models: Handlers
    reconfirmation: Handlers
    consent_projection: ConsentProjection
    policy_projection: PolicyProjection
    consents: ConsentQueries
    policies: PolicyQueries
    phones: MongoPhoneIndex

    async def prepare(self) -> None:
        """At every start: read-model indexes, then version 1 of the policy if none exists."""
        await queries.ensure_indexes(self.runtime.db)
        await self.phones.ensure_indexes()
        await publish_first_version(
            first_version(utc_now()),
            policies=EventSourced(self.runtime.store, PrivacyPolicy, self.settings.service_name),
            contact=self.settings.contact(),
            url_for=self.settings.policy_url,
        )


def _obey(producer: str, handler: Callable[..., Awaitable[None]], **deps: Any) -> Handler:
    """``handler`` bound to its dependencies, run again after a lost race for a stream, and
    called only for records of ``producer``."""
    return only_from([producer], retry_on_conflict(partial(handler, **deps)))


def bootstrap(runtime: ServiceRuntime, settings: ConsentSettings) -> ConsentService:
    """Bind every handler to the real adapters of ``runtime``."""
    me, gateway, orders = settings.service_name, settings.gateway_producer, settings.orders_producer
    store, db = runtime.store, runtime.db
    ledgers = EventSourced(store, ConsentLedger, me)
    policies = EventSourced(store, PrivacyPolicy, me)
    secrets = runtime.keystore(PURPOSES)
    phones = MongoPhoneIndex(db)
    matching = {"secrets": secrets, "phones": phones, "country_code": settings.phone_country_code}
    consent_projection = ConsentProjection(db, me)
    policy_projection = PolicyProjection(db, me)
    return ConsentService(
        settings=settings,
        runtime=runtime,
        secrets=secrets,
        intake={
            "ConsentChangeRequested": _obey(
                gateway, change_consent, ledgers=ledgers, policies=policies
            ),
            "ErasureRequested": _obey(
                gateway,
                erase_customer,
                ledgers=ledgers,
                secrets=secrets,
                phones=phones,
                clock=utc_now,
            ),
            "PolicyPublishRequested": _obey(
                gateway,
                publish_policy,
                policies=policies,
                contact=settings.contact(),
                url_for=settings.policy_url,
            ),
        },
        orders={
            "OrderPlaced": _obey(
                orders, record_purchase, ledgers=ledgers, policies=policies, **matching
            ),
        },
        whatsapp={
            "WebhookReceived": _obey(
                gateway, withdraw_by_whatsapp, ledgers=ledgers, policies=policies, **matching
            ),
        },
        read_models={
            "ConsentGranted": consent_projection,
            "ConsentWithdrawn": consent_projection,
            "ConsentReconfirmationRequired": consent_projection,
            "CustomerErased": consent_projection,
            "PolicyDocumentPublished": policy_projection,
            "PolicyChanged": policy_projection,
        },
        reconfirmation={"PolicyChanged": _obey(me, ask_for_reconfirmation, ledgers=ledgers)},
        consent_projection=consent_projection,
        policy_projection=policy_projection,
        consents=ConsentQueries(db),
        policies=PolicyQueries(db),
        phones=phones,
    )
