"""The privacy handlers on the runtime's in-memory event and key stores and this package's
fakes, wired by the service's own registries: fresh for each test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from allwan_contracts import Event
from allwan_contracts.breaches import BreachNoticeRequested
from allwan_contracts.privacy_replies import (
    CorrectionApplied,
    CustomerDataExported,
    ErasureConfirmed,
)
from allwan_privacy.adapters.export_html import ExportPage
from allwan_privacy.adapters.recorded import StoredEvents
from allwan_privacy.adapters.registry import load_registry
from allwan_privacy.bootstrap import (
    PURPOSES,
    intake_handlers,
    reply_handlers,
)
from allwan_privacy.bootstrap.accountability import disclosure_handlers
from allwan_privacy.domain.breach import Breach
from allwan_privacy.domain.request import PrivacyRequest
from allwan_privacy.handlers.accountability_ports import BreachDeps, LedgerDeps
from allwan_privacy.handlers.disclosures import LedgerReader
from allwan_privacy.handlers.ports import Deps
from allwan_privacy.settings import SCHEDULE, PrivacySettings
from allwan_runtime.handlers import Handlers
from allwan_runtime.keystore import InMemoryKeyStore
from allwan_runtime.memory import InMemoryEventStore
from allwan_runtime.recorder import EventRecorder
from allwan_runtime.repository import AggregateRepository

from tests.unit.privacy.fakes import (
    FakeActivity,
    FakeAffected,
    FakeConfirmations,
    FakeExports,
    FakeLedger,
    FakeParts,
    FakeSlots,
    MovableClock,
    StoredRegister,
    StoredRequests,
    envelope,
)

SERVICES = ("orders", "consent", "notifier")
REGISTRY = load_registry(SCHEDULE / "recipients.toml")
"""The packaged recipient registry."""


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
    ledger: FakeLedger
    ledger_deps: LedgerDeps
    disclosures: Handlers[LedgerDeps]
    flagged: list[str]
    """Recipients of disclosures the registry does not list, as the metric counts them."""

    async def send(self, event: Event, producer: str = "gateway") -> None:
        """Deliver ``event`` from ``producer`` as its consumer group would."""
        handlers = self.replies if event.topic.endswith("replies") else self.intake
        await handlers.bound()[type(event)](envelope(event, producer), event)

    async def disclose(self, event: Event, producer: str = "notifier") -> None:
        """Deliver a disclosure from ``producer`` as the ``disclosures`` group would."""
        await self.disclosures.bound()[type(event)](envelope(event, producer), event)

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
    ledger, flagged = FakeLedger(), list[str]()
    ledger_deps = LedgerDeps(
        ledger=ledger,
        registry=REGISTRY,
        recorder=EventRecorder(store, "privacy"),
        recorded=StoredEvents(store),
        unknown_recipient=flagged.append,
        clock=clock,
    )
    deps = Deps(
        requests=AggregateRepository(store, PrivacyRequest, "privacy"),
        secrets=secrets,
        slots=slots,
        parts=parts,
        exports=exports,
        confirmations=confirmations,
        customers=StoredRequests(store),
        renderer=ExportPage(),
        disclosures=LedgerReader(ledger_deps),
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
        ledger,
        ledger_deps,
        disclosure_handlers(settings, ledger_deps),
        flagged,
    )


@pytest.fixture
def world() -> World:
    return make_world()


@dataclass
class BreachWorld:
    """The breach register on the in-memory event store, with a clock the tests move."""

    store: InMemoryEventStore
    clock: MovableClock
    affected: FakeAffected
    activity: FakeActivity
    recorder: EventRecorder
    deps: BreachDeps

    def notices(self) -> list[BreachNoticeRequested]:
        return self.store.all_events("breach_notice")

    def events(self, breach_id: str) -> list[Any]:
        return self.store.events(Breach.aggregate_type, breach_id)


def make_breach_world(store: InMemoryEventStore | None = None) -> BreachWorld:
    store = store or InMemoryEventStore()
    clock, affected, activity = MovableClock(), FakeAffected(), FakeActivity()
    recorder = EventRecorder(store, "privacy")
    deps = BreachDeps(
        breaches=AggregateRepository(store, Breach, "privacy"),
        recorder=recorder,
        recorded=StoredEvents(store),
        affected=affected,
        activity=activity,
        register=StoredRegister(store),
        clock=clock,
    )
    return BreachWorld(store, clock, affected, activity, recorder, deps)


@pytest.fixture
def breaches() -> BreachWorld:
    return make_breach_world()
