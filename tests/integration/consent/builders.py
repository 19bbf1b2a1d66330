"""Inputs of the consent service, sealed with its real key store."""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from datetime import UTC, datetime

from allwan_contracts import (
    Channel,
    ConsentEvidence,
    ConsentPurpose,
    CustomerContact,
    OrderPlaced,
)
from allwan_contracts.intake import (
    ConsentAction,
    ConsentChangeRequested,
    PolicyPublishRequested,
    WebhookReceived,
    WebhookSource,
)
from allwan_runtime.keystore import KeyStore

from tests.builders import order_placed


def new_customer() -> str:
    return f"c-{uuid.uuid4().hex[:16]}"


def new_mobile() -> str:
    """A Saudi mobile number as a customer types it: 05XXXXXXXX."""
    return f"05{random.randrange(10**8):08d}"


async def order(
    keys: KeyStore,
    customer_id: str,
    phone: str,
    *,
    marketing_opt_in: bool,
    policy_version: int = 1,
) -> OrderPlaced:
    contact = CustomerContact(
        name=await keys.seal(customer_id, "name", "Sara"),
        email=await keys.seal(customer_id, "email", "sara@example.com"),
        phone=await keys.seal(customer_id, "phone", phone),
    )
    return order_placed(
        customer_id,
        contact,
        marketing_opt_in=marketing_opt_in,
        policy_version=policy_version,
        payment_token="tok_itest",
    )


def withdrawal(customer_id: str) -> ConsentChangeRequested:
    return ConsentChangeRequested(
        customer_id=customer_id,
        requested_by="customer",
        action=ConsentAction.WITHDRAW,
        purpose=ConsentPurpose.MARKETING,
        channel=Channel.WEB,
        evidence=ConsentEvidence(ip_hmac="ef" * 32, user_agent_hmac="ab" * 32),
    )


async def whatsapp_text(keys: KeyStore, sender: str, text: str, message_id: str) -> WebhookReceived:
    """A WhatsApp Business Cloud API delivery of one text message, sealed as the gateway does."""
    message = {
        "from": sender,
        "id": message_id,
        "timestamp": "1750857384",
        "type": "text",
        "text": {"body": text},
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "966563120415", "phone_number_id": "1234567"},
        "contacts": [{"profile": {"name": "Sara"}, "wa_id": sender}],
        "messages": [message],
    }
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "WABA", "changes": [{"value": value, "field": "messages"}]}],
        },
        ensure_ascii=False,
    )
    delivery_id = hashlib.sha256(body.encode()).hexdigest()
    return WebhookReceived(
        delivery_id=delivery_id,
        source=WebhookSource.WHATSAPP,
        received_at=datetime.now(UTC),
        body=await keys.seal(f"webhook:{delivery_id}", "body", body),
    )


def publish_request(material: bool, marker: str) -> PolicyPublishRequested:
    return PolicyPublishRequested(
        text_ar=f"سياسة الخصوصية {marker}",
        text_en=f"Privacy policy {marker}",
        summary_ar="تغيير",
        summary_en="A change" if not material else "A material change",
        material=material,
        effective_at=datetime.now(UTC),
        requested_by="staff:7",
    )
