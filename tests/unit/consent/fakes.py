"""The phone index in memory (the runtime has none), and builders of the service's inputs
(sealed with the runtime's ``InMemoryKeyStore``)."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from allwan_contracts import (
    Channel,
    ConsentEvidence,
    ConsentPurpose,
    CustomerContact,
    Envelope,
    Event,
    OrderPlaced,
    PolicyContact,
    new_envelope,
)
from allwan_contracts.intake import (
    ConsentAction,
    ConsentChangeRequested,
    PolicyPublishRequested,
    WebhookReceived,
    WebhookSource,
)
from allwan_runtime.keystore import InMemoryKeyStore

from tests.builders import order_placed as build_order_placed

WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
CONTACT = PolicyContact(phone="0563120415", whatsapp="0563120415", email="privacy@example.com")


class FakePhoneIndex:
    """``handlers.ports.PhoneIndex`` in a set of (phone hash, customer) pairs."""

    def __init__(self) -> None:
        self.entries: set[tuple[str, str]] = set()

    async def add(self, phone_hash: str, customer_id: str) -> None:
        self.entries.add((phone_hash, customer_id))

    async def customers(self, phone_hash: str) -> list[str]:
        return sorted(customer for hashed, customer in self.entries if hashed == phone_hash)

    async def forget(self, customer_id: str) -> None:
        self.entries = {entry for entry in self.entries if entry[1] != customer_id}

    async def replace(self, customer_id: str, phone_hash: str) -> None:
        await self.forget(customer_id)
        await self.add(phone_hash, customer_id)


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
    secrets: InMemoryKeyStore,
    customer_id: str,
    *,
    order_id: str = "ord-1",
    phone: str = "0563120415",
    marketing_opt_in: bool = False,
    policy_version: int = 1,
) -> OrderPlaced:
    contact = CustomerContact(
        name=secrets.seal_now(customer_id, "name", "Sara"),
        email=secrets.seal_now(customer_id, "email", "sara@example.com"),
        phone=secrets.seal_now(customer_id, "phone", phone),
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
    secrets: InMemoryKeyStore, body: str, source: WebhookSource = WebhookSource.WHATSAPP
) -> WebhookReceived:
    delivery_id = hashlib.sha256(body.encode()).hexdigest()
    return WebhookReceived(
        delivery_id=delivery_id,
        source=source,
        received_at=WHEN,
        body=secrets.seal_now(f"webhook:{delivery_id}", "body", body),
    )
