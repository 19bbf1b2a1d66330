"""A fresh set of fakes for every notifier test, bound as the service binds the real ones."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from allwan_contracts.disclosures import DataDisclosed
from allwan_notifier.adapters.records import Records
from allwan_notifier.adapters.templates import Templates
from allwan_notifier.domain.fanout import FanoutJob
from allwan_notifier.domain.messages import Withdrawal
from allwan_notifier.domain.recipients import Address, Locale
from allwan_notifier.handlers.fanout import Fanout, run_job
from allwan_notifier.handlers.marketing import Refusal
from allwan_notifier.handlers.ports import Deps
from allwan_runtime.dispatch import RetryPolicy

from tests.unit.notifier.fakes import (
    CONTACT,
    WHEN,
    EventStoreSpy,
    FakeBook,
    FakeJobs,
    FakeLease,
    FakeLedger,
    FakeMetrics,
    FakeParkedLetters,
    FakeSender,
    KeyStoreSpy,
)

WITHDRAW_URL = "https://allwanstores.com/account/privacy"
PRIVACY_URL = "https://allwanstores.com/account/privacy-requests"
WITHDRAWAL = Withdrawal(email=CONTACT.email, whatsapp=CONTACT.whatsapp, web=WITHDRAW_URL)
REFUSAL = Refusal("https://allwanstores.com/api/v1/unsubscribe", "unsubscribe@allwanstores.com")


@dataclass
class Bell:
    """Stands for the fan-out worker: counts how often a handler woke it."""

    rung: int = 0

    def ring(self) -> None:
        self.rung += 1


@dataclass
class World:
    secrets: KeyStoreSpy
    ledger: FakeLedger
    book: FakeBook
    parked: FakeParkedLetters
    sender: FakeSender
    jobs: FakeJobs
    lease: FakeLease
    metrics: FakeMetrics
    bell: Bell
    store: EventStoreSpy
    deps: Deps
    fanout: Fanout

    @property
    def woken(self) -> int:
        return self.bell.rung

    @property
    def disclosures(self) -> list[DataDisclosed]:
        """What the notifier recorded for the relay to publish on ``allwan.disclosures``."""
        return list(self.store.all_events("disclosure"))

    async def customer(self, customer_id: str, locale: Locale | None = "ar") -> str:
        """A customer in the address book; their email is ``<id>@example.com``."""
        email = f"{customer_id}@example.com"
        sealed = self.secrets.seal_now(customer_id, "email", email)
        await self.book.remember(customer_id, Address(sealed, locale), WHEN)
        return email

    async def run(self, job_id: str) -> FanoutJob:
        job = self.jobs.jobs[job_id]
        return await run_job(job, self.fanout, asyncio.Event())


@pytest.fixture
def world() -> World:
    secrets, ledger, book, sender = KeyStoreSpy(), FakeLedger(), FakeBook(), FakeSender()
    parked = FakeParkedLetters()
    jobs, lease, metrics, bell = FakeJobs(), FakeLease(), FakeMetrics(), Bell()
    store = EventStoreSpy()
    deps = Deps(
        book=book,
        ledger=ledger,
        parked=parked,
        jobs=jobs,
        secrets=secrets,
        replies=Records(store, "notifier"),
        renderer=Templates(),
        sender=sender,
        metrics=metrics,
        contact=CONTACT,
        withdraw_url=WITHDRAW_URL,
        privacy_url=PRIVACY_URL,
        service="notifier",
        mail_domain="allwanstores.com",
        default_locale="ar",
        clock=lambda: WHEN,
        wake=bell.ring,
    )
    fanout = Fanout(
        deps=deps,
        lease=lease,
        refusal=REFUSAL,
        lanes=3,
        retry=RetryPolicy(initial_s=0.001, max_s=0.005),
        progress_interval_s=0.01,
    )
    return World(
        secrets, ledger, book, parked, sender, jobs, lease, metrics, bell, store, deps, fanout
    )
