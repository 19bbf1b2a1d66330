"""The privacy handlers on the runtime's in-memory event and key stores and this package's
fakes, wired by the service's own registries: fresh for each test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from allwan_contracts import Event
from allwan_contracts.privacy_replies import (
    CorrectionApplied,
    CustomerDataExported,
    ErasureConfirmed,
)
from allwan_privacy.adapters.export_html import ExportPage
from allwan_privacy.bootstrap import PURPOSES, intake_handlers, reply_handlers
from allwan_privacy.domain.request import PrivacyRequest
from allwan_privacy.handlers.ports import Deps
from allwan_privacy.settings import PrivacySettings
from allwan_runtime.handlers import Handlers
from allwan_runtime.keystore import InMemoryKeyStore
from allwan_runtime.memory import InMemoryEventStore
from allwan_runtime.repository import AggregateRepository

from tests.unit.privacy.fakes import (
    FakeConfirmations,
    FakeExports,
    FakeParts,
    FakeSlots,
    MovableClock,
    StoredRequests,
    envelope,
)

SERVICES = ("orders", "consent", "notifier")


@dataclass
class World:
    store: InMemoryEventStore
    secrets: InMemoryKeyStore
    slots: FakeSlots
    parts: FakeParts
    exports: FakeExports
    confirmations: FakeConfirmations
    clock: MovableClock
    deps: Deps
    intake: Handlers[Deps]
    replies: Handlers[Deps]

    async def send(self, event: Event, producer: str = "gateway") -> None:
        """Deliver ``event`` from ``producer`` as its consumer group would."""
        handlers = self.replies if event.topic.endswith("replies") else self.intake
        await handlers.bound()[type(event)](envelope(event, producer), event)

    async def answer(
        self, event: CustomerDataExported | CorrectionApplied | ErasureConfirmed
    ) -> None:
        """A reply, from the service it names."""
        await self.send(event, producer=event.service)

    def events(self, request_id: str) -> list[Any]:
        return self.store.events(PrivacyRequest.aggregate_type, request_id)

    def types(self, request_id: str) -> list[str]:
        return [type(event).__name__ for event in self.events(request_id)]

    async def request(self, request_id: str) -> PrivacyRequest:
        return await self.deps.requests.get(request_id)


def make_world(
    settings: PrivacySettings | None = None, erasure_grace: timedelta = timedelta(0)
) -> World:
    settings = settings or PrivacySettings()
    store = InMemoryEventStore()
    secrets = InMemoryKeyStore(PURPOSES, service="privacy")
    slots, parts, exports = FakeSlots(), FakeParts(), FakeExports()
    confirmations, clock = FakeConfirmations(), MovableClock()
    deps = Deps(
        requests=AggregateRepository(store, PrivacyRequest, "privacy"),
        secrets=secrets,
        slots=slots,
        parts=parts,
        exports=exports,
        confirmations=confirmations,
        customers=StoredRequests(store),
        renderer=ExportPage(),
        expected=settings.expected_services(),
        export_days=settings.export_days,
        erasure_grace=erasure_grace,
        clock=clock,
    )
    return World(
        store,
        secrets,
        slots,
        parts,
        exports,
        confirmations,
        clock,
        deps,
        intake_handlers(settings, deps),
        reply_handlers(settings, deps),
    )


@pytest.fixture
def world() -> World:
    return make_world()
