"""A fresh set of fakes for every notifier test, bound as the service binds the real ones."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from allwan_notifier.adapters.templates import Templates
from allwan_notifier.domain.fanout import FanoutJob
from allwan_notifier.domain.messages import Withdrawal
from allwan_notifier.domain.recipients import Address, Locale
from allwan_notifier.handlers.deliver import Post
from allwan_notifier.handlers.fanout import Backoff, Fanout, run_job
from allwan_notifier.handlers.marketing import Refusal

from tests.unit.notifier.fakes import (
    CONTACT,
    WHEN,
    FakeBook,
    FakeJobs,
    FakeLease,
    FakeLedger,
    FakeMetrics,
    FakeSecrets,
    FakeSender,
)

WITHDRAWAL = Withdrawal(
    email=CONTACT.email, whatsapp=CONTACT.whatsapp, web="https://allwanstores.com/account/privacy"
)
REFUSAL = Refusal("https://allwanstores.com/api/v1/unsubscribe", "unsubscribe@allwanstores.com")


@dataclass
class World:
    secrets: FakeSecrets
    ledger: FakeLedger
    book: FakeBook
    sender: FakeSender
    jobs: FakeJobs
    lease: FakeLease
    metrics: FakeMetrics
    post: Post
    fanout: Fanout
    woken: int = 0

    def wake(self) -> None:
        self.woken += 1

    async def customer(self, customer_id: str, locale: Locale | None = "ar") -> str:
        """A customer in the address book; their email is ``<id>@example.com``."""
        email = f"{customer_id}@example.com"
        sealed = self.secrets.seal(customer_id, "email", email)
        await self.book.remember(customer_id, Address(sealed, locale), WHEN)
        return email

    async def run(self, job_id: str) -> FanoutJob:
        job = self.jobs.jobs[job_id]
        return await run_job(job, self.fanout, asyncio.Event())


@pytest.fixture
def world() -> World:
    secrets, ledger, book, sender = FakeSecrets(), FakeLedger(), FakeBook(), FakeSender()
    jobs, lease, metrics = FakeJobs(), FakeLease(), FakeMetrics()
    post = Post(
        ledger=ledger,
        book=book,
        secrets=secrets,
        renderer=Templates(),
        sender=sender,
        metrics=metrics,
        mail_domain="allwanstores.com",
        default_locale="ar",
        clock=lambda: WHEN,
    )
    fanout = Fanout(
        jobs=jobs,
        post=post,
        lease=lease,
        refusal=REFUSAL,
        lanes=3,
        backoff=Backoff(0.001, 0.005),
        progress_interval_s=0.01,
    )
    return World(secrets, ledger, book, sender, jobs, lease, metrics, post, fanout)
