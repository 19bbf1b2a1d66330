"""Hand-written fakes of the notifier's own ports (the key store is the runtime's in-memory
one), and builders of its inputs."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from allwan_contracts import (
    Channel,
    ConsentEvidence,
    ConsentGranted,
    ConsentPurpose,
    ConsentReconfirmationRequired,
    ConsentWithdrawn,
    CustomerContact,
    CustomerErased,
    Envelope,
    ErasureReason,
    Event,
    OrderPlaced,
    PolicyChanged,
    PolicyContact,
    Sealed,
    SubscriptionActivated,
    new_envelope,
)
from allwan_notifier.adapters.parked import document, parked_letter
from allwan_notifier.domain.deliveries import FINAL, Delivery, Kind, State
from allwan_notifier.domain.fanout import FanoutJob
from allwan_notifier.domain.mail import Mail
from allwan_notifier.domain.parked import ParkedLetter
from allwan_notifier.domain.recipients import (
    Address,
    ConsentStatus,
    MarketingConsent,
    Recipient,
)
from allwan_notifier.handlers.ports import SendDeferred, SendRefused
from allwan_runtime.keystore import InMemoryKeyStore, Purpose
from allwan_runtime.memory import InMemoryEventStore

from tests.builders import order_placed as build_order_placed

WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
CONTACT = PolicyContact(phone="0563120415", whatsapp="0563120415", email="privacy@example.com")
NOTIFIER_PURPOSES = frozenset(
    {
        Purpose.POLICY_NOTICES,
        Purpose.ORDER_RECEIPTS,
        Purpose.CONSENT_NOTICES,
        Purpose.MARKETING,
        Purpose.DATA_ACCESS,
        Purpose.LEGAL_OBLIGATION,
    }
)


class KeyStoreSpy(InMemoryKeyStore):
    """The runtime's in-memory key store, noting the purpose of every ``open`` (C4)."""

    def __init__(self, purposes: Collection[Purpose] = NOTIFIER_PURPOSES) -> None:
        super().__init__(purposes, service="notifier")
        self.opened: list[Purpose] = []

    async def open(self, sealed: Sealed, *, field: str, purpose: Purpose) -> str:
        opened = await super().open(sealed, field=field, purpose=purpose)
        self.opened.append(purpose)
        return opened


class EventStoreSpy(InMemoryEventStore):
    """The runtime's in-memory event store, noting each stream it reads (a round trip on
    MongoDB) and failing the next appends with ``append_failures`` (not written) or
    ``lost_answers`` (written, then a lost connection)."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.append_failures: list[Exception] = []
        self.lost_answers = 0

    async def load(self, stream_id: str) -> list[Envelope]:
        self.loads.append(stream_id)
        return await super().load(stream_id)

    async def append(self, events: Sequence[Envelope], *, expected_version: int) -> int:
        if self.append_failures:
            raise self.append_failures.pop(0)
        version = await super().append(events, expected_version=expected_version)
        if self.lost_answers:
            self.lost_answers -= 1
            raise ConnectionResetError("the answer to a write that landed")
        return version


class FakeLedger:
    """Entries by id, with the insert-only rules: one claim, one record per attempt, one
    outcome."""

    def __init__(self) -> None:
        self.entries: dict[str, Delivery] = {}
        self.attempts: set[tuple[str, int]] = set()
        self.fail_outcome: State | None = None

    async def claim(self, entry: Delivery) -> bool:
        if entry.id in self.entries:
            return False
        self.entries[entry.id] = entry
        return True

    async def claim_many(self, entries: Sequence[Delivery]) -> int:
        return sum([await self.claim(entry) for entry in entries])

    async def get(self, delivery_id: str) -> Delivery | None:
        return self.entries.get(delivery_id)

    async def begin_attempt(self, entry: Delivery) -> bool:
        if (entry.id, entry.attempts) in self.attempts:
            return False
        self.attempts.add((entry.id, entry.attempts))
        self.entries[entry.id] = entry
        return True

    async def finish(self, entry: Delivery) -> bool:
        if entry.state is self.fail_outcome:
            raise ConnectionError("mongo went away")
        if self.entries[entry.id].state in FINAL:
            return False
        self.entries[entry.id] = entry
        return True

    async def of_job(self, job_id: str) -> AsyncIterator[Delivery]:
        for entry in [e for e in self.entries.values() if e.job == job_id]:
            yield entry

    async def count_job(self, job_id: str) -> int:
        return sum(entry.job == job_id for entry in self.entries.values())

    async def of_customer(self, customer_id: str) -> list[Delivery]:
        return [
            entry
            for entry in self.entries.values()
            if entry.customer_id == customer_id and entry.state is not State.PENDING
        ]

    def of_kind(self, kind: Kind) -> list[Delivery]:
        return [entry for entry in self.entries.values() if entry.kind is kind]


class FakeBook:
    """The address book's rules: the newest address wins, an erased customer takes none."""

    def __init__(self) -> None:
        self.addresses: dict[str, Address] = {}
        self.applied_at: dict[str, datetime] = {}
        self.consents: dict[str, dict[str, ConsentStatus]] = {}
        self.erased: set[str] = set()
        self.redacted: list[str] = []

    async def remember(self, customer_id: str, address: Address, at: datetime) -> None:
        if customer_id in self.erased or self.applied_at.get(customer_id, at) > at:
            return
        old = self.addresses.get(customer_id)
        locale = address.locale or (old.locale if old else None)
        self.addresses[customer_id] = Address(address.email, locale)
        self.applied_at[customer_id] = at

    async def record_consent(
        self, customer_id: str, purpose: str, status: ConsentStatus, version: int
    ) -> None:
        self.consents.setdefault(customer_id, {})[purpose] = status

    async def erase(self, customer_id: str, version: int) -> None:
        await self.redact(customer_id)

    async def redact(self, customer_id: str) -> None:
        self.erased.add(customer_id)
        self.addresses.pop(customer_id, None)
        self.redacted.append(customer_id)

    async def recipient(self, customer_id: str) -> Recipient:
        return Recipient(
            customer_id, self.addresses.get(customer_id), erased=customer_id in self.erased
        )

    async def marketing_consent(self, customer_id: str) -> MarketingConsent:
        status = self.consents.get(customer_id, {}).get("marketing")
        return MarketingConsent(status, erased=customer_id in self.erased)

    async def relationships(self) -> AsyncIterator[str]:
        for customer_id in [*self.addresses, *self.consents]:
            if customer_id not in self.erased:
                yield customer_id

    async def marketing_audience(self) -> AsyncIterator[str]:
        for customer_id in list(self.consents):
            if (await self.marketing_consent(customer_id)).allows_marketing():
                yield customer_id


class FakeParkedLetters:
    """Parked letters by ledger id, one insert each, kept in the MongoDB adapter's documents
    (``adapters.parked.document``): every letter a test releases is a rebuilt one."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}

    async def park(self, parked: ParkedLetter) -> ParkedLetter:
        if parked.id in self.documents:
            return parked_letter(self.documents[parked.id])
        self.documents[parked.id] = document(parked)
        return parked

    async def of_customer(self, customer_id: str) -> list[ParkedLetter]:
        found = [
            parked_letter(doc)
            for doc in self.documents.values()
            if doc["customer_id"] == customer_id
        ]
        return sorted(found, key=lambda parked: (parked.parked_at, parked.id))

    async def parked_before(self, when: datetime) -> list[ParkedLetter]:
        found = [parked_letter(doc) for doc in self.documents.values() if doc["parked_at"] < when]
        return sorted(found, key=lambda parked: parked.parked_at)

    async def discard(self, letter_id: str) -> None:
        self.documents.pop(letter_id, None)


@dataclass
class FakeSender:
    """Records what it was handed; ``failures`` are raised, one per send, before any success;
    addresses in ``refused`` get a permanent 550; with a ``gate``, each send waits (as a slow
    server) until it opens."""

    sent: list[Mail] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)
    attempts: int = 0
    gate: asyncio.Event | None = None
    waiting: int = 0

    async def send(self, mail: Mail) -> str:
        self.attempts += 1
        if self.gate is not None:
            self.waiting += 1
            await self.gate.wait()
            self.waiting -= 1
        if self.failures:
            raise self.failures.pop(0)
        if mail.to in self.refused:
            raise SendRefused(550)
        self.sent.append(mail)
        return "250 2.0.0 Ok: queued"

    def to(self, address: str) -> list[Mail]:
        return [mail for mail in self.sent if mail.to == address]


def deferred(times: int) -> list[Exception]:
    return [SendDeferred("smtp_421") for _ in range(times)]


class FakeJobs:
    def __init__(self) -> None:
        self.jobs: dict[str, FanoutJob] = {}
        self.contacts: dict[int, PolicyContact] = {}
        self.saves = 0

    async def record(self, job: FanoutJob) -> bool:
        if job.id in self.jobs:
            return False
        self.jobs[job.id] = job
        return True

    async def get(self, job_id: str) -> FanoutJob | None:
        return self.jobs.get(job_id)

    async def unfinished(self) -> list[FanoutJob]:
        return [job for job in self.jobs.values() if job.phase.value != "done"]

    async def save(self, job: FanoutJob) -> None:
        self.jobs[job.id] = job
        self.saves += 1

    async def remember_contact(self, version: int, contact: PolicyContact) -> None:
        self.contacts.setdefault(version, contact)

    async def contact_for(self, version: int) -> PolicyContact | None:
        return self.contacts.get(version)


@dataclass
class FakeLease:
    held: bool = True

    async def hold(self) -> bool:
        return self.held


@dataclass
class FakeMetrics:
    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def counted(self, kind: Kind, outcome: State | str) -> None:
        key = (kind.value, str(outcome))
        self.counts[key] = self.counts.get(key, 0) + 1


def envelope(event: Event, *, producer: str = "consent", version: int = 1) -> Envelope:
    return new_envelope(
        event,
        aggregate_version=version,
        producer=producer,
        correlation_id=uuid.uuid4(),
        occurred_at=WHEN,
    )


def policy_changed(version: int, *, material: bool, summary_en: str = "A change") -> PolicyChanged:
    return PolicyChanged(
        version=version,
        effective_at=WHEN,
        material=material,
        summary_ar="تغيير في طريقة حفظ البيانات",
        summary_en=summary_en,
        url=f"https://allwanstores.com/privacy/v{version}",
    )


def order_placed(
    secrets: InMemoryKeyStore, customer_id: str, email: str, locale: Any
) -> OrderPlaced:
    contact = CustomerContact(
        name=secrets.seal_now(customer_id, "name", "Sara"),
        email=secrets.seal_now(customer_id, "email", email),
        phone=secrets.seal_now(customer_id, "phone", "0500000000"),
    )
    return build_order_placed(customer_id, contact, locale=locale, payment_token="tok_unit")


def activated(placed: OrderPlaced) -> SubscriptionActivated:
    return SubscriptionActivated(
        order_id=placed.order_id,
        customer_id=placed.customer_id,
        plan_id=placed.plan_id,
        starts_at=WHEN,
        ends_at=WHEN + timedelta(days=365),
        delivery_reference="act-1",
    )


def _change(customer_id: str) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "purpose": ConsentPurpose.MARKETING,
        "channel": Channel.WEB,
        "policy_version": 1,
        "recorded_by": "customer",
        "evidence": ConsentEvidence(user_agent_hmac="ab" * 32),
    }


def granted(customer_id: str) -> ConsentGranted:
    return ConsentGranted(**_change(customer_id))


def withdrawn(customer_id: str) -> ConsentWithdrawn:
    return ConsentWithdrawn(**_change(customer_id))


def reconfirmation(customer_id: str) -> ConsentReconfirmationRequired:
    return ConsentReconfirmationRequired(
        customer_id=customer_id,
        purpose=ConsentPurpose.MARKETING,
        granted_under_version=1,
        policy_version=2,
        recorded_by="service:consent",
    )


def erased(customer_id: str) -> CustomerErased:
    return CustomerErased(
        customer_id=customer_id,
        erased_at=WHEN,
        reason=ErasureReason.CUSTOMER_REQUEST,
        requested_via=Channel.EMAIL,
    )
