"""The consent handlers on the runtime's in-memory event and key stores: fresh for each test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from allwan_consent.adapters.ledger_history import StoredLedgerHistory
from allwan_consent.bootstrap import PURPOSES
from allwan_consent.domain.ledger import ConsentLedger
from allwan_consent.domain.policy import PRIVACY, PolicyDraft, PrivacyPolicy
from allwan_consent.handlers.policies import publish_first_version
from allwan_consent.handlers.ports import Deps
from allwan_runtime.keystore import InMemoryKeyStore
from allwan_runtime.memory import InMemoryEventStore
from allwan_runtime.recorder import EventRecorder
from allwan_runtime.repository import AggregateRepository

from tests.unit.consent.fakes import CONTACT, FakePhoneIndex, publish_request


def url_for(version: int) -> str:
    return f"https://allwanstores.com/privacy/v{version}"


@dataclass
class World:
    store: InMemoryEventStore
    secrets: InMemoryKeyStore
    phones: FakePhoneIndex
    deps: Deps

    async def publish_v1(self) -> None:
        await publish_first_version(PolicyDraft.from_request(publish_request(False)), self.deps)

    async def ledger(self, customer_id: str) -> ConsentLedger:
        return await self.deps.ledgers.get(customer_id)

    def events(self, customer_id: str) -> list[Any]:
        """One customer's stored ledger events, oldest first."""
        return self.store.events(ConsentLedger.aggregate_type, customer_id)

    def ledger_events(self) -> list[Any]:
        """Every stored ledger event, customer by customer."""
        return self.store.all_events(ConsentLedger.aggregate_type)

    def policy_events(self) -> list[Any]:
        return self.store.events(PrivacyPolicy.aggregate_type, PRIVACY)


@pytest.fixture
def world() -> World:
    store = InMemoryEventStore()
    secrets = InMemoryKeyStore(PURPOSES, service="consent")
    phones = FakePhoneIndex()
    deps = Deps(
        ledgers=AggregateRepository(store, ConsentLedger, "consent"),
        policies=AggregateRepository(store, PrivacyPolicy, "consent"),
        secrets=secrets,
        phones=phones,
        history=StoredLedgerHistory(store),
        recorder=EventRecorder(store, "consent"),
        service="consent",
        privacy_producer="privacy",
        contact=CONTACT,
        url_for=url_for,
        country_code="966",
    )
    return World(store, secrets, phones, deps)
