"""Placing orders: personal fields sealed (T2, C1), Idempotency-Key → one order, and the
decision answered within a bound (201), or 202 with a status URL."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from allwan_contracts.intake import OrderRequested
from allwan_gateway.domain.idempotency import InvalidIdempotencyKey, order_id_for

from tests.unit.gateway.fakes import SECRETS, Harness, harness
from tests.unit.gateway.seed import deliver, paid, placed, rejected
from tests.unit.gateway.test_problems import ORDER, assert_problem

FULL_ORDER: dict[str, Any] = ORDER | {
    "contact": ORDER["contact"] | {"billing_address": "Prince Sultan St 12, Jeddah"},
    "age_attestation": "legal_age",
}


def test_the_same_key_of_the_same_customer_and_client_is_the_same_order() -> None:
    one = order_id_for("storefront", "cust-1", "key-000001")

    assert one == order_id_for("storefront", "cust-1", "key-000001")
    assert str(uuid.UUID(one)) == one
    assert one != order_id_for("storefront", "cust-2", "key-000001")
    assert one != order_id_for("mobile-app", "cust-1", "key-000001")
    assert one != order_id_for("storefront", "cust-1", "key-000002")


@pytest.mark.parametrize("key", ["short", "x" * 201, "has space in it", "ünïcode-key"])
def test_an_idempotency_key_is_8_to_200_printable_ascii(key: str) -> None:
    with pytest.raises(InvalidIdempotencyKey):
        order_id_for("storefront", "cust-1", key)


async def test_t2_personal_fields_are_sealed_under_the_customers_key_before_storing(
    gw: Harness,
) -> None:
    async with gw.client() as http:
        answer = await http.post("/v1/orders", json=FULL_ORDER, headers=gw.customer("cust-1"))

    assert answer.status_code == 202
    [request] = gw.intake("OrderRequested")
    assert isinstance(request, OrderRequested)
    stored = "".join(envelope.model_dump_json() for envelope in gw.store.envelopes())
    for plain in ("Noura", "noura@example.com", "+966512345678", "Prince Sultan"):
        assert plain not in stored
    contact = request.contact
    assert {contact.name.kid, contact.email.kid, contact.phone.kid} == {"cust-1"}
    assert await gw.opened(contact.email, "email") == "noura@example.com"
    assert contact.billing_address is not None
    assert (await gw.opened(contact.billing_address, "billing_address")).startswith("Prince")
    assert (request.customer_id, request.requested_by, request.source) == (
        "cust-1",
        "customer",
        "storefront",
    )


async def test_an_erased_customers_order_is_409_and_nothing_is_recorded_or_listed(
    gw: Harness,
) -> None:
    await gw.keys.shred("cust-1")
    async with gw.client() as http:
        answer = await http.post("/v1/orders", json=FULL_ORDER, headers=gw.customer("cust-1"))
        listed = await http.get("/v1/customers/cust-1/orders", headers=gw.customer("cust-1"))

    assert_problem(answer, 409, "customer-erased")
    assert gw.store.envelopes() == []
    assert listed.json()["orders"] == []


async def test_a_retry_with_the_same_key_is_recorded_once(gw: Harness) -> None:
    headers = gw.customer("cust-1") | {"Idempotency-Key": "checkout-7f3a9"}
    async with gw.client() as http:
        first = await http.post("/v1/orders", json=FULL_ORDER, headers=headers)
        retry = await http.post("/v1/orders", json=FULL_ORDER, headers=headers)

    assert first.status_code == retry.status_code == 202
    assert first.json()["order_id"] == retry.json()["order_id"]
    assert first.json()["order_id"] == order_id_for("storefront", "cust-1", "checkout-7f3a9")
    assert len(gw.intake("OrderRequested")) == 1
    assert first.headers["location"] == f"/v1/orders/{first.json()['order_id']}"


async def test_the_same_key_for_a_different_request_is_a_conflict(gw: Harness) -> None:
    headers = gw.customer("cust-1") | {"Idempotency-Key": "checkout-7f3a9"}
    async with gw.client() as http:
        await http.post("/v1/orders", json=FULL_ORDER, headers=headers)
        other = await http.post("/v1/orders", json=FULL_ORDER | {"quantity": 2}, headers=headers)

    assert_problem(other, 409, "idempotency-key-reused")
    assert len(gw.intake("OrderRequested")) == 1


async def test_a_malformed_idempotency_key_is_refused(gw: Harness) -> None:
    headers = gw.customer("cust-1") | {"Idempotency-Key": "short"}
    async with gw.client() as http:
        answer = await http.post("/v1/orders", json=FULL_ORDER, headers=headers)

    assert_problem(answer, 400, "invalid-idempotency-key")


async def test_an_undecided_order_is_202_with_its_status_url_and_reads_pending(
    gw: Harness,
) -> None:
    async with gw.client() as http:
        accepted = await http.post("/v1/orders", json=FULL_ORDER, headers=gw.customer("cust-1"))
        status = await http.get(accepted.headers["location"], headers=gw.customer("cust-1"))
        listed = await http.get("/v1/customers/cust-1/orders", headers=gw.customer("cust-1"))

    assert accepted.json()["status"] == "accepted"
    assert status.json()["status"] == "pending"
    assert [o["order_id"] for o in listed.json()["orders"]] == [accepted.json()["order_id"]]


async def _decide_soon(gw: Harness, event_of: object, delay: float = 0.05) -> None:
    """Play orders: decide the first order requested, shortly after it is recorded."""
    while not gw.intake("OrderRequested"):
        await asyncio.sleep(0.005)
    await asyncio.sleep(delay)
    request = gw.intake("OrderRequested")[0]
    await deliver(gw.gateway, event_of(request.order_id, request.customer_id), 1)  # type: ignore[operator]


async def test_a_decision_within_the_bound_is_answered_201_with_the_order() -> None:
    gw = harness(decision_wait_s=2.0)
    async with gw.client() as http:
        answer, _ = await asyncio.gather(
            http.post("/v1/orders", json=FULL_ORDER, headers=gw.customer("cust-1")),
            _decide_soon(gw, placed),
        )

    assert answer.status_code == 201
    assert answer.json()["status"] == "placed"
    assert answer.json()["total_halalas"] == 2990
    assert answer.headers["server-timing"].startswith("decision;dur=")


async def test_a1_a_refusal_within_the_bound_is_a_422_problem_with_its_reason() -> None:
    gw = harness(decision_wait_s=2.0)
    async with gw.client() as http:
        answer, _ = await asyncio.gather(
            http.post("/v1/orders", json=ORDER, headers=gw.customer("cust-1")),
            _decide_soon(gw, rejected),
        )

    body = assert_problem(answer, 422, "order-rejected")
    assert body["reason"] == "age_attestation_missing"
    assert "A1" in body["detail"]


async def test_no_decision_within_the_bound_is_202_after_the_bound() -> None:
    gw = harness(decision_wait_s=0.2)
    loop = asyncio.get_running_loop()
    async with gw.client() as http:
        started = loop.time()
        answer = await http.post("/v1/orders", json=FULL_ORDER, headers=gw.customer("cust-1"))
        waited = loop.time() - started

    assert answer.status_code == 202
    assert 0.2 <= waited < 1.0


async def test_the_storefront_reports_a_payment_for_a_placed_order(gw: Harness) -> None:
    await deliver(gw.gateway, placed("o-1", "cust-1"), 1)
    key = {"X-API-Key": SECRETS["gateway_storefront_api_key"]}
    body = {"payment_reference": "pay_9", "amount_halalas": 2990, "card_last4": "4242"}
    async with gw.client() as http:
        reported = await http.post("/v1/orders/o-1/payments", json=body, headers=key)
        unknown = await http.post("/v1/orders/o-404/payments", json=body, headers=key)
        by_customer = await http.post(
            "/v1/orders/o-1/payments", json=body, headers=gw.customer("cust-1")
        )

    assert reported.status_code == 202
    [payment] = gw.intake("PaymentReported")
    assert (payment.customer_id, payment.card_last4, payment.requested_by) == (
        "cust-1",
        "4242",
        "service:storefront",
    )
    assert unknown.status_code == 404
    assert by_customer.status_code == 401


async def test_a_customer_asks_to_cancel_only_their_own_order(gw: Harness) -> None:
    await deliver(gw.gateway, placed("o-1", "cust-1"), 1)
    await deliver(gw.gateway, paid("o-1", "cust-1"), 2)
    async with gw.client() as http:
        mine = await http.post("/v1/orders/o-1/cancellation", headers=gw.customer("cust-1"))
        theirs = await http.post("/v1/orders/o-1/cancellation", headers=gw.customer("cust-2"))

    assert mine.status_code == 202
    assert theirs.status_code == 404
    [cancellation] = gw.intake("CancellationRequested")
    assert cancellation.reason == "customer_request"
