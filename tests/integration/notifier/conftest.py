"""A notifier of its own for each test, on the real Kafka, FerretDB/MongoDB and SMTP.

Each test runs the notifier under its own name (``notifier-<run>``: fresh consumer groups,
database and key store) and topic prefix, and plays the orders, consent and privacy services
under names of its own, which the notifier obeys. Recipients are ``<customer>@<run>.example.com``,
so a test finds its own mail in Mailpit, which every test of the session shares. Where a
test must make the SMTP server fail it runs its own (``SmtpServer``, aiosmtpd, in-process).
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, TypeVar

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import RecordMetadata, TopicPartition
from aiosmtpd import smtp as aiosmtpd_smtp
from allwan_contracts import (
    AgeAttestation,
    Channel,
    ConsentEvidence,
    ConsentPurpose,
    CustomerContact,
    CustomerContactChanged,
    Envelope,
    Event,
    OrderPlaced,
    PolicyChanged,
    PolicyContact,
    PolicyDocumentPublished,
    new_envelope,
)
from allwan_devstack import Endpoints
from allwan_notifier.bootstrap import NotifierService
from allwan_notifier.entrypoints.app import build
from allwan_notifier.settings import NotifierSettings
from allwan_runtime.kafka import idempotent_producer
from allwan_runtime.keystore import KeyStore, MasterKeyring, generate_master_key
from allwan_runtime.service import ServiceRuntime, topic_for
from allwan_runtime.wire import message_headers, message_value
from pydantic import SecretStr
from pymongo import AsyncMongoClient

from tests.integration.ports import ReservedPort
from tests.waiting import eventually

T = TypeVar("T")
WHEN_PUBLISHED = "2026-03-01T09:30:00+00:00"


@dataclass
class Run:
    """One test's names and keys, and how it plays the orders, consent and privacy services."""

    servers: Endpoints
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    master_keys: str = field(default_factory=lambda: f"k1:{generate_master_key()}")
    index_key: str = field(default_factory=generate_master_key)

    @property
    def name(self) -> str:
        return f"notifier-{self.id}"

    @property
    def prefix(self) -> str:
        return f"t{self.id}."

    @property
    def keys_db(self) -> str:
        return f"keys_{self.id}"

    @property
    def database(self) -> str:
        return f"allwan_notifier_{self.id}"

    @property
    def orders(self) -> str:
        return f"orders-{self.id}"

    @property
    def consent(self) -> str:
        return f"consent-{self.id}"

    @property
    def privacy(self) -> str:
        return f"privacy-{self.id}"

    def address(self, customer_id: str) -> str:
        return f"{customer_id}@{self.id}.example.com"

    def settings(self, **changes: Any) -> NotifierSettings:
        values: dict[str, Any] = {
            "service_name": self.name,
            "kafka_topic_prefix": self.prefix,
            "kafka_bootstrap": self.servers.kafka_bootstrap,
            "mongo_url": SecretStr(self.servers.mongo_url),
            "keys_db": self.keys_db,
            "master_keys": SecretStr(self.master_keys),
            "blind_index_key": SecretStr(self.index_key),
            "orders_producer": self.orders,
            "consent_producer": self.consent,
            "privacy_producer": self.privacy,
            "relay_poll_interval_s": 0.05,
            "smtp_host": self.servers.smtp_host,
            "smtp_port": self.servers.smtp_port,
            "smtp_tls": "none",
            "smtp_timeout_s": 10,
            "send_rate_per_s": 500,
            "send_burst": 50,
            "send_backoff_initial_s": 0.1,
            "send_backoff_max_s": 0.5,
            "fanout_poll_interval_s": 0.2,
            "fanout_lease_s": 1,
            "fanout_progress_interval_s": 0.2,
            "consumer_backoff_initial_s": 0.05,
            "consumer_backoff_max_s": 0.2,
            "graceful_timeout_s": 5,
        }
        return NotifierSettings(**(values | changes))

    def keystore(self, mongo: AsyncMongoClient[dict[str, Any]], service: str) -> KeyStore:
        """The key store as another service sees it (sealing; the consent service shreds)."""
        ring = MasterKeyring.parse(self.master_keys, self.index_key)
        return KeyStore(mongo[self.keys_db], ring, service=service, purposes=())


class Producers:
    """Puts events on the run's topics as the orders and consent services would."""

    def __init__(self, run: Run, producer: AIOKafkaProducer, keys: KeyStore) -> None:
        self.run = run
        self.keys = keys
        self._producer = producer
        self._versions: dict[str, int] = {}

    async def send(self, event: Event, *, as_: str, version: int | None = None) -> Envelope:
        aggregate = f"{event.aggregate_type}:{event.aggregate_id()}"
        if version is None:
            version = self._versions.get(aggregate, 0) + 1
        self._versions[aggregate] = max(version, self._versions.get(aggregate, 0))
        producer = {"orders": self.run.orders, "privacy": self.run.privacy}.get(
            as_, self.run.consent
        )
        envelope = new_envelope(
            event, aggregate_version=version, producer=producer, correlation_id=uuid.uuid4()
        )
        await self.resend(envelope)
        return envelope

    async def resend(self, envelope: Envelope) -> RecordMetadata:
        """The same envelope again: at-least-once delivery redelivers records. Where it landed
        (to wait for a consumer group to be past it)."""
        return await self._producer.send_and_wait(
            f"{self.run.prefix}{topic_for(envelope)}",
            value=message_value(envelope),
            key=envelope.aggregate_id.encode(),
            headers=message_headers(envelope),
        )

    async def contact(self, customer_id: str) -> CustomerContact:
        return CustomerContact(
            name=await self.keys.seal(customer_id, "name", "Sara"),
            email=await self.keys.seal(customer_id, "email", self.run.address(customer_id)),
            phone=await self.keys.seal(customer_id, "phone", "0500000000"),
        )

    async def order(self, customer_id: str, locale: str) -> OrderPlaced:
        """An order by the customer (its receipt goes out, and the address book learns)."""
        placed = OrderPlaced(
            order_id=f"ord-{uuid.uuid4().hex[:12]}",
            customer_id=customer_id,
            plan_id="shahid-vip-12m",
            quantity=1,
            unit_price_halalas=19_900,
            subtotal_halalas=19_900,
            vat_rate_percent=15,
            vat_halalas=2_985,
            total_halalas=22_885,
            currency="SAR",
            contact=await self.contact(customer_id),
            age_attestation=AgeAttestation.LEGAL_AGE,
            payment_token="tok_itest",
            policy_version=1,
            locale=locale,
        )
        await self.send(placed, as_="orders")
        return placed

    async def contact_changed(self, customer_id: str) -> None:
        """A customer known from Salla: an email, no language (the store's default)."""
        changed = CustomerContactChanged(
            customer_id=customer_id, contact=await self.contact(customer_id), channel=Channel.SALLA
        )
        await self.send(changed, as_="orders")

    async def policy(
        self, version: int, *, material: bool, contact: PolicyContact | None = None
    ) -> Envelope:
        """Version ``version`` as the consent service publishes it: texts, then the change."""
        contact = contact or PolicyContact(
            phone="0563120415", whatsapp="0563120415", email=f"privacy@{self.run.id}.example.com"
        )
        document = PolicyDocumentPublished(
            version=version,
            text_ar=f"سياسة الخصوصية {version}",
            text_en=f"Privacy policy {version}",
            contact=contact,
            published_by="staff:7",
        )
        await self.send(document, as_="consent", version=2 * version - 1)
        changed = PolicyChanged(
            version=version,
            effective_at=WHEN_PUBLISHED,
            material=material,
            summary_ar=f"تغيير جوهري رقم {version}" if material else "تصحيح لغوي",
            summary_en=f"Material change number {version}" if material else "Wording fixes",
            url=f"https://allwanstores.com/privacy/v{version}",
        )
        return await self.send(changed, as_="consent", version=2 * version)

    @staticmethod
    def evidence() -> dict[str, Any]:
        return {
            "purpose": ConsentPurpose.MARKETING,
            "channel": Channel.WEB,
            "policy_version": 1,
            "recorded_by": "customer",
            "evidence": ConsentEvidence(user_agent_hmac="ab" * 32),
        }


@dataclass
class Notifier:
    run: Run
    settings: NotifierSettings
    runtime: ServiceRuntime
    service: NotifierService
    events: Producers

    async def job_done(self, job_id: str) -> bool:
        job = await self.service.jobs.get(job_id)
        return job is not None and job.phase.value == "done"

    async def knows(self, customer_id: str) -> bool:
        """Whether the address book has an address for ``customer_id``."""
        return (await self.service.book.recipient(customer_id)).address is not None

    async def mail_read_past(self, record: RecordMetadata) -> None:
        """Wait until the mail group committed an offset beyond ``record``: it handled it,
        and every record before it on its partition (offsets are committed once handled)."""
        place = TopicPartition(record.topic, record.partition)
        admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap)
        await admin.start()

        async def past() -> bool:
            committed = await admin.list_consumer_group_offsets(
                f"{self.settings.service_name}.mail", partitions=[place]
            )
            mark = committed.get(place)
            return mark is not None and mark.offset > record.offset

        try:
            await eventually(past, timeout=60, what="the mail group past the record")
        finally:
            await admin.close()


@pytest.fixture
async def run(servers: Endpoints) -> AsyncIterator[Run]:
    run = Run(servers)
    yield run
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
    await client.drop_database(run.database)
    await client.drop_database(run.keys_db)
    await client.close()


@pytest.fixture
async def events(run: Run) -> AsyncIterator[Producers]:
    producer = idempotent_producer(run.servers.kafka_bootstrap, f"itest-{run.id}")
    await producer.start()
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(run.servers.mongo_url)
    try:
        yield Producers(run, producer, run.keystore(mongo, "orders"))
    finally:
        await producer.stop()
        await mongo.close()


@contextlib.asynccontextmanager
async def running(run: Run, events: Producers, **changes: Any) -> AsyncIterator[Notifier]:
    """The notifier in this process, as ``allwan-notifier serve`` runs it, minus HTTP."""
    settings = run.settings(**changes)
    runtime, service = build(settings)
    async with runtime.running():
        await service.start()
        try:
            yield Notifier(run, settings, runtime, service, events)
        finally:
            await service.stop()
            await service.close()


@pytest.fixture
async def notifier(run: Run, events: Producers) -> AsyncIterator[Notifier]:
    async with running(run, events) as notifier:
        yield notifier


class Mailpit:
    """The dev stack's captured mail, through Mailpit's HTTP API."""

    def __init__(self, url: str) -> None:
        self._client = httpx.AsyncClient(base_url=url, timeout=10)

    async def messages(self, query: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            answer = await self._client.get(
                "/api/v1/search", params={"query": query, "start": len(found), "limit": 200}
            )
            answer.raise_for_status()
            page = answer.json()
            found += page["messages"]
            if not page["messages"] or len(found) >= page["messages_count"]:
                return found

    async def message(self, message_id: str) -> dict[str, Any]:
        answer = await self._client.get(f"/api/v1/message/{message_id}")
        answer.raise_for_status()
        return dict(answer.json())

    async def headers(self, message_id: str) -> dict[str, list[str]]:
        answer = await self._client.get(f"/api/v1/message/{message_id}/headers")
        answer.raise_for_status()
        return dict(answer.json())

    async def close(self) -> None:
        await self._client.aclose()


@pytest.fixture
async def mailpit(servers: Endpoints) -> AsyncIterator[Mailpit]:
    if servers.mail_api_url is None:
        pytest.skip("these servers have no mail API")
    box = Mailpit(servers.mail_api_url)
    yield box
    await box.close()


class SmtpServer:
    """An SMTP server in this process that a test can make fail: down, deferring (451),
    refusing recipients (550), or holding messages in DATA until released. Its port is
    reserved from the start: until ``start``, connections to it are refused."""

    def __init__(self) -> None:
        self._reserved = ReservedPort()
        self.port = self._reserved.port
        self.messages: list[EmailMessage] = []
        self.refused: set[str] = set()
        self.defer = 0
        self.hold_after: int | None = None
        self.held = 0
        self._gate = asyncio.Event()
        self._dropping = False
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: aiosmtpd_smtp.SMTP(self, loop=loop), host="127.0.0.1", port=self.port
        )

    async def stop(self) -> None:
        self.release(drop=True)
        if self._server is not None:
            self._server.close()
            self._server = None
        self._reserved.release()

    def release(self, *, drop: bool) -> None:
        """Let held messages go: stored (``drop=False``) or refused with 451 (the client
        never had its 250, so the message was never accepted)."""
        self._dropping = drop
        self.hold_after = None
        self._gate.set()

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.defer > 0:
            self.defer -= 1
            return "451 4.3.0 try again later"
        if self.hold_after is not None and len(self.messages) >= self.hold_after:
            self.held += 1
            await self._gate.wait()
            if self._dropping:
                return "451 4.3.0 aborted"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 2.0.0 OK queued"
