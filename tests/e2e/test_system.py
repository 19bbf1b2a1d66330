"""End to end, through the gateway: orders (T1, A1), consent withdrawal (K3), policy versions
(PC1, PC2), Salla webhooks, and one trace from the HTTP request to MongoDB in orders."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import random
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from allwan_notifier.adapters.address_book import MongoAddressBook
from allwan_notifier.domain.recipients import ConsentStatus

from tests.e2e.collector import Span
from tests.e2e.conftest import RunningSystem, needs_notifier
from tests.unit.orders.salla_samples import ORDER_CREATED
from tests.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
LATENCIES: list[tuple[int, float]] = []


def order_body(phone: str, *, marketing: bool = False) -> dict[str, Any]:
    return {
        "plan_id": "shahid-vip-1m",
        "quantity": 1,
        "contact": {
            "name": "Noura Alqahtani",
            "email": f"noura.{uuid.uuid4().hex[:8]}@example.com",
            "phone": phone,
            "billing_address": "Prince Sultan St 12, Jeddah",
        },
        "age_attestation": "legal_age",
        "payment_token": f"tok_{uuid.uuid4().hex[:12]}",
        "marketing_opt_in": marketing,
        "locale": "ar",
    }


def new_phone() -> str:
    return f"+9665{random.randint(10_000_000, 99_999_999)}"


async def place(
    system: RunningSystem, http: httpx.AsyncClient, customer_id: str, **kwargs: Any
) -> tuple[str, httpx.Response]:
    headers = await system.customer(http, customer_id)
    headers["Idempotency-Key"] = f"e2e-{uuid.uuid4()}"
    started = time.perf_counter()
    answer = await http.post("/v1/orders", json=order_body(new_phone(), **kwargs), headers=headers)
    LATENCIES.append((answer.status_code, (time.perf_counter() - started) * 1000))
    assert answer.status_code in {201, 202}, answer.text
    return answer.json()["order_id"], answer


async def order_status(
    system: RunningSystem, http: httpx.AsyncClient, customer_id: str, order_id: str
) -> dict[str, Any] | None:
    answer = await http.get(
        f"/v1/orders/{order_id}", headers=await system.customer(http, customer_id)
    )
    return answer.json() if answer.status_code == 200 else None


async def test_an_order_is_placed_paid_and_activated_as_seen_through_the_gateway(
    system: RunningSystem,
) -> None:
    customer = f"cust-{uuid.uuid4().hex[:8]}"
    async with system.http() as http:
        order_id, _ = await place(system, http, customer)

        async def placed() -> dict[str, Any] | None:
            found = await order_status(system, http, customer, order_id)
            return found if found and found["status"] == "placed" else None

        order = await eventually(placed, what="OrderPlaced seen by the gateway")
        paid = await http.post(
            f"/v1/orders/{order_id}/payments",
            json={
                "payment_reference": f"pay_{order_id[:8]}",
                "amount_halalas": order["total_halalas"],
            },
            headers=system.storefront(),
        )
        assert paid.status_code == 202

        async def active() -> dict[str, Any] | None:
            found = await order_status(system, http, customer, order_id)
            return found if found and found["status"] == "active" else None

        activated = await eventually(active, what="SubscriptionActivated seen by the gateway")
        listed = await http.get(
            f"/v1/customers/{customer}/orders", headers=await system.customer(http, customer)
        )

    assert activated["ends_at"] > activated["starts_at"]
    assert [o["order_id"] for o in listed.json()["orders"]] == [order_id]


async def test_the_decision_is_answered_201_within_the_bound_or_202(
    system: RunningSystem,
) -> None:
    """The synchronous answer: 201 when orders decided within ALLWAN_DECISION_WAIT_S (2 s)."""
    async with system.http() as http:
        # Not measured: one order through the whole system first (first connections, first
        # data keys, the consumer groups' first fetches), however this test is run.
        customer = f"cust-{uuid.uuid4().hex[:8]}"
        warm_up, _ = await place(system, http, customer)

        async def decided() -> dict[str, Any] | None:
            found = await order_status(system, http, customer, warm_up)
            return found if found and found["status"] == "placed" else None

        await eventually(decided, what="the warm-up order placed")
        measured_from = len(LATENCIES)
        for _ in range(8):
            await place(system, http, f"cust-{uuid.uuid4().hex[:8]}")
    by_status: dict[int, list[float]] = {}
    for status, ms in LATENCIES[measured_from:]:
        by_status.setdefault(status, []).append(ms)
    summary = {
        status: {
            "count": len(values),
            "p50_ms": round(statistics.median(values), 1),
            "max_ms": round(max(values), 1),
        }
        for status, values in sorted(by_status.items())
    }
    print(f"\nPOST /v1/orders latency by answer: {json.dumps(summary)}")
    assert 201 in by_status, summary
    assert max(by_status[201]) < 2000 + 500


async def test_a1_an_order_without_an_age_attestation_is_refused_with_its_reason(
    system: RunningSystem,
) -> None:
    body = order_body(new_phone())
    del body["age_attestation"]
    async with system.http() as http:
        headers = await system.customer(http, f"cust-{uuid.uuid4().hex[:8]}")
        answer = await http.post("/v1/orders", json=body, headers=headers)
        if answer.status_code == 202:
            location = answer.headers["location"]

            async def decided() -> dict[str, Any] | None:
                found = (await http.get(location, headers=headers)).json()
                return found if found["status"] != "pending" else None

            order = await eventually(decided, what="the refusal")
            assert order["rejection"]["reason"] == "age_attestation_missing"
        else:
            assert answer.status_code == 422
            assert answer.json()["reason"] == "age_attestation_missing"


async def consents_of(
    system: RunningSystem, http: httpx.AsyncClient, customer: str
) -> dict[str, Any]:
    answer = await http.get(
        f"/v1/customers/{customer}/consents", headers=await system.customer(http, customer)
    )
    return dict(answer.json()["purposes"])


async def marketing_is(
    system: RunningSystem, http: httpx.AsyncClient, customer: str, status: str, what: str
) -> None:
    async def reached() -> bool:
        purposes = await consents_of(system, http, customer)
        return bool(purposes.get("marketing", {}).get("status") == status)

    await eventually(reached, what=what)


async def test_k3_marketing_withdrawn_through_the_gateway(system: RunningSystem) -> None:
    customer = f"cust-{uuid.uuid4().hex[:8]}"
    async with system.http() as http:
        await place(system, http, customer, marketing=True)
        await marketing_is(system, http, customer, "granted", "K2 opt-in at checkout")
        withdrawn = await http.post(
            f"/v1/customers/{customer}/consents",
            json={"purpose": "marketing", "action": "withdraw"},
            headers=await system.customer(http, customer),
        )
        assert withdrawn.status_code == 202
        await marketing_is(system, http, customer, "withdrawn", "K3 withdrawal on the web")
        proof = await http.get(
            f"/v1/staff/customers/{customer}/consent-proof", headers=system.staff()
        )

    entries = proof.json()["entries"]
    assert [e["event_type"] for e in entries][-1] == "ConsentWithdrawn"
    assert entries[-1]["channel"] == "web"


def whatsapp_stop(phone: str) -> bytes:
    message = {
        "from": phone.lstrip("+"),
        "id": f"wamid.{uuid.uuid4().hex}",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": "STOP"},
    }
    change = {
        "field": "messages",
        "value": {"messaging_product": "whatsapp", "messages": [message]},
    }
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}
    return json.dumps(body).encode()


async def test_k3_marketing_withdrawn_by_whatsapp(system: RunningSystem) -> None:
    customer = f"cust-{uuid.uuid4().hex[:8]}"
    phone = new_phone()
    async with system.http() as http:
        headers = await system.customer(http, customer)
        headers["Idempotency-Key"] = f"e2e-{uuid.uuid4()}"
        answer = await http.post(
            "/v1/orders", json=order_body(phone, marketing=True), headers=headers
        )
        assert answer.status_code in {201, 202}
        await marketing_is(system, http, customer, "granted", "K2 opt-in at checkout")
        raw = whatsapp_stop(phone)
        secret = system.secrets["ALLWAN_WHATSAPP_APP_SECRET"].encode()
        signature = "sha256=" + hmac.new(secret, raw, hashlib.sha256).hexdigest()
        delivered = await http.post(
            "/v1/webhooks/whatsapp",
            content=raw,
            headers={"content-type": "application/json", "x-hub-signature-256": signature},
        )
        assert delivered.status_code == 202, delivered.text
        await marketing_is(system, http, customer, "withdrawn", "K3 withdrawal on WhatsApp")


async def test_k3_after_a_withdrawal_by_web_or_whatsapp_no_marketing_mail_arrives(
    system: RunningSystem, tmp_path: Path
) -> None:
    needs_notifier(system)
    assert system.servers.mail_api_url is not None
    emails: dict[str, str] = {}
    async with system.http() as http:
        phones: dict[str, str] = {}
        for who in ("web", "whatsapp", "stays"):
            customer = f"cust-{uuid.uuid4().hex[:8]}"
            phones[who] = new_phone()
            body = order_body(phones[who], marketing=True)
            emails[who] = body["contact"]["email"]
            headers = await system.customer(http, customer)
            placed = await http.post("/v1/orders", json=body, headers=headers)
            assert placed.status_code in {201, 202}
            await marketing_is(system, http, customer, "granted", "K2 opt-in at checkout")
            phones[f"{who}:customer"] = customer
        web = phones["web:customer"]
        await http.post(
            f"/v1/customers/{web}/consents",
            json={"purpose": "marketing", "action": "withdraw"},
            headers=await system.customer(http, web),
        )
        raw = whatsapp_stop(phones["whatsapp"])
        secret = system.secrets["ALLWAN_WHATSAPP_APP_SECRET"].encode()
        await http.post(
            "/v1/webhooks/whatsapp",
            content=raw,
            headers={
                "content-type": "application/json",
                "x-hub-signature-256": "sha256="
                + hmac.new(secret, raw, hashlib.sha256).hexdigest(),
            },
        )
        await marketing_is(system, http, web, "withdrawn", "K3 by web")
        await marketing_is(system, http, phones["whatsapp:customer"], "withdrawn", "K3 by WhatsApp")
    # The gateway's view is the gateway's consumer; the campaign reads the notifier's address
    # book, which hears of the orders and the withdrawals on a consumer of its own.
    async with system.database("notifier") as notifier_db:
        book = MongoAddressBook(notifier_db)

        async def book_caught_up() -> bool:
            stays = phones["stays:customer"]
            withdrawn = [
                (await book.marketing_consent(phones[f"{who}:customer"])).status
                is ConsentStatus.WITHDRAWN
                for who in ("web", "whatsapp")
            ]
            return (
                all(withdrawn)
                and (await book.marketing_consent(stays)).allows_marketing()
                and (await book.recipient(stays)).address is not None
            )

        await eventually(book_caught_up, what="the notifier's address book up to date")
    tag = uuid.uuid4().hex[:8]
    campaign = tmp_path / "campaign.json"
    campaign.write_text(
        json.dumps(
            {
                "campaign_id": f"e2e-{tag}",
                "subject_ar": f"عرض {tag}",
                "subject_en": f"Offer {tag}",
                "body_ar": "عرض خاص",
                "body_en": "A special offer",
            }
        )
    )
    system.command("notifier", "campaign", str(campaign))

    async with httpx.AsyncClient(base_url=system.servers.mail_api_url) as mail:

        async def campaign_mail() -> list[str]:
            found = (await mail.get("/api/v1/messages", params={"limit": 5000})).json()
            return [
                address["Address"]
                for message in found.get("messages") or []
                if tag in message["Subject"]
                for address in message.get("To") or []
            ]

        async def reached_the_one_who_stayed() -> list[str] | None:
            sent = await campaign_mail()
            return sent if emails["stays"] in sent else None

        await eventually(reached_the_one_who_stayed, timeout=60, what="the campaign sent")
        async with system.http() as http:

            async def campaign_done() -> bool:
                answer = await http.get("/v1/staff/ledger/jobs", headers=system.staff())
                return answer.status_code == 200 and any(
                    job["campaign_id"] == f"e2e-{tag}" and job["phase"] == "done"
                    for job in answer.json()["jobs"]
                )

            # Done: every message of the campaign was handed to the SMTP server (or skipped).
            await eventually(campaign_done, timeout=60, what="the campaign's fan-out done")
        recipients = await campaign_mail()

    assert emails["web"] not in recipients
    assert emails["whatsapp"] not in recipients


async def test_pc1_a_published_policy_is_served_at_once(system: RunningSystem) -> None:
    text = f"Privacy policy, revision {uuid.uuid4().hex[:6]}"
    async with system.http() as http:
        before = await eventually(lambda: _policy(http), what="version 1 served")
        published = await http.post(
            "/v1/staff/policies",
            json={
                "text_ar": f"سياسة الخصوصية {text}",
                "text_en": text,
                "summary_ar": "تغيير جوهري",
                "summary_en": "A material change",
                "material": True,
            },
            headers=system.staff(),
        )
        assert published.status_code == 202
        started = time.perf_counter()

        async def served() -> dict[str, Any] | None:
            current = await _policy(http)
            return current if current and current["text_en"] == text else None

        current = await eventually(served, what="the new version served")
        took = time.perf_counter() - started
        history = (await http.get("/v1/policy/versions")).json()["versions"]

    print(f"\nPC1: new policy version served by the gateway {took * 1000:.0f} ms after 202")
    assert current["version"] == before["version"] + 1
    assert current["material"] is True
    assert [v["version"] for v in history][-1] == current["version"]


async def _policy(http: httpx.AsyncClient) -> dict[str, Any] | None:
    answer = await http.get("/v1/policy")
    return answer.json() if answer.status_code == 200 else None


async def test_pc2_a_material_policy_emails_every_customer_once(system: RunningSystem) -> None:
    needs_notifier(system)
    assert system.servers.mail_api_url is not None
    async with (
        system.http() as http,
        httpx.AsyncClient(base_url=system.servers.mail_api_url) as mail,
    ):
        mine: list[str] = []
        customers: list[str] = []
        for _ in range(3):
            customer = f"cust-{uuid.uuid4().hex[:8]}"
            customers.append(customer)
            body = order_body(new_phone())
            mine.append(body["contact"]["email"])
            headers = await system.customer(http, customer)
            placed = await http.post("/v1/orders", json=body, headers=headers)
            assert placed.status_code in {201, 202}
            location: str = placed.headers["location"]

            async def decided(at: str = location, h: dict[str, str] = headers) -> bool:
                return await _decided(http, at, h)

            await eventually(decided, what="order placed")
        # The notice goes to whom the notifier's address book knows; it learns of the orders
        # on its own consumer, not the one that told the gateway they were placed.
        async with system.database("notifier") as notifier_db:
            book = MongoAddressBook(notifier_db)

            async def all_known() -> bool:
                return all([(await book.recipient(c)).address is not None for c in customers])

            await eventually(all_known, what="the new customers in the notifier's address book")
        text = f"Material revision {uuid.uuid4().hex[:6]}"
        published = await http.post(
            "/v1/staff/policies",
            json={
                "text_ar": f"نص {text}",
                "text_en": text,
                "summary_ar": "تغيير جوهري",
                "summary_en": "A material change",
                "material": True,
            },
            headers=system.staff(),
        )
        assert published.status_code == 202
        current = await eventually(lambda: _served(http, text), what="the material version served")
        version = current["version"]

        async def notices() -> list[str]:
            found = (await mail.get("/api/v1/messages", params={"limit": 5000})).json()
            return [
                address["Address"]
                for message in found.get("messages") or []
                if f"(version {version})" in message["Subject"]
                or f"(الإصدار {version})" in message["Subject"]
                for address in message.get("To") or []
            ]

        async def all_of_mine() -> list[str] | None:
            sent = await notices()
            return sent if set(mine) <= set(sent) else None

        await eventually(all_of_mine, timeout=60, what="a notice to each new customer")

        async def job_done() -> bool:
            counts = await http.get(
                f"/v1/staff/ledger/policies/{version}/counts", headers=system.staff()
            )
            return counts.status_code == 200 and counts.json().get("phase") == "done"

        await eventually(job_done, timeout=60, what="the notifier's fan-out done")
        recipients = await notices()

    assert len(recipients) == len(set(recipients)), "a customer was emailed twice"
    assert set(mine) <= set(recipients)
    print(f"\nPC2: version {version} notice sent once to each of {len(recipients)} customers")


async def _decided(http: httpx.AsyncClient, location: str, headers: dict[str, str]) -> bool:
    answer = await http.get(location, headers=headers)
    return answer.status_code == 200 and answer.json()["status"] == "placed"


async def _served(http: httpx.AsyncClient, text: str) -> dict[str, Any] | None:
    current = await _policy(http)
    return current if current and current["text_en"] == text else None


def salla_order(order_number: int, customer_number: int) -> bytes:
    body = copy.deepcopy(ORDER_CREATED)
    body["data"]["id"] = order_number
    body["data"]["customer"]["id"] = customer_number
    return json.dumps(body, ensure_ascii=False).encode()


async def test_t1_a_signed_salla_order_created_creates_the_order_and_a_forged_one_nothing(
    system: RunningSystem,
) -> None:
    secret = system.secrets["ALLWAN_SALLA_WEBHOOK_SECRET"].encode()
    good_order, forged_order, customer = (random.randint(10**8, 10**9) for _ in range(3))
    good, forged = salla_order(good_order, customer), salla_order(forged_order, customer)
    async with system.http() as http:
        accepted = await http.post(
            "/v1/webhooks/salla",
            content=good,
            headers={
                "content-type": "application/json",
                "x-salla-security-strategy": "Signature",
                "x-salla-signature": hmac.new(secret, good, hashlib.sha256).hexdigest(),
            },
        )
        refused = await http.post(
            "/v1/webhooks/salla",
            content=forged,
            headers={
                "content-type": "application/json",
                "x-salla-security-strategy": "Signature",
                "x-salla-signature": hmac.new(b"guess", forged, hashlib.sha256).hexdigest(),
            },
        )
        assert (accepted.status_code, refused.status_code) == (202, 401)
        customer_id = f"salla-{customer}"

        async def created() -> dict[str, Any] | None:
            found = await order_status(system, http, customer_id, f"salla-{good_order}")
            return found if found and found["status"] == "placed" else None

        order = await eventually(created, what="the Salla order placed")
        listed = await http.get(
            f"/v1/customers/{customer_id}/orders", headers=await system.customer(http, customer_id)
        )

    assert order["total_halalas"] == 2990
    assert [o["order_id"] for o in listed.json()["orders"]] == [f"salla-{good_order}"]


async def test_one_trace_spans_the_request_kafka_orders_and_its_mongodb_writes(
    system: RunningSystem,
) -> None:
    async with system.http() as http:
        order_id, answer = await place(system, http, f"cust-{uuid.uuid4().hex[:8]}")
    assert answer.headers.get("traceparent") is None  # the trace id is the server span's

    def gateway_request_traces() -> set[str]:
        return {
            span.trace_id
            for span in system.collector.spans
            if span.service == "allwan-gateway"
            and span.kind == "server"
            and span.name == "POST /v1/orders"
        }

    parts: dict[str, Callable[[Span], bool]] = {
        "gateway http": lambda s: s.service == "allwan-gateway" and s.kind == "server",
        # This request's trace, not an earlier test's: the relay published this order.
        "relay publish": lambda s: (
            s.service == "allwan-gateway"
            and s.kind == "producer"
            and s.attributes.get("messaging.kafka.message.key") == order_id
        ),
        "orders consumer": lambda s: s.service == "allwan-orders" and s.kind == "consumer",
        "orders mongodb write": lambda s: (
            s.service == "allwan-orders"
            and s.attributes.get("db.system") == "mongodb"
            and s.name.endswith(".insert")
        ),
    }

    async def covered() -> dict[str, str] | None:
        for trace_id in gateway_request_traces():
            spans = system.collector.trace(trace_id)
            found = {
                part: next((s.name for s in spans if matches(s)), "")
                for part, matches in parts.items()
            }
            if all(found.values()):
                return found | {"trace_id": trace_id}
        return None

    found = await eventually(covered, timeout=30, what="one trace across gateway, Kafka, orders")
    print(f"\none trace: {json.dumps(found, ensure_ascii=False)}")
