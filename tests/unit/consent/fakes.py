"""Hand-written fakes of the consent service's ports, and builders of its inputs."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import uuid
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from allwan_contracts import (
    Channel,
    ConsentEvidence,
    ConsentPurpose,
    CustomerContact,
    Envelope,
    Event,
    OrderPlaced,
    PolicyContact,
    Sealed,
    new_envelope,
)
from allwan_contracts.intake import (
    ConsentAction,
    ConsentChangeRequested,
    PolicyPublishRequested,
    WebhookReceived,
    WebhookSource,
)
from allwan_runtime.aggregate import Aggregate
from allwan_runtime.eventstore import ConcurrencyConflict
from allwan_runtime.keystore import ERASED, Purpose, PurposeNotGranted

from tests.builders import order_placed as build_order_placed

A = TypeVar("A", bound=Aggregate)
WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
CONTACT = PolicyContact(phone="0563120415", whatsapp="0563120415", email="privacy@example.com")
_counter = itertools.count()


class FakeAggregates(Generic[A]):
    """Streams in memory, with the event store's optimistic concurrency and causation."""

    def __init__(self, aggregate: type[A]) -> None:
        self._aggregate = aggregate
        self.streams: dict[str, list[tuple[Any, UUID | None]]] = {}
        self.conflicts_to_raise = 0

    async def get(self, aggregate_id: str) -> A:
        return self._aggregate.rehydrate(aggregate_id, self.events(aggregate_id))

    async def save(
        self, aggregate: A, *, correlation_id: UUID, causation_id: UUID | None = None
    ) -> int:
        stream = self.streams.setdefault(aggregate.id, [])
        if self.conflicts_to_raise or aggregate.version != len(stream):
            self.conflicts_to_raise = max(0, self.conflicts_to_raise - 1)
            raise ConcurrencyConflict(f"{aggregate.aggregate_type}:{aggregate.id}", len(stream))
        stream.extend((event, causation_id) for event in aggregate.collect())
        return len(stream)

    async def handled(self, aggregate_id: str, input_id: UUID) -> bool:
        return any(cause == input_id for _, cause in self.streams.get(aggregate_id, []))

    async def ids(self) -> list[str]:
        return sorted(self.streams)

    def events(self, aggregate_id: str) -> list[Any]:
        return [event for event, _ in self.streams.get(aggregate_id, [])]

    def all_events(self) -> list[Any]:
        return [event for stream in self.streams.values() for event, _ in stream]


class FakeSecrets:
    """A key store that keeps plaintexts in a dict and forgets a subject's on shred."""

    def __init__(self, purposes: frozenset[Purpose] = frozenset({Purpose.CONSENT_MATCHING})):
        self._purposes = purposes
        self._plain: dict[tuple[str, str, str], str] = {}
        self.shredded: set[str] = set()

    def seal(self, subject: str, field: str, plaintext: str) -> Sealed:
        ct = base64.urlsafe_b64encode(hashlib.sha256(f"{next(_counter)}".encode()).digest())
        sealed = Sealed(
            alg="A256GCM", kid=subject, iv="AAECAwQFBgcICQoL", ct=ct.rstrip(b"=").decode()
        )
        self._plain[(subject, field, sealed.ct)] = plaintext
        return sealed

    async def open(self, sealed: Sealed, *, field: str, purpose: Purpose) -> str:
        if purpose not in self._purposes:
            raise PurposeNotGranted("consent", purpose)
        if sealed.kid in self.shredded:
            return ERASED
        return self._plain[(sealed.kid, field, sealed.ct)]

    async def shred(self, subject: str) -> bool:
        fresh = subject not in self.shredded
        self.shredded.add(subject)
        return fresh

    async def is_erased(self, subject: str) -> bool:
        return subject in self.shredded

    def blind_index(self, kind: str, value: str) -> str:
        return hashlib.sha256(f"test-key|{kind}|{value}".encode()).hexdigest()


class FakePhoneIndex:
    def __init__(self) -> None:
        self.entries: set[tuple[str, str]] = set()

    async def add(self, phone_hash: str, customer_id: str) -> None:
        self.entries.add((phone_hash, customer_id))

    async def customers(self, phone_hash: str) -> list[str]:
        return sorted(customer for hashed, customer in self.entries if hashed == phone_hash)

    async def forget(self, customer_id: str) -> None:
        self.entries = {entry for entry in self.entries if entry[1] != customer_id}


def envelope(event: Event, producer: str = "gateway", version: int = 1) -> Envelope:
    return new_envelope(
        event, aggregate_version=version, producer=producer, correlation_id=uuid.uuid4()
    )


def consent_request(
    customer_id: str,
    action: ConsentAction,
    purpose: ConsentPurpose = ConsentPurpose.MARKETING,
    channel: Channel = Channel.WEB,
    evidence: ConsentEvidence | None = None,
    requested_by: str = "customer",
) -> ConsentChangeRequested:
    return ConsentChangeRequested(
        customer_id=customer_id,
        requested_by=requested_by,
        action=action,
        purpose=purpose,
        channel=channel,
        evidence=evidence or ConsentEvidence(ip_hmac="ab" * 32, user_agent_hmac="cd" * 32),
    )


def order_placed(
    secrets: FakeSecrets,
    customer_id: str,
    *,
    order_id: str = "ord-1",
    phone: str = "0563120415",
    marketing_opt_in: bool = False,
    policy_version: int = 1,
) -> OrderPlaced:
    contact = CustomerContact(
        name=secrets.seal(customer_id, "name", "Sara"),
        email=secrets.seal(customer_id, "email", "sara@example.com"),
        phone=secrets.seal(customer_id, "phone", phone),
    )
    return build_order_placed(
        customer_id,
        contact,
        order_id=order_id,
        marketing_opt_in=marketing_opt_in,
        policy_version=policy_version,
    )


def publish_request(material: bool, text_en: str = "Privacy policy") -> PolicyPublishRequested:
    return PolicyPublishRequested(
        text_ar="سياسة الخصوصية",
        text_en=text_en,
        summary_ar="تغيير",
        summary_en="A change",
        material=material,
        effective_at=WHEN,
        requested_by="staff:7",
    )


def whatsapp_body(*messages: dict[str, Any], statuses: int = 0) -> str:
    """A Cloud API webhook body as WhatsApp sends it."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "966563120415", "phone_number_id": "1234567"},
    }
    if messages:
        value["contacts"] = [
            {"profile": {"name": "Sara"}, "wa_id": m.get("from")} for m in messages
        ]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = [
            {
                "id": f"wamid.status{n}",
                "status": "delivered",
                "timestamp": "1750857384",
                "recipient_id": "966500000000",
            }
            for n in range(statuses)
        ]
    change = {"value": value, "field": "messages"}
    return json.dumps(
        {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [change]}]}
    )


def text_message(
    sender: str, body: str, message_id: str = "wamid.HBgLOTY2NTYzMTIw"
) -> dict[str, Any]:
    return {
        "from": sender,
        "id": message_id,
        "timestamp": "1750857384",
        "type": "text",
        "text": {"body": body},
    }


def webhook(
    secrets: FakeSecrets, body: str, source: WebhookSource = WebhookSource.WHATSAPP
) -> WebhookReceived:
    delivery_id = hashlib.sha256(body.encode()).hexdigest()
    return WebhookReceived(
        delivery_id=delivery_id,
        source=source,
        received_at=WHEN,
        body=secrets.seal(f"webhook:{delivery_id}", "body", body),
    )
