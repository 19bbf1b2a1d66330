"""Fakes for the consent handlers: a fresh set for every test."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from allwan_consent.domain.ledger import ConsentLedger
from allwan_consent.domain.policy import PolicyDraft, PrivacyPolicy
from allwan_consent.handlers.policies import publish_first_version

from tests.unit.consent.fakes import (
    CONTACT,
    FakeAggregates,
    FakePhoneIndex,
    FakeSecrets,
    publish_request,
)


def url_for(version: int) -> str:
    return f"https://allwanstores.com/privacy/v{version}"


@dataclass
class World:
    ledgers: FakeAggregates[ConsentLedger]
    policies: FakeAggregates[PrivacyPolicy]
    secrets: FakeSecrets
    phones: FakePhoneIndex

    async def publish_v1(self) -> None:
        draft = PolicyDraft.from_request(publish_request(material=False))
        await publish_first_version(draft, policies=self.policies, contact=CONTACT, url_for=url_for)

    async def ledger(self, customer_id: str) -> ConsentLedger:
        return await self.ledgers.get(customer_id)


@pytest.fixture
def world() -> World:
    return World(
        FakeAggregates(ConsentLedger),
        FakeAggregates(PrivacyPolicy),
        FakeSecrets(),
        FakePhoneIndex(),
    )
