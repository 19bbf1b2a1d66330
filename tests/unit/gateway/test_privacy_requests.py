"""A customer's privacy requests through the gateway (PDPL: access and a copy, correction,
erasure, within 30 days): recorded for the privacy service with the correction sealed (T2),
one open request per kind, Idempotency-Key like orders, own data only (S1), every refusal
an RFC 9457 problem."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from allwan_contracts.cards import contains_card_number
from allwan_contracts.fields import Channel
from allwan_contracts.privacy import (
    PrivacyRequestKind,
)
from allwan_contracts.privacy_intake import (
    PrivacyRequestSubmitted,
)
from allwan_gateway.domain.idempotency import privacy_request_id_for
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.gateway.fakes import NOW, Harness, harness
from tests.unit.gateway.seed import (
    access_completed,
    cancelled,
    consent,
    deliver,
    life,
    received,
    started,
    verified,
)
from tests.unit.gateway.test_problems import assert_problem

REQUESTS = "/v1/customers/cust-1/privacy-requests"
CORRECTION: dict[str, Any] = {
    "kind": "correction",
    "changes": {"email": "noura.q@example.com", "billing_address": " Tahlia St 4, Jeddah "},
}


async def ask(gw: Harness, body: dict[str, Any], key: str | None = None) -> Any:
    headers = gw.customer("cust-1") | ({"Idempotency-Key": key} if key else {})
    async with gw.client() as http:
        return await http.post(REQUESTS, json=body, headers=headers)


def submitted(gw: Harness) -> list[PrivacyRequestSubmitted]:
    found: list[PrivacyRequestSubmitted] = gw.intake("PrivacyRequestSubmitted")
    return found


async def test_an_access_request_is_recorded_and_shown_received_due_in_30_days() -> None:
    gw = harness(clock=lambda: NOW)

    answer = await ask(gw, {"kind": "access"})

    assert answer.status_code == 202
    body = answer.json()
    assert answer.headers["location"] == f"{REQUESTS}/{body['request_id']}"
    assert (body["kind"], body["state"], body["channel"]) == ("access", "received", "web")
    assert body["received_at"] == "2026-03-01T09:30:00Z"
    assert body["due_at"] == "2026-03-31T09:30:00Z"
    assert body["extended_until"] is None
    assert body["history"] == [
        {"state": "received", "at": "2026-03-01T09:30:00Z", "by": "customer"}
    ]
    [request] = submitted(gw)
    assert (request.request_id, request.customer_id, request.kind) == (
        body["request_id"],
        "cust-1",
        "access",
    )
    assert (request.channel, request.identity_check, request.requested_by) == (
        "web",
        "customer_token",
        "customer",
    )
    assert request.changes is None


async def test_t2_a_correction_is_sealed_under_the_customers_key_before_it_is_stored(
    gw: Harness,
) -> None:
    answer = await ask(gw, CORRECTION)

    assert answer.status_code == 202
    stored = "".join(envelope.model_dump_json() for envelope in gw.store.envelopes())
    stored += repr(gw.documents.collections)
    assert "noura.q@example.com" not in stored
    assert "Tahlia" not in stored
    [request] = submitted(gw)
    assert request.changes is not None
    assert set(request.changes.fields()) == {"email", "billing_address"}
    assert request.changes.fields()["email"].kid == "cust-1"
    assert await gw.opened(request.changes.fields()["email"], "email") == "noura.q@example.com"
    address = request.changes.fields()["billing_address"]
    assert await gw.opened(address, "billing_address") == "Tahlia St 4, Jeddah"


async def test_c3_a_correction_carrying_a_card_number_is_refused_and_nothing_recorded(
    gw: Harness,
) -> None:
    card = {"kind": "correction", "changes": {"billing_address": "4111 1111 1111 1111"}}

    answer = await ask(gw, card)

    body = assert_problem(answer, 422, "card-data-refused")
    assert body["errors"] == [{"location": "$.changes.billing_address", "kind": "card_data"}]
    assert "4111" not in answer.text
    assert gw.store.envelopes() == []
    assert gw.documents.collection("privacy_requests") == {}


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"kind": "portability"}, "body"),
        ({}, "body"),
        ({"kind": "access", "changes": {"name": "Noura"}}, "body.access.changes"),
        ({"kind": "correction"}, "body.correction.changes"),
        ({"kind": "correction", "changes": {}}, "body.correction.changes"),
        ({"kind": "correction", "changes": {"name": None}}, "body.correction.changes.name"),
        ({"kind": "correction", "changes": {"email": "not-an-email"}}, None),
        ({"kind": "correction", "changes": {"national_id": "1"}}, None),
    ],
)
async def test_an_unknown_kind_or_a_malformed_correction_is_a_422_problem(
    gw: Harness, body: dict[str, Any], location: str | None
) -> None:
    answer = await ask(gw, body)

    problem = assert_problem(answer, 422, "validation-failed")
    if location is not None:
        assert location in [error["location"] for error in problem["errors"]]
    assert submitted(gw) == []


async def test_a_retry_with_the_same_key_is_the_same_request_and_the_same_answer(
    gw: Harness,
) -> None:
    first = await ask(gw, CORRECTION, key="privacy-7f3a9")
    retry = await ask(gw, CORRECTION, key="privacy-7f3a9")

    assert first.status_code == retry.status_code == 202
    assert first.json() == retry.json()
    assert first.headers["location"] == retry.headers["location"]
    assert first.json()["request_id"] == privacy_request_id_for("cust-1", "privacy-7f3a9")
    assert len(submitted(gw)) == 1


async def test_the_same_key_for_a_different_request_is_a_conflict(gw: Harness) -> None:
    await ask(gw, {"kind": "access"}, key="privacy-7f3a9")
    other = await ask(gw, {"kind": "erasure"}, key="privacy-7f3a9")

    assert_problem(other, 409, "idempotency-key-reused")
    assert len(submitted(gw)) == 1


async def test_a_malformed_key_is_refused(gw: Harness) -> None:
    answer = await ask(gw, {"kind": "access"}, key="short")

    assert_problem(answer, 400, "invalid-idempotency-key")
    assert submitted(gw) == []


@given(
    customer=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", fullmatch=True),
    key=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=8),
)
def test_c3_a_privacy_request_id_in_a_path_is_never_refused_as_a_card_number(
    customer: str, key: str
) -> None:
    assert not contains_card_number(privacy_request_id_for(customer, key))


def test_a_privacy_request_id_is_the_customers_key_and_nothing_else() -> None:
    one = privacy_request_id_for("cust-1", "key-000001")

    assert one == privacy_request_id_for("cust-1", "key-000001")
    assert str(uuid.UUID(one)) == one
    assert one != privacy_request_id_for("cust-2", "key-000001")
    assert one != privacy_request_id_for("cust-1", "key-000002")


async def test_a_second_request_of_an_open_kind_is_409_with_a_link_to_the_open_one(
    gw: Harness,
) -> None:
    first = await ask(gw, {"kind": "access"})
    again = await ask(gw, {"kind": "access"})
    erasure = await ask(gw, {"kind": "erasure"})

    problem = assert_problem(again, 409, "privacy-request-open")
    assert problem["open_request"] == first.headers["location"]
    assert again.headers["location"] == first.headers["location"]
    assert erasure.status_code == 202
    assert sorted(r.kind for r in submitted(gw)) == ["access", "erasure"]


async def test_a_request_open_on_whatsapp_blocks_the_same_kind_on_the_web(gw: Harness) -> None:
    await life(
        gw.gateway, received("wa-1", "cust-1", PrivacyRequestKind.ERASURE, channel=Channel.WHATSAPP)
    )

    answer = await ask(gw, {"kind": "erasure"})

    problem = assert_problem(answer, 409, "privacy-request-open")
    assert problem["open_request"] == f"{REQUESTS}/wa-1"


async def test_once_the_open_request_is_finished_another_of_its_kind_is_taken(
    gw: Harness,
) -> None:
    first = (await ask(gw, {"kind": "access"})).json()["request_id"]
    await life(gw.gateway, *access_completed(first, "cust-1"))

    again = await ask(gw, {"kind": "access"})

    assert again.status_code == 202
    assert again.json()["request_id"] != first


async def test_a_request_the_privacy_service_never_acknowledged_stops_blocking_after_a_day() -> (
    None
):
    now = [NOW]
    gw = harness(clock=lambda: now[0])
    await ask(gw, {"kind": "access"})
    now[0] = NOW + timedelta(hours=23)
    blocked = await ask(gw, {"kind": "access"})
    now[0] = NOW + timedelta(days=1)
    taken = await ask(gw, {"kind": "access"})

    assert_problem(blocked, 409, "privacy-request-open")
    assert taken.status_code == 202


async def test_a_correction_for_an_erased_customer_is_409_and_nothing_is_recorded(
    gw: Harness,
) -> None:
    await gw.keys.shred("cust-1")

    answer = await ask(gw, CORRECTION)

    assert_problem(answer, 409, "customer-erased")
    assert gw.store.envelopes() == []
    assert gw.documents.collection("privacy_requests") == {}


async def test_s1_another_customers_requests_are_403_by_path_and_404_by_id(gw: Harness) -> None:
    theirs = (await ask(gw, {"kind": "access"})).json()["request_id"]
    mine = gw.customer("cust-2")
    async with gw.client() as http:
        their_list = await http.get(REQUESTS, headers=mine)
        their_post = await http.post(REQUESTS, json={"kind": "access"}, headers=mine)
        own_path = f"/v1/customers/cust-2/privacy-requests/{theirs}"
        by_id = await http.get(own_path, headers=mine)
        cancel = await http.delete(own_path, headers=mine)
        export = await http.get(f"{own_path}/export", headers=mine)
        no_token = await http.get(REQUESTS)

    assert_problem(their_list, 403, "forbidden")
    assert_problem(their_post, 403, "forbidden")
    for answer in (by_id, cancel, export):
        assert_problem(answer, 404, "not-found")
    assert_problem(no_token, 401, "unauthorized")
    assert gw.intake("PrivacyRequestCancellationRequested") == []
    assert len(submitted(gw)) == 1


async def test_the_list_is_newest_first_and_includes_requests_made_on_whatsapp() -> None:
    now = [NOW]
    gw = harness(clock=lambda: now[0])
    web = (await ask(gw, {"kind": "access"})).json()["request_id"]
    later = NOW + timedelta(hours=2)
    await life(
        gw.gateway,
        received("wa-1", "cust-1", PrivacyRequestKind.ERASURE, at=later, channel=Channel.WHATSAPP),
    )
    async with gw.client() as http:
        listed = await http.get(REQUESTS, headers=gw.customer("cust-1"))
        one = await http.get(f"{REQUESTS}/wa-1", headers=gw.customer("cust-1"))

    assert [r["request_id"] for r in listed.json()["requests"]] == ["wa-1", web]
    assert (one.json()["kind"], one.json()["channel"], one.json()["state"]) == (
        "erasure",
        "whatsapp",
        "received",
    )


async def test_the_privacy_services_receipt_replaces_what_the_gateway_recorded(
    gw: Harness,
) -> None:
    request_id = (await ask(gw, {"kind": "access"})).json()["request_id"]
    at = NOW + timedelta(seconds=3)
    await life(
        gw.gateway,
        received(request_id, "cust-1", at=at),
        verified(request_id, "cust-1", at),
        started(request_id, "cust-1", at=at),
    )
    async with gw.client() as http:
        shown = (await http.get(f"{REQUESTS}/{request_id}", headers=gw.customer("cust-1"))).json()

    assert shown["state"] == "in_progress"
    assert shown["received_at"] == "2026-03-01T09:30:03Z"
    assert shown["due_at"] == "2026-03-31T09:30:03Z"
    assert [(h["state"], h["by"]) for h in shown["history"]] == [
        ("received", "customer"),
        ("identity_verified", "service:privacy"),
        ("in_progress", "service:privacy"),
    ]


async def test_a_request_not_started_is_cancelled_and_one_in_progress_is_not(
    gw: Harness,
) -> None:
    request_id = (await ask(gw, {"kind": "erasure"})).json()["request_id"]
    path = f"{REQUESTS}/{request_id}"
    async with gw.client() as http:
        accepted = await http.delete(path, headers=gw.customer("cust-1"))
        await life(
            gw.gateway,
            received(request_id, "cust-1", PrivacyRequestKind.ERASURE),
            verified(request_id, "cust-1"),
            started(request_id, "cust-1", PrivacyRequestKind.ERASURE),
        )
        too_late = await http.delete(path, headers=gw.customer("cust-1"))

    assert accepted.status_code == 202
    assert accepted.headers["location"] == path
    [cancellation] = gw.intake("PrivacyRequestCancellationRequested")
    assert (cancellation.request_id, cancellation.customer_id, cancellation.requested_by) == (
        request_id,
        "cust-1",
        "customer",
    )
    assert_problem(too_late, 409, "privacy-request-not-cancellable")
    assert len(gw.intake("PrivacyRequestCancellationRequested")) == 1


async def test_a_cancelled_request_stays_listed_and_cannot_be_cancelled_again(
    gw: Harness,
) -> None:
    await life(
        gw.gateway,
        received("r-1", "cust-1", PrivacyRequestKind.ERASURE),
        cancelled("r-1", "cust-1"),
    )
    async with gw.client() as http:
        again = await http.delete(f"{REQUESTS}/r-1", headers=gw.customer("cust-1"))
        listed = await http.get(REQUESTS, headers=gw.customer("cust-1"))

    assert_problem(again, 409, "privacy-request-not-cancellable")
    [shown] = listed.json()["requests"]
    assert shown["state"] == "cancelled"
    assert [h["state"] for h in shown["history"]] == ["received", "cancelled"]


async def test_an_unknown_request_is_404(gw: Harness) -> None:
    async with gw.client() as http:
        answer = await http.get(f"{REQUESTS}/r-404", headers=gw.customer("cust-1"))
        cancel = await http.delete(f"{REQUESTS}/r-404", headers=gw.customer("cust-1"))

    assert_problem(answer, 404, "not-found")
    assert_problem(cancel, 404, "not-found")


async def test_k3_a_customer_reads_their_own_consent_history_with_its_proof(
    gw: Harness,
) -> None:
    await deliver(gw.gateway, consent("cust-1"), 1)
    await deliver(gw.gateway, consent("cust-1", granted=False), 2)
    async with gw.client() as http:
        own = await http.get("/v1/customers/cust-1/consents/history", headers=gw.customer("cust-1"))
        staff = await http.get("/v1/staff/customers/cust-1/consent-proof", headers=gw.staff())
        theirs = await http.get(
            "/v1/customers/cust-1/consents/history", headers=gw.customer("cust-2")
        )

    assert own.status_code == 200
    assert own.json() == staff.json()
    assert [e["event_type"] for e in own.json()["entries"]] == [
        "ConsentGranted",
        "ConsentWithdrawn",
    ]
    assert own.json()["entries"][0]["evidence"]["message_reference"] == "m-1"
    assert_problem(theirs, 403, "forbidden")


async def test_the_clock_is_the_gateways_own_not_the_wall() -> None:
    later = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)
    gw = harness(clock=lambda: later)

    answer = await ask(gw, {"kind": "erasure"})

    assert answer.json()["due_at"] == "2027-02-01T03:04:05Z"
    [request] = submitted(gw)
    assert request.submitted_at == later


@pytest.mark.parametrize("kind", ["access", "correction"])
async def test_a_web_request_that_starts_on_receipt_is_not_cancellable_even_before_it_is_seen(
    gw: Harness, kind: str
) -> None:
    body = CORRECTION if kind == "correction" else {"kind": kind}
    request_id = (await ask(gw, body)).json()["request_id"]
    async with gw.client() as http:
        answer = await http.delete(f"{REQUESTS}/{request_id}", headers=gw.customer("cust-1"))

    assert_problem(answer, 409, "privacy-request-not-cancellable")
    assert gw.intake("PrivacyRequestCancellationRequested") == []


async def test_an_erasure_in_its_grace_period_is_cancelled(gw: Harness) -> None:
    erasure = PrivacyRequestKind.ERASURE
    await life(gw.gateway, received("r-1", "cust-1", erasure), verified("r-1", "cust-1"))
    async with gw.client() as http:
        answer = await http.delete(f"{REQUESTS}/r-1", headers=gw.customer("cust-1"))

    assert answer.status_code == 202
    assert answer.json()["state"] == "identity_verified"
    [cancellation] = gw.intake("PrivacyRequestCancellationRequested")
    assert cancellation.request_id == "r-1"
