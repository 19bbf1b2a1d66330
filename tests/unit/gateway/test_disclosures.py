"""The disclosure ledger through the gateway (D1-D3, P2), the privacy service behind
``httpx.MockTransport`` (``privacy_fake``): a customer reads their own, newest first and
paged; staff read any customer's and record a legal disclosure (D2) once per
Idempotency-Key; bodies are checked before the privacy service is asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from allwan_contracts.accountability import Disclosure, DisclosurePage

from tests.unit.gateway.fakes import SECRETS, Harness
from tests.unit.gateway.privacy_fake import FakePrivacy, gateway_over
from tests.unit.gateway.test_privacy_staff import audited
from tests.unit.gateway.test_problems import assert_problem

RECORD = "/v1/staff/disclosures"
STAFF_KEY = {"X-API-Key": SECRETS["gateway_staff_api_key"]}


DISCLOSED_AT = datetime.now(UTC) - timedelta(days=2)


def legal(**changes: Any) -> dict[str, Any]:
    return {
        "customer_id": "cust-1",
        "recipient": "authority",
        "categories": ["name", "email"],
        "reference": "Court order 4471/1448",
        "disclosed_at": DISCLOSED_AT.isoformat(),
    } | changes


async def record(gw: Harness, body: dict[str, Any], key: str | None = "court-order-4471") -> Any:
    headers = gw.staff() | ({"Idempotency-Key": key} if key is not None else {})
    async with gw.client() as http:
        return await http.post(RECORD, json=body, headers=headers)


async def test_d2_staff_record_a_legal_disclosure_with_its_reference_and_who() -> None:
    privacy = FakePrivacy()
    gw = gateway_over(privacy)

    answer = await record(gw, legal())

    assert answer.status_code == 201
    assert answer.headers["location"] == "/v1/staff/customers/cust-1/disclosures"
    shown = Disclosure.model_validate(answer.json())
    assert (shown.legal_basis, shown.reference) == ("law", "Court order 4471/1448")
    assert shown.recorded_by == "staff:s-7"
    [asked] = privacy.asked
    assert (asked.method, asked.url.path) == ("POST", "/internal/disclosures")
    assert asked.headers["x-allwan-actor"] == "staff:s-7"
    assert asked.headers["idempotency-key"] == "court-order-4471"
    assert audited(gw) == [("staff:s-7", "disclosure.record", "customer:cust-1")]


async def test_d2_a_retry_is_the_same_disclosure_and_another_body_under_its_key_is_409() -> None:
    gw = gateway_over(FakePrivacy())

    first = await record(gw, legal())
    again = await record(gw, legal())
    other = await record(gw, legal(reference="Another order"))

    assert again.status_code == 201
    assert again.json()["disclosure_id"] == first.json()["disclosure_id"]
    body = assert_problem(other, 409, "idempotency-key-reused")
    assert body["detail"] == "The key was used for another body."


async def test_d2_a_recipient_outside_the_registry_is_the_privacy_services_422_as_it_said() -> None:
    gw = gateway_over(FakePrivacy())

    answer = await record(gw, legal(recipient="someone-else"))

    body = assert_problem(answer, 422, "unknown-recipient")
    assert (body["title"], body["detail"]) == ("Refused", "No such recipient in the registry.")
    assert "someone-else" not in answer.text


async def test_d2_a_disclosure_needs_an_idempotency_key_and_nothing_is_asked_without_one() -> None:
    privacy = FakePrivacy()
    gw = gateway_over(privacy)

    missing = await record(gw, legal(), key=None)
    malformed = await record(gw, legal(), key="short")

    body = assert_problem(missing, 422, "validation-failed")
    assert body["errors"] == [{"location": "header.idempotency-key", "kind": "missing"}]
    assert_problem(malformed, 400, "invalid-idempotency-key")
    assert privacy.asked == []
    assert audited(gw) == []


@pytest.mark.parametrize(
    ("changes", "location"),
    [
        ({"extra": 1}, "body.extra"),
        ({"disclosed_at": 1_767_225_600}, "body.disclosed_at"),
        ({"disclosed_at": "2026-03-01T09:30:00"}, "body.disclosed_at"),
        ({"categories": ["name", "name"]}, "body.categories"),
        ({"categories": []}, "body.categories"),
        ({"reference": " \u3000 "}, "body.reference"),
        ({"recipient": "Not An Id"}, "body.recipient"),
        ({"customer_id": "-x"}, "body.customer_id"),
    ],
)
async def test_a_body_the_document_refuses_is_a_422_and_the_privacy_service_is_not_asked(
    changes: dict[str, Any], location: str
) -> None:
    privacy = FakePrivacy()
    gw = gateway_over(privacy)

    answer = await record(gw, legal(**changes))

    body = assert_problem(answer, 422, "validation-failed")
    assert [error["location"] for error in body["errors"]] == [location]
    assert privacy.asked == []


async def test_c3_a_card_number_in_a_disclosure_is_refused_before_anything_is_recorded() -> None:
    privacy = FakePrivacy()
    gw = gateway_over(privacy)

    answer = await record(gw, legal(reference="paid with 4111 1111 1111 1111"))

    body = assert_problem(answer, 422, "card-data-refused")
    assert body["errors"] == [{"location": "$.reference", "kind": "card_data"}]
    assert "4111" not in answer.text
    assert privacy.asked == []


async def test_text_is_trimmed_before_it_is_passed_on() -> None:
    privacy = FakePrivacy()
    gw = gateway_over(privacy)

    answer = await record(gw, legal(reference="\u3000 Court order 9 \n"))

    assert answer.status_code == 201
    assert answer.json()["reference"] == "Court order 9"


async def _seeded(count: int) -> tuple[Harness, FakePrivacy]:
    privacy = FakePrivacy()
    gw = gateway_over(privacy)
    start = datetime.now(UTC) - timedelta(days=30)
    for n in range(count):
        at = (start + timedelta(days=n)).isoformat()
        answer = await record(
            gw, legal(disclosed_at=at, reference=f"Order {n}"), key=f"order-{n:04d}"
        )
        assert answer.status_code == 201
    privacy.asked.clear()
    return gw, privacy


async def test_a_customer_reads_their_own_ledger_newest_first_a_page_at_a_time() -> None:
    gw, privacy = await _seeded(3)
    async with gw.client() as http:
        first = await http.get(
            "/v1/customers/cust-1/disclosures?limit=2", headers=gw.customer("cust-1")
        )
        page = DisclosurePage.model_validate(first.json())
        link = first.headers["link"]
        following = await http.get(link[1 : link.index(">")], headers=gw.customer("cust-1"))

    assert first.status_code == 200
    assert [d.reference for d in page.disclosures] == ["Order 2", "Order 1"]
    assert (
        link == f'</v1/customers/cust-1/disclosures?limit=2&cursor={page.next_cursor}>; rel="next"'
    )
    last = DisclosurePage.model_validate(following.json())
    assert [d.reference for d in last.disclosures] == ["Order 0"]
    assert last.next_cursor is None
    assert "link" not in following.headers
    assert [dict(a.url.params) for a in privacy.asked] == [
        {"limit": "2"},
        {"limit": "2", "cursor": page.next_cursor},
    ]
    assert {a.headers["x-allwan-actor"] for a in privacy.asked} == {"customer"}
    assert audited(gw) == [("staff:s-7", "disclosure.record", "customer:cust-1")] * 3


async def test_s1_a_customer_never_reads_another_customers_ledger() -> None:
    gw, privacy = await _seeded(1)
    async with gw.client() as http:
        other = await http.get("/v1/customers/cust-1/disclosures", headers=gw.customer("cust-2"))
        anonymous = await http.get("/v1/customers/cust-1/disclosures")
        as_staff_route = await http.get(
            "/v1/staff/customers/cust-1/disclosures", headers=gw.customer("cust-1")
        )

    assert_problem(other, 403, "forbidden")
    assert_problem(anonymous, 401, "unauthorized")
    assert_problem(as_staff_route, 403, "forbidden")
    assert privacy.asked == []


async def test_a_cursor_the_ledger_did_not_give_is_its_400() -> None:
    gw, _ = await _seeded(1)
    async with gw.client() as http:
        answer = await http.get(
            "/v1/customers/cust-1/disclosures?cursor=forged", headers=gw.customer("cust-1")
        )

    assert_problem(answer, 400, "invalid-cursor")


async def test_staff_read_any_customers_ledger_audited_first() -> None:
    gw, privacy = await _seeded(2)
    async with gw.client() as http:
        answer = await http.get("/v1/staff/customers/cust-1/disclosures", headers=STAFF_KEY)

    assert answer.status_code == 200
    assert len(answer.json()["disclosures"]) == 2
    assert ("staff:api-key", "disclosures.read", "customer:cust-1") in audited(gw)
    [asked] = privacy.asked
    assert asked.headers["x-allwan-actor"] == "staff:api-key"
    assert dict(asked.url.params) == {"limit": "20"}


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
async def test_a_page_size_outside_1_to_100_is_refused(limit: str) -> None:
    privacy = FakePrivacy()
    gw = gateway_over(privacy)
    async with gw.client() as http:
        answer = await http.get(
            f"/v1/customers/cust-1/disclosures?limit={limit}", headers=gw.customer("cust-1")
        )

    assert_problem(answer, 422, "validation-failed")
    assert privacy.asked == []


async def test_staff_read_the_recipients_registry() -> None:
    privacy = FakePrivacy()
    gw = gateway_over(privacy)
    async with gw.client() as http:
        answer = await http.get("/v1/staff/recipients", headers=gw.staff())

    assert answer.status_code == 200
    assert [r["id"] for r in answer.json()["recipients"]] == ["salla", "authority"]
    assert audited(gw) == [("staff:s-7", "recipients.read", "recipients")]
