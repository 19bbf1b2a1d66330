"""The disclosure ledger and the breach register on real Kafka and FerretDB/MongoDB: a disclosure
delivered twice is in the customer's ledger once; a staff legal disclosure goes through the
relay and back into the ledger; a breach notified twice puts exactly one notice per affected
customer on ``allwan.breach-notices``."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from allwan_contracts import decode, new_envelope, read_event
from allwan_contracts.breaches import BreachNoticeRequested
from allwan_contracts.disclosures import (
    DataCategory,
    DataDisclosed,
    LegalBasis,
    RecipientRole,
    disclosure_id,
)
from allwan_contracts.topics import BREACH_NOTICES
from allwan_runtime.service import topic_for
from allwan_runtime.wire import message_headers, message_value

from tests.integration.conftest import read_to_end
from tests.integration.harness import outbox_drained
from tests.integration.privacy.conftest import RunningPrivacy
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
STAFF = {"X-Allwan-Actor": "staff:7"}


def receipt_sent(customer: str, source: str) -> DataDisclosed:
    return DataDisclosed(
        disclosure_id=disclosure_id("smtp", source),
        customer_id=customer,
        recipient="smtp",
        role=RecipientRole.PROCESSOR,
        categories=[DataCategory.EMAIL, DataCategory.MESSAGE_CONTENT],
        purpose="order_receipts",
        legal_basis=LegalBasis.PROCESSOR,
        source=source,
        recorded_by="service:notifier",
        at=datetime.now(UTC),
    )


async def ledger_of(privacy: RunningPrivacy, customer: str) -> list[dict[str, Any]]:
    async with privacy.internal() as http:
        answer = await http.get(f"/internal/customers/{customer}/disclosures")
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()["disclosures"]
    return entries


async def test_a_disclosure_delivered_twice_is_in_the_customers_ledger_once(
    privacy: RunningPrivacy,
) -> None:
    customer = f"c-{uuid.uuid4().hex[:12]}"
    sent = receipt_sent(customer, f"email:receipt:o-{uuid.uuid4().hex[:8]}")
    notifier = privacy.holder("notifier")
    await privacy.send(sent, notifier)
    await privacy.send(sent, notifier)
    # A later record on the same partition: once it is in the ledger, both deliveries were.
    later = receipt_sent(customer, "email:activation:later")
    envelope = new_envelope(
        later, aggregate_version=1, producer=notifier, correlation_id=uuid.uuid4()
    )
    await privacy.producer.send_and_wait(
        privacy.runtime.topic(topic_for(envelope)),
        value=message_value(envelope),
        key=sent.disclosure_id.encode(),
        headers=message_headers(envelope),
    )

    async def both_kept() -> list[dict[str, Any]] | None:
        entries = await ledger_of(privacy, customer)
        return entries if later.disclosure_id in {e["disclosure_id"] for e in entries} else None

    entries = await eventually(both_kept, what="the later disclosure in the ledger")

    assert Counter(e["disclosure_id"] for e in entries) == {
        sent.disclosure_id: 1,
        later.disclosure_id: 1,
    }
    [first] = [e for e in entries if e["disclosure_id"] == sent.disclosure_id]
    assert (first["recipient_name"], first["legal_basis"]) == (
        "The store's email provider (SMTP)",
        "processor",
    )


async def test_a_staff_legal_disclosure_reaches_the_ledger_through_kafka(
    privacy: RunningPrivacy,
) -> None:
    customer = f"c-{uuid.uuid4().hex[:12]}"
    body = {
        "customer_id": customer,
        "recipient": "authority",
        "categories": ["name", "phone"],
        "reference": "Riyadh court order 4471/1447",
        "disclosed_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
    }
    async with privacy.internal() as http:
        created = await http.post(
            "/internal/disclosures",
            json=body,
            headers={**STAFF, "Idempotency-Key": f"court-{uuid.uuid4().hex}"},
        )
    assert created.status_code == 201, created.text

    async def shown() -> list[dict[str, Any]] | None:
        return await ledger_of(privacy, customer) or None

    [entry] = await eventually(shown, what="the legal disclosure in the ledger")
    assert entry == created.json()
    assert (entry["legal_basis"], entry["recorded_by"]) == ("law", "staff:7")


async def test_a_breach_notified_twice_owes_each_affected_customer_one_notice(
    privacy: RunningPrivacy,
) -> None:
    customers = sorted(f"c-{uuid.uuid4().hex[:12]}" for _ in range(3))
    breach = {
        "detected_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "description": "A staff laptop holding an order export was stolen.",
        "categories": ["email", "name"],
        "affected": {"customer_ids": customers},
        "likely_consequences": "Phishing emails.",
        "measures_taken": "The laptop was wiped remotely.",
    }
    notice = {"notice": {"message_ar": "نص التنبيه", "message_en": "The notice."}}
    regulator = {"reference": "SDAIA-1", "notified_at": datetime.now(UTC).isoformat()}
    async with privacy.internal() as http:
        opened = await http.post(
            "/internal/breaches", json=breach, headers={**STAFF, "Idempotency-Key": "breach-1x"}
        )
        base = f"/internal/breaches/{opened.json()['breach_id']}"
        told = await http.post(f"{base}/regulator-notification", json=regulator, headers=STAFF)
        first = await http.post(f"{base}/notifications", json=notice, headers=STAFF)
        second = await http.post(f"{base}/notifications", json=notice, headers=STAFF)

        async def listed() -> dict[str, Any] | None:
            found = (await http.get("/internal/breaches")).json()["breaches"]
            return found[0] if found and found[0]["state"] == "customers_notified" else None

        registered = await eventually(listed, what="the breach in the register's read model")

    assert (opened.status_code, told.status_code) == (201, 200)
    assert (first.status_code, second.status_code) == (202, 202)
    assert second.json() == first.json()
    assert registered["notified_customers"] == 3
    await outbox_drained(privacy.runtime.db)
    records = await read_to_end(
        privacy.settings.kafka_bootstrap, privacy.runtime.topic(BREACH_NOTICES.name)
    )
    events = [read_event(decode(record.value)) for record in records]
    notices = [event for event in events if isinstance(event, BreachNoticeRequested)]
    assert len(notices) == len(events)
    assert sorted(notice.customer_id for notice in notices) == customers
