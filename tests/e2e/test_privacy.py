"""End to end, through the gateway: a customer's data rights (PDPL) as tracked requests.

Access gives one export holding every service's part, valid against its published schema;
correction leaves the old value readable nowhere; erasure (web, and WhatsApp with its
confirmation) leaves no personal data readable in any store or topic while the orders keep
their amounts; an extension is emailed once; every refusal is an RFC 9457 problem.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx
import jsonschema  # type: ignore[import-untyped]
import pytest
from allwan_notifier.adapters.address_book import MongoAddressBook

from tests.e2e.conftest import REPO, RunningSystem, needs_notifier
from tests.e2e.pii_scan import opened, scan
from tests.e2e.test_system import new_phone, order_body
from tests.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]
EXPORT_SCHEMA = json.loads((REPO / "contracts/schemas/PrivacyExport.json").read_text())
LATENCY_S: dict[str, float] = {}


async def customer_with_everything(
    system: RunningSystem, http: httpx.AsyncClient, *, marketing: bool = True
) -> dict[str, Any]:
    """A customer with an active order, marketing and cookie consents, and emails sent."""
    customer = f"cust-{uuid.uuid4().hex[:8]}"
    phone = new_phone()
    body = order_body(phone, marketing=marketing)
    headers = await system.customer(http, customer)
    placed = await http.post(
        "/v1/orders", json=body, headers=headers | {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}
    )
    assert placed.status_code in {201, 202}, placed.text
    order_id = placed.json()["order_id"]

    async def placed_order() -> dict[str, Any] | None:
        found = await http.get(f"/v1/orders/{order_id}", headers=headers)
        return (
            found.json()
            if found.status_code == 200 and found.json()["status"] != "pending"
            else None
        )

    order = await eventually(placed_order, what="the order decided")
    paid = await http.post(
        f"/v1/orders/{order_id}/payments",
        json={"payment_reference": f"pay_{order_id[:8]}", "amount_halalas": order["total_halalas"]},
        headers=system.storefront(),
    )
    assert paid.status_code == 202, paid.text
    cookies = await http.put(
        f"/v1/customers/{customer}/cookie-preferences",
        json={"functional": True, "analytics": True},
        headers=headers,
    )
    assert cookies.status_code in {200, 202}, cookies.text

    async def active() -> bool:
        found = await http.get(f"/v1/orders/{order_id}", headers=headers)
        return found.status_code == 200 and found.json()["status"] == "active"

    await eventually(active, what="the order active")

    async def cookies_recorded() -> bool:
        # The consent service decides the preferences on its own time: the order can be
        # active before they are recorded, and a request for the data then finds none.
        found = await http.get(f"/v1/customers/{customer}/cookie-preferences", headers=headers)
        return found.status_code == 200 and found.json()["functional"] and found.json()["analytics"]

    await eventually(cookies_recorded, what="the cookie preferences recorded")
    return {
        "customer_id": customer,
        "order_id": order_id,
        "total_halalas": order["total_halalas"],
        "phone": phone,
        **body["contact"],
    }


async def ask(
    system: RunningSystem,
    http: httpx.AsyncClient,
    customer: str,
    kind: str,
    changes: dict[str, str] | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"kind": kind}
    if changes is not None:
        body["changes"] = changes
    headers = await system.customer(http, customer)
    headers["Idempotency-Key"] = f"e2e-{uuid.uuid4()}"
    return await http.post(f"/v1/customers/{customer}/privacy-requests", json=body, headers=headers)


async def request_in(
    system: RunningSystem,
    http: httpx.AsyncClient,
    customer: str,
    request_id: str,
    state: str,
    timeout: float = 90,
) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        answer = await http.get(
            f"/v1/customers/{customer}/privacy-requests/{request_id}",
            headers=await system.customer(http, customer),
        )
        found = answer.json() if answer.status_code == 200 else None
        return found if found and found["state"] == state else None

    return await eventually(reached, timeout=timeout, what=f"the request {state}")


def is_problem(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = answer.json()
    assert problem["status"] == status
    assert problem["title"]
    assert problem["type"]
    return problem


async def test_access_gives_one_export_with_every_part_valid_against_its_schema(
    system: RunningSystem,
) -> None:
    needs_notifier(system)
    async with system.http() as http:
        who = await customer_with_everything(system, http)
        customer = who["customer_id"]
        headers = await system.customer(http, customer)

        async def payment_disclosed() -> list[Any] | None:
            found = await http.get(f"/v1/customers/{customer}/disclosures", headers=headers)
            ledger: list[Any] = found.json().get("disclosures", [])
            return ledger if {"payment"} <= {d["recipient"] for d in ledger} else None

        await eventually(payment_disclosed, what="the payment in the disclosure ledger")
        started = time.perf_counter()
        asked = await ask(system, http, customer, "access")
        assert asked.status_code == 202, asked.text
        assert asked.headers["location"].endswith(asked.json()["request_id"])
        request_id = asked.json()["request_id"]
        done = await request_in(system, http, customer, request_id, "completed")
        LATENCY_S["access"] = time.perf_counter() - started
        headers = await system.customer(http, customer)
        exported = await http.get(
            f"/v1/customers/{customer}/privacy-requests/{request_id}/export", headers=headers
        )
        readable = await http.get(
            f"/v1/customers/{customer}/privacy-requests/{request_id}/export",
            headers=headers | {"Accept": "text/html"},
        )
        other = await http.get(
            f"/v1/customers/{customer}x/privacy-requests/{request_id}/export", headers=headers
        )

    assert [entry["state"] for entry in done["history"]][-1] == "completed"
    assert done["due_at"] > done["received_at"]
    assert exported.status_code == 200, exported.text
    export = exported.json()
    jsonschema.validate(export, EXPORT_SCHEMA)
    assert export["personal_data_held"] is True
    assert export["contact"]["email"] == who["email"]
    assert export["contact"]["phone"] == who["phone"]
    [order] = export["orders"]
    assert order["order_id"] == who["order_id"]
    assert {change["status"] for change in order["history"]} >= {"placed", "active"}
    assert {c["purpose"] for c in export["consents"]} >= {"order_processing", "marketing"}
    assert {p["purpose"]: p["granted"] for p in export["cookie_preferences"]} == {
        "analytics_cookies": True,
        "functional_cookies": True,
    }
    assert export["emails"], "the receipt and activation emails are in the ledger"
    assert request_id in {r["request_id"] for r in export["privacy_requests"]}
    disclosed = {d["recipient"]: d for d in export["disclosures"]}
    assert disclosed["payment"]["legal_basis"] == "contract"  # D1
    assert readable.status_code == 200
    assert readable.headers["content-type"].startswith("text/html")
    assert 'dir="rtl"' in readable.text
    assert who["email"] in readable.text
    assert other.status_code in {403, 404}
    print(f"access request to completed export: {LATENCY_S['access']:.2f} s")


async def test_correction_shows_the_new_email_and_the_old_one_is_readable_nowhere(
    system: RunningSystem,
) -> None:
    needs_notifier(system)
    async with system.http() as http:
        who = await customer_with_everything(system, http, marketing=False)
        customer = who["customer_id"]
        new_email = f"corrected.{uuid.uuid4().hex[:8]}@example.com"
        asked = await ask(system, http, customer, "correction", {"email": new_email})
        assert asked.status_code == 202, asked.text
        await request_in(system, http, customer, asked.json()["request_id"], "completed")
        access = await ask(system, http, customer, "access")
        done = await request_in(system, http, customer, access.json()["request_id"], "completed")
        exported = await http.get(
            f"/v1/customers/{customer}/privacy-requests/{done['request_id']}/export",
            headers=await system.customer(http, customer),
        )
    async with system.database("notifier") as notifier_db:
        recipient = await MongoAddressBook(notifier_db).recipient(customer)
    assert recipient.address is not None
    book_email = await opened(system, recipient.address.email, "email")
    findings = await scan(system, customer, {who["email"]})

    assert exported.json()["contact"]["email"] == new_email
    assert exported.json()["contact"]["name"] == who["name"]  # the others kept
    assert book_email == new_email
    assert findings.plaintext == {}
    assert findings.readable == {}
    assert findings.sealed_values_seen > 0


def whatsapp_text(phone: str, text: str) -> bytes:
    message = {
        "from": phone.lstrip("+"),
        "id": f"wamid.{uuid.uuid4().hex}",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": text},
    }
    change = {
        "field": "messages",
        "value": {"messaging_product": "whatsapp", "messages": [message]},
    }
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}
    return json.dumps(body).encode()


async def send_whatsapp(system: RunningSystem, http: httpx.AsyncClient, raw: bytes) -> None:
    secret = system.secrets["ALLWAN_WHATSAPP_APP_SECRET"].encode()
    answer = await http.post(
        "/v1/webhooks/whatsapp",
        content=raw,
        headers={
            "content-type": "application/json",
            "x-hub-signature-256": "sha256=" + hmac.new(secret, raw, hashlib.sha256).hexdigest(),
        },
    )
    assert answer.status_code == 202, answer.text


async def listed(system: RunningSystem, http: httpx.AsyncClient, customer: str) -> list[Any]:
    answer = await http.get(
        f"/v1/customers/{customer}/privacy-requests", headers=await system.customer(http, customer)
    )
    assert answer.status_code == 200, answer.text
    requests: list[Any] = answer.json()["requests"]
    return requests


async def assert_erased(
    system: RunningSystem, http: httpx.AsyncClient, who: dict[str, Any]
) -> None:
    customer = who["customer_id"]
    needles = {who["email"], who["phone"], who["name"], who["billing_address"]}
    findings = await scan(system, customer, needles)
    order = await http.get(
        f"/v1/orders/{who['order_id']}", headers=await system.customer(http, customer)
    )
    assert findings.plaintext == {}
    assert findings.readable == {}
    assert order.status_code == 200
    assert order.json()["total_halalas"] == who["total_halalas"]


async def test_erasure_on_the_web_leaves_nothing_readable_and_orders_keep_amounts(
    system: RunningSystem,
) -> None:
    async with system.http() as http:
        who = await customer_with_everything(system, http)
        asked = await ask(system, http, who["customer_id"], "erasure")
        assert asked.status_code == 202, asked.text
        await request_in(system, http, who["customer_id"], asked.json()["request_id"], "completed")
        await assert_erased(system, http, who)
        again = await ask(system, http, who["customer_id"], "access")
        nothing = await request_in(
            system, http, who["customer_id"], again.json()["request_id"], "completed"
        )
        export = await http.get(
            f"/v1/customers/{who['customer_id']}/privacy-requests/{nothing['request_id']}/export",
            headers=await system.customer(http, who["customer_id"]),
        )
    assert export.json()["personal_data_held"] is False
    assert export.json()["contact"] is None


async def test_erasure_on_whatsapp_starts_only_after_the_confirming_message(
    system: RunningSystem,
) -> None:
    async with system.http() as http:
        who = await customer_with_everything(system, http)
        customer = who["customer_id"]
        await send_whatsapp(system, http, whatsapp_text(who["phone"], "احذف بياناتي"))

        async def waiting() -> dict[str, Any] | None:
            found = [r for r in await listed(system, http, customer) if r["kind"] == "erasure"]
            return found[0] if found else None

        request = await eventually(waiting, what="the WhatsApp erasure request received")
        assert request["state"] == "received"
        await send_whatsapp(system, http, whatsapp_text(who["phone"], "تأكيد"))
        await request_in(system, http, customer, request["request_id"], "completed")
        await assert_erased(system, http, who)


async def test_an_extension_is_emailed_to_the_customer_once(system: RunningSystem) -> None:
    needs_notifier(system)
    assert system.servers.mail_api_url is not None
    tag = f"e2e{uuid.uuid4().hex[:8]}"
    reason = f"Records held by a provider {tag}"
    async with system.http() as http:
        who = await customer_with_everything(system, http, marketing=False)
        # A staff request by email: staff record how they checked who is asking.
        asked = await http.post(
            "/v1/staff/privacy-requests",
            json={
                "customer_id": who["customer_id"],
                "kind": "access",
                "channel": "email",
                "identity_check": "registered_email",
            },
            headers=system.staff() | {"Idempotency-Key": f"e2e-{uuid.uuid4()}"},
        )
        assert asked.status_code == 202, asked.text
        request_id = asked.json()["request_id"]
        extended = await http.post(
            f"/v1/staff/privacy-requests/{request_id}/extension",
            json={"days": 20, "reason": reason},
            headers=system.staff(),
        )
        assert extended.status_code == 202, extended.text
        seen = await request_in(
            system, http, who["customer_id"], request_id, "completed", timeout=90
        )
        queue = await http.get("/v1/staff/privacy-requests", headers=system.staff())

    async with httpx.AsyncClient(base_url=system.servers.mail_api_url) as mail:

        async def told() -> list[Any] | None:
            found = await mail.get("/api/v1/search", params={"query": tag})
            messages: list[Any] = found.json().get("messages") or []
            return messages or None

        messages = await eventually(told, timeout=60, what="the extension emailed")
    assert seen["extended_until"] is not None
    assert len(messages) == 1
    assert [a["Address"] for a in messages[0]["To"]] == [who["email"]]
    assert queue.status_code == 200


async def test_refusals_are_problems(system: RunningSystem) -> None:
    async with system.http() as http:
        customer = f"cust-{uuid.uuid4().hex[:8]}"
        first = await ask(system, http, customer, "correction", {"name": "Noura A."})
        assert first.status_code == 202, first.text
        duplicate = await ask(system, http, customer, "correction", {"name": "Noura B."})
        card = await ask(system, http, customer, "correction", {"name": "4111 1111 1111 1111"})
        unknown = await ask(system, http, customer, "portability")
        other = await http.get(
            f"/v1/customers/{customer}/privacy-requests/{first.json()['request_id']}",
            headers=await system.customer(http, f"{customer}-other"),
        )
    conflict = is_problem(duplicate, 409)
    assert first.json()["request_id"] in json.dumps(conflict) + duplicate.headers.get(
        "location", ""
    )
    is_problem(card, 422)
    is_problem(unknown, 422)
    assert other.status_code in {403, 404}
    assert other.headers["content-type"].startswith("application/problem+json")


async def test_a_request_awaiting_confirmation_can_be_cancelled_and_then_not_again(
    system: RunningSystem,
) -> None:
    async with system.http() as http:
        who = await customer_with_everything(system, http, marketing=False)
        customer = who["customer_id"]
        await send_whatsapp(system, http, whatsapp_text(who["phone"], "delete my data"))

        async def waiting() -> dict[str, Any] | None:
            found = [r for r in await listed(system, http, customer) if r["kind"] == "erasure"]
            return found[0] if found else None

        request = await eventually(waiting, what="the WhatsApp erasure request received")
        where = f"/v1/customers/{customer}/privacy-requests/{request['request_id']}"
        cancelled = await http.delete(where, headers=await system.customer(http, customer))
        assert cancelled.status_code == 202, cancelled.text
        done = await request_in(system, http, customer, request["request_id"], "cancelled")
        again = await http.delete(where, headers=await system.customer(http, customer))
        started = await ask(system, http, customer, "access")
        later = await http.delete(
            f"/v1/customers/{customer}/privacy-requests/{started.json()['request_id']}",
            headers=await system.customer(http, customer),
        )
    assert done["history"][-1]["by"] == "customer"
    is_problem(again, 409)
    # Work on a web request starts at once (the token proves who asks): too late to cancel.
    is_problem(later, 409)
