"""End to end, through the gateway: accountability (D1-D3, P2, P3, S2; PDPL).

Every email sent appears in its customer's disclosures with its recipient and legal basis, as
does a legal disclosure staff record; the retention schedule (shrunk to seconds here) tells a
customer past their period and then erases them everywhere, leaving a customer with a running
subscription untouched; a breach notice reaches each affected customer once, however often
staff ask; the record of processing served is the one generated from the code.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import REPO, RunningSystem, needs_notifier
from tests.e2e.pii_scan import scan
from tests.e2e.test_privacy import customer_with_everything, is_problem
from tests.e2e.test_system import new_phone, order_body
from tests.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]
SYSTEM_ENV = {
    "ALLWAN_RETENTION_SCHEDULE": str(REPO / "tests/e2e/retention-fast.toml"),
    "ALLWAN_RETENTION_CHECK_INTERVAL_S": "0.5",
}


async def disclosures(
    system: RunningSystem, http: httpx.AsyncClient, customer: str
) -> list[dict[str, Any]]:
    answer = await http.get(
        f"/v1/customers/{customer}/disclosures", headers=await system.customer(http, customer)
    )
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["disclosures"]
    return found


async def mail_to(
    system: RunningSystem, address: str, minimum: int = 1, kind: str = ""
) -> list[Any]:
    """The messages Mailpit holds for ``address`` (of ``kind`` alone, when given: the
    notifier's Message-IDs start with it), once there are at least ``minimum``."""
    assert system.servers.mail_api_url is not None
    async with httpx.AsyncClient(base_url=system.servers.mail_api_url) as mail:

        async def arrived() -> list[Any] | None:
            found = await mail.get("/api/v1/search", params={"query": f"to:{address}"})
            messages: list[Any] = [
                message
                for message in found.json().get("messages") or []
                if str(message.get("MessageID", "")).startswith(kind)
            ]
            return messages if len(messages) >= minimum else None

        return await eventually(arrived, timeout=90, what=f"{minimum} message(s) delivered")


async def test_an_email_sent_and_a_payment_appear_in_the_customers_disclosures(
    system: RunningSystem,
) -> None:
    needs_notifier(system)
    async with system.http() as http:
        who = await customer_with_everything(system, http, marketing=False)
        customer = who["customer_id"]

        async def both() -> list[dict[str, Any]] | None:
            found = await disclosures(system, http, customer)
            recipients = {entry["recipient"] for entry in found}
            return found if {"smtp", "payment"} <= recipients else None

        ledger = await eventually(both, timeout=90, what="the email and payment disclosed")
        staff_view = await http.get(
            f"/v1/staff/customers/{customer}/disclosures", headers=system.staff()
        )
        other = await http.get(
            f"/v1/customers/{customer}/disclosures",
            headers=await system.customer(http, f"{customer}-other"),
        )
    emails = [entry for entry in ledger if entry["recipient"] == "smtp"]
    assert emails, ledger
    assert {entry["legal_basis"] for entry in emails} == {"processor"}
    assert {entry["role"] for entry in emails} == {"processor"}
    assert "order_receipts" in {entry["purpose"] for entry in emails}
    assert all("email" in entry["categories"] for entry in emails)
    [payment] = [entry for entry in ledger if entry["recipient"] == "payment"]
    assert payment["legal_basis"] == "contract"
    stamps = [entry["at"] for entry in ledger]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    assert staff_view.status_code == 200
    assert {e["disclosure_id"] for e in staff_view.json()["disclosures"]} >= {
        e["disclosure_id"] for e in ledger
    }
    assert other.status_code in {403, 404}


async def test_a_legal_disclosure_recorded_by_staff_appears_once_with_its_reference(
    system: RunningSystem,
) -> None:
    customer = f"cust-{uuid.uuid4().hex[:8]}"
    body = {
        "customer_id": customer,
        "recipient": "authority",
        "categories": ["name", "order_details"],
        "reference": "Court order 1447/123",
        "disclosed_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
    }
    key = {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}
    async with system.http() as http:
        recorded = await http.post("/v1/staff/disclosures", json=body, headers=system.staff() | key)
        again = await http.post("/v1/staff/disclosures", json=body, headers=system.staff() | key)
        unknown = await http.post(
            "/v1/staff/disclosures",
            json=body | {"recipient": "nobody-we-know"},
            headers=system.staff() | {"Idempotency-Key": f"e2e-{uuid.uuid4()}"},
        )
        anonymous = await http.post(
            "/v1/staff/disclosures",
            json=body,
            headers={"Idempotency-Key": f"e2e-{uuid.uuid4()}"},
        )

        async def shown() -> list[dict[str, Any]] | None:
            found = await disclosures(system, http, customer)
            return found or None

        ledger = await eventually(shown, what="the legal disclosure in the ledger")
    assert recorded.status_code == 201, recorded.text
    assert again.status_code in {200, 201}
    assert again.json()["disclosure_id"] == recorded.json()["disclosure_id"]
    [entry] = ledger
    assert entry["legal_basis"] == "law"
    assert entry["reference"] == "Court order 1447/123"
    assert entry["recipient"] == "authority"
    assert entry["role"] == "authority"
    is_problem(unknown, 422)
    assert anonymous.status_code == 401


async def test_retention_tells_then_erases_a_customer_past_their_period_and_no_one_else(
    system: RunningSystem,
) -> None:
    needs_notifier(system)
    async with system.http() as http:
        active = await customer_with_everything(system, http, marketing=False)
        gone = f"cust-{uuid.uuid4().hex[:8]}"
        body = order_body(new_phone())
        headers = await system.customer(http, gone)
        placed = await http.post(
            "/v1/orders", json=body, headers=headers | {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}
        )
        assert placed.status_code in {201, 202}, placed.text
        order_id = placed.json()["order_id"]

        async def decided() -> bool:
            found = await http.get(f"/v1/orders/{order_id}", headers=headers)
            return found.status_code == 200 and found.json()["status"] == "placed"

        await eventually(decided, what="the order placed")
        cancelled = await http.post(f"/v1/orders/{order_id}/cancellation", headers=headers)
        assert cancelled.status_code == 202, cancelled.text
        schedule = await http.get("/v1/staff/retention", headers=system.staff())

        # The notice first, in the customer's language, then the erasure everywhere.
        notices = await mail_to(system, body["contact"]["email"], minimum=2)
        needles = {body["contact"][field] for field in ("email", "phone", "name")}
        needles.discard("Noura Alqahtani")  # a name every test customer shares

        async def erased() -> bool:
            found = await scan(system, gone, needles)
            return not found.plaintext and not found.readable

        await eventually(erased, timeout=90, what="the customer past their period erased")
        kept = await scan(system, active["customer_id"], {active["email"]})
        order = await http.get(f"/v1/orders/{order_id}", headers=headers)
    assert schedule.status_code == 200, schedule.text
    rules = {rule["name"]: rule for rule in schedule.json()["schedule"]}
    assert rules["customer_contact"]["action"] == "erase_customer"
    assert {item["rule"] for item in schedule.json()["preview"]} >= {"customer_contact"}
    assert len(notices) >= 2  # the receipt, then the retention notice
    assert kept.readable, "the customer with a running subscription keeps their data"
    assert order.status_code == 200
    assert order.json()["status"] == "cancelled"


async def test_a_breach_notice_reaches_each_affected_customer_once(
    system: RunningSystem,
) -> None:
    needs_notifier(system)
    now = datetime.now(UTC)
    async with system.http() as http:
        affected = [await customer_with_everything(system, http, marketing=False) for _ in "ab"]
        opened = await http.post(
            "/v1/staff/breaches",
            json={
                "detected_at": (now - timedelta(hours=2)).isoformat(),
                "description": "An export link was sent to the wrong address.",
                "categories": ["email", "order_details"],
                "affected": {"customer_ids": [who["customer_id"] for who in affected]},
                "likely_consequences": "Unwanted email.",
                "measures_taken": "The link was revoked.",
            },
            headers=system.staff() | {"Idempotency-Key": f"e2e-{uuid.uuid4()}"},
        )
        assert opened.status_code == 201, opened.text
        breach = opened.json()
        where = f"/v1/staff/breaches/{breach['breach_id']}"
        told = await http.post(
            f"{where}/regulator-notification",
            json={"reference": "NDMO-2026-1", "notified_at": now.isoformat()},
            headers=system.staff(),
        )
        notice = {"notice": {"message_ar": "تسرب بيانات محدود.", "message_en": "A limited leak."}}
        first = await http.post(f"{where}/notifications", json=notice, headers=system.staff())
        second = await http.post(f"{where}/notifications", json=notice, headers=system.staff())
        for who in affected:
            await mail_to(system, who["email"], kind="breach.")
        report = await http.get(f"{where}/report", headers=system.staff())
        listed = await http.get("/v1/staff/breaches", headers=system.staff())
        closed_early = await http.post(
            "/v1/staff/breaches/no-such-breach/closure",
            json={"summary": "x"},
            headers=system.staff(),
        )
    deadline = datetime.fromisoformat(breach["regulator_deadline"])
    assert deadline - datetime.fromisoformat(breach["detected_at"]) == timedelta(hours=72)
    assert breach["state"] == "open"
    assert breach["affected_count"] == 2
    assert told.status_code == 200, told.text
    assert told.json()["state"] == "regulator_notified"
    assert first.status_code == 202, first.text
    assert second.status_code in {200, 202, 409}
    for who in affected:
        # Counted by kind: the order's own emails may still be arriving.
        notices = await mail_to(system, who["email"], kind="breach.")
        assert len(notices) == 1, "exactly one breach notice each"
    assert report.status_code == 200
    assert report.json()["breach"]["breach_id"] == breach["breach_id"]
    assert report.json()["format"] == "allwan.breach-report/1"
    assert breach["breach_id"] in {b["breach_id"] for b in listed.json()["breaches"]}
    assert closed_early.status_code == 404


async def test_the_record_of_processing_served_is_the_one_generated_from_the_code(
    system: RunningSystem,
) -> None:
    async with system.http() as http:
        served = await http.get("/v1/staff/records-of-processing", headers=system.staff())
    generated = json.loads((REPO / "docs/records-of-processing.json").read_text())
    assert served.status_code == 200, served.text
    assert served.json() == generated
