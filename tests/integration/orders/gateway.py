"""A stand-in for the gateway: seals personal fields under the customer's key and puts intake
events on Kafka, as the real gateway's relay does; and helpers that read every byte back."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import bson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from allwan_contracts import AgeAttestation, CustomerContact, Event, new_envelope
from allwan_contracts.intake import OrderRequested, OrderSource, WebhookReceived, WebhookSource
from allwan_runtime.keystore import KeyStore
from allwan_runtime.wire import message_headers, message_value
from pymongo import AsyncMongoClient

SYSTEM_DATABASES = frozenset({"admin", "local", "config"})


@dataclass
class Person:
    """A customer with personal data unique to one test run."""

    customer_id: str
    name: str
    email: str
    phone: str
    address: str

    @classmethod
    def make(cls, run: str, n: int) -> Person:
        tag = f"{run}{n:03d}"
        digits = str(int(hashlib.sha256(tag.encode()).hexdigest(), 16))[:8]
        return cls(
            customer_id=f"c-{tag}",
            name=f"Noura Qahtani {tag}",
            email=f"noura.{tag}@example.com",
            phone=f"+9665{digits}",
            address=f"{n} Prince Sultan St {tag}, Jeddah 23511",
        )

    def plaintexts(self) -> list[str]:
        return [self.name, self.email, self.phone, self.address]


@dataclass
class Gateway:
    """Writes intake events as the gateway named ``producer`` would."""

    bootstrap: str
    keys: KeyStore
    producer: str
    topic_prefix: str = ""
    _versions: dict[str, int] = field(default_factory=dict)
    _kafka: AIOKafkaProducer | None = None

    async def __aenter__(self) -> Gateway:
        self._kafka = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
        await self._kafka.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._kafka is not None
        await self._kafka.stop()

    async def contact(self, person: Person, **plain: str) -> CustomerContact:
        values = {
            "name": person.name,
            "email": person.email,
            "phone": person.phone,
            "billing_address": person.address,
        } | plain
        return CustomerContact(
            **{k: await self.keys.seal(person.customer_id, k, v) for k, v in values.items()}
        )

    async def order(self, order_id: str, person: Person, **overrides: Any) -> uuid.UUID:
        contact = overrides.pop("contact", None) or await self.contact(person)
        fields: dict[str, Any] = {
            "order_id": order_id,
            "customer_id": person.customer_id,
            "requested_by": "customer",
            "plan_id": "shahid-vip-1m",
            "quantity": 1,
            "contact": contact,
            "age_attestation": AgeAttestation.LEGAL_AGE,
            "payment_token": f"tok_{order_id}",
            "locale": "ar",
            "source": OrderSource.STOREFRONT,
        }
        return await self.send(OrderRequested(**(fields | overrides)))

    async def webhook(self, body: dict[str, Any]) -> str:
        text = json.dumps(body, ensure_ascii=False)
        delivery_id = hashlib.sha256(text.encode()).hexdigest()
        sealed = await self.keys.seal(f"webhook:{delivery_id}", "body", text)
        received = WebhookReceived(
            delivery_id=delivery_id,
            source=WebhookSource.SALLA,
            received_at=datetime.now(UTC),
            body=sealed,
        )
        await self.send(received)
        return delivery_id

    async def send(self, event: Event, *, version: int | None = None) -> uuid.UUID:
        """Put one intake event on its topic; ``version`` repeats an earlier one (a retry)."""
        stream = event.aggregate_id()
        if version is None:
            version = self._versions.get(stream, 0) + 1
            self._versions[stream] = version
        envelope = new_envelope(
            event, aggregate_version=version, producer=self.producer, correlation_id=uuid.uuid4()
        )
        assert self._kafka is not None
        await self._kafka.send_and_wait(
            self.topic_prefix + event.topic,
            value=message_value(envelope),
            key=stream.encode(),
            headers=message_headers(envelope),
        )
        return envelope.event_id


async def every_record(bootstrap: str, prefix: str) -> list[bytes]:
    """Keys, values and headers of every record of every allwan topic of the run whose topic
    prefix is ``prefix``, from the start (other runs' topics hold other runs' data)."""
    lister = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await lister.start()
    try:
        topics = sorted(t for t in await lister.topics() if t.startswith(f"{prefix}allwan."))
    finally:
        await lister.stop()
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    chunks: list[bytes] = []
    try:
        async with asyncio.timeout(30):
            while not consumer.assignment():
                await consumer.getmany(timeout_ms=100)  # nothing read yet without an assignment
        await consumer.seek_to_beginning()
        ends = await consumer.end_offsets(list(consumer.assignment()))

        async def behind() -> bool:
            for tp, end in ends.items():
                if await consumer.position(tp) < end:
                    return True
            return False

        async with asyncio.timeout(60):
            while await behind():
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for record in records:
                        chunks += [record.key or b"", record.value or b""]
                        chunks += [value for _, value in record.headers]
        return chunks
    finally:
        await consumer.stop()


async def every_document(mongo_url: str) -> AsyncIterator[tuple[str, bytes]]:
    """Every document of every collection of every database, as BSON."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url, tz_aware=True)
    try:
        for name in await client.list_database_names():
            if name in SYSTEM_DATABASES:
                continue
            db = client[name]
            for collection in await db.list_collection_names():
                async for doc in db[collection].find():
                    yield f"{name}.{collection}", bson.encode(doc)
    finally:
        await client.close()
