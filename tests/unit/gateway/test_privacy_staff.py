"""Staff and privacy requests (S1: staff only, every action audited): the queue with the
days left on each (an injected clock), requests received by email or phone, an extension
(once, before the deadline) and a denial, each refused with a 409 problem when the
request's state does not allow it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from allwan_contracts.fields import Channel
from allwan_contracts.privacy import (
    PrivacyRequestKind,
)

from tests.unit.gateway.fakes import NOW, SECRETS, Harness, harness
from tests.unit.gateway.seed import (
    access_completed,
    extended,
    life,
    received,
    started,
    verified,
)
from tests.unit.gateway.test_problems import assert_problem

QUEUE = "/v1/staff/privacy-requests"
STAFF_REQUEST: dict[str, Any] = {
    "customer_id": "cust-1",
    "kind": "erasure",
    "channel": "phone",
    "identity_check": "callback",
}


def at(now: list[datetime]) -> Harness:
    return harness(clock=lambda: now[0])


async def in_progress(gw: Harness, request_id: str, customer_id: str, day: int) -> None:
    """A web access request received ``day`` days after NOW, started at once."""
    when = NOW + timedelta(days=day)
    await life(
        gw.gateway,
        received(request_id, customer_id, at=when),
        verified(request_id, customer_id, when),
        started(request_id, customer_id, at=when),
    )


def audited(gw: Harness) -> list[tuple[str, str, str]]:
    entries = gw.documents.collection("staff_audit").values()
    return sorted((e["actor"], e["action"], e["target"]) for e in entries)


async def test_the_queue_is_the_open_requests_oldest_deadline_first_with_days_left() -> None:
    now = [NOW + timedelta(days=35)]
    gw = at(now)
    await in_progress(gw, "r-new", "cust-2", day=20)
    await in_progress(gw, "r-old", "cust-1", day=0)
    await in_progress(gw, "r-extended", "cust-3", day=1)
    await deliver_extension(gw, "r-extended", "cust-3", NOW + timedelta(days=50))
    await life(gw.gateway, *access_completed("r-done", "cust-4"))
    async with gw.client() as http:
        answer = await http.get(QUEUE, headers=gw.staff("s-7"))

    items = answer.json()["requests"]
    assert [(i["request_id"], i["days_left"], i["overdue"]) for i in items] == [
        ("r-old", -5, True),  # due on day 30
        ("r-extended", 15, False),  # day 31, extended to day 50
        ("r-new", 15, False),  # due on day 50, received later
    ]
    assert items[0]["customer_id"] == "cust-1"
    assert items[1]["extended_until"] == "2026-04-20T09:30:00Z"
    assert audited(gw) == [("staff:s-7", "privacy.queue.read", "privacy_requests")]


async def deliver_extension(gw: Harness, request_id: str, customer: str, until: datetime) -> None:
    await life(gw.gateway, extended(request_id, customer, until), first_version=4)


async def test_days_left_is_0_on_the_last_day_and_negative_once_it_has_passed() -> None:
    now = [NOW + timedelta(days=29, hours=1)]
    gw = at(now)
    await in_progress(gw, "r-1", "cust-1", day=0)
    async with gw.client() as http:
        last_day = (await http.get(f"{QUEUE}/r-1", headers=gw.staff())).json()
        now[0] = NOW + timedelta(days=30)
        due = (await http.get(f"{QUEUE}/r-1", headers=gw.staff())).json()
        now[0] = NOW + timedelta(days=30, seconds=1)
        past = (await http.get(f"{QUEUE}/r-1", headers=gw.staff())).json()

    assert (last_day["days_left"], last_day["overdue"]) == (0, False)
    assert (due["days_left"], due["overdue"]) == (0, True)
    assert (past["days_left"], past["overdue"]) == (-1, True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("overdue=true", ["r-old"]),
        ("overdue=false", ["r-new"]),
        ("state=completed", ["r-done"]),
        ("state=completed&overdue=false", ["r-done"]),
        ("state=cancelled", []),
    ],
)
async def test_the_queue_filters_by_state_and_by_overdue(query: str, expected: list[str]) -> None:
    gw = at([NOW + timedelta(days=35)])
    await in_progress(gw, "r-old", "cust-1", day=0)
    await in_progress(gw, "r-new", "cust-2", day=20)
    await life(gw.gateway, *access_completed("r-done", "cust-3"))
    async with gw.client() as http:
        answer = await http.get(f"{QUEUE}?{query}", headers=gw.staff())

    assert [i["request_id"] for i in answer.json()["requests"]] == expected
    finished = [i for i in answer.json()["requests"] if i["state"] == "completed"]
    assert all(i["days_left"] is None for i in finished)


async def test_s1_only_staff_read_the_queue_or_act_on_requests(gw: Harness) -> None:
    await in_progress(gw, "r-1", "cust-1", day=0)
    customer = gw.customer("cust-1")
    async with gw.client() as http:
        queue = await http.get(QUEUE, headers=customer)
        post = await http.post(QUEUE, json=STAFF_REQUEST, headers=customer)
        extend = await http.post(
            f"{QUEUE}/r-1/extension", json={"days": 5, "reason": "x"}, headers=customer
        )
        anonymous = await http.get(QUEUE)

    for answer in (queue, post, extend):
        assert_problem(answer, 403, "forbidden")
    assert_problem(anonymous, 401, "unauthorized")
    assert gw.store.envelopes() == []


async def test_staff_record_a_request_received_by_phone_with_the_identity_check_made() -> None:
    gw = at([NOW])
    key = {"X-API-Key": SECRETS["gateway_staff_api_key"], "Idempotency-Key": "call-20260301-1"}
    async with gw.client() as http:
        answer = await http.post(QUEUE, json=STAFF_REQUEST, headers=key)
        retry = await http.post(QUEUE, json=STAFF_REQUEST, headers=key)
        shown = await http.get(answer.headers["location"], headers=key)

    assert answer.status_code == retry.status_code == 202
    body = answer.json()
    assert answer.headers["location"] == f"{QUEUE}/{body['request_id']}"
    assert (body["state"], body["channel"], body["days_left"], body["overdue"]) == (
        "received",
        "phone",
        30,
        False,
    )
    assert body["history"] == [
        {"state": "received", "at": "2026-03-01T09:30:00Z", "by": "staff:api-key"}
    ]
    assert shown.json() == body
    [request] = gw.intake("PrivacyRequestSubmitted")
    assert (request.customer_id, request.kind, request.channel, request.identity_check) == (
        "cust-1",
        "erasure",
        "phone",
        "callback",
    )
    assert request.requested_by == "staff:api-key"
    actions = [entry[1] for entry in audited(gw)]
    assert actions.count("privacy.request.record") == 2


async def test_a_staff_correction_is_sealed_and_its_changes_are_required(gw: Harness) -> None:
    correction = STAFF_REQUEST | {
        "kind": "correction",
        "identity_check": "order_details",
        "changes": {"phone": "+966512345679"},
    }
    async with gw.client() as http:
        answer = await http.post(QUEUE, json=correction, headers=gw.staff())
        missing = await http.post(
            QUEUE, json=STAFF_REQUEST | {"kind": "correction"}, headers=gw.staff()
        )

    assert answer.status_code == 202
    [request] = gw.intake("PrivacyRequestSubmitted")
    assert request.changes is not None
    assert await gw.opened(request.changes.fields()["phone"], "phone") == "+966512345679"
    assert "+966512345679" not in gw.store.envelopes()[0].model_dump_json()
    assert_problem(missing, 422, "validation-failed")


@pytest.mark.parametrize(
    "change",
    [
        {"channel": "web"},
        {"channel": "whatsapp"},
        {"identity_check": "customer_token"},
        {"identity_check": None},
        {"kind": "deletion"},
        {"customer_id": "not an id"},
    ],
)
async def test_a_staff_request_from_a_channel_or_check_staff_do_not_record_is_422(
    gw: Harness, change: dict[str, Any]
) -> None:
    async with gw.client() as http:
        answer = await http.post(QUEUE, json=STAFF_REQUEST | change, headers=gw.staff())

    assert_problem(answer, 422, "validation-failed")
    assert gw.store.envelopes() == []


async def test_staff_cannot_record_a_second_open_request_of_a_kind(gw: Harness) -> None:
    await in_progress(gw, "r-1", "cust-1", day=0)
    async with gw.client() as http:
        answer = await http.post(QUEUE, json=STAFF_REQUEST | {"kind": "access"}, headers=gw.staff())

    problem = assert_problem(answer, 409, "privacy-request-open")
    assert problem["open_request"] == f"{QUEUE}/r-1"


async def test_an_extension_is_recorded_once_and_refused_when_it_cannot_apply() -> None:
    now = [NOW + timedelta(days=10)]
    gw = at(now)
    await in_progress(gw, "r-1", "cust-1", day=0)
    await life(gw.gateway, *access_completed("r-done", "cust-2"))
    body = {"days": 30.0, "reason": "  The order history is being restored.  "}
    async with gw.client() as http:
        accepted = await http.post(f"{QUEUE}/r-1/extension", json=body, headers=gw.staff("s-7"))
        await deliver_extension(gw, "r-1", "cust-1", NOW + timedelta(days=60))
        twice = await http.post(f"{QUEUE}/r-1/extension", json=body, headers=gw.staff("s-7"))
        finished = await http.post(f"{QUEUE}/r-done/extension", json=body, headers=gw.staff())
        unknown = await http.post(f"{QUEUE}/r-404/extension", json=body, headers=gw.staff())

    assert accepted.status_code == 202
    assert accepted.headers["location"] == f"{QUEUE}/r-1"
    [extension] = gw.intake("PrivacyRequestExtensionRequested")
    assert (extension.request_id, extension.customer_id, extension.days) == ("r-1", "cust-1", 30)
    assert (extension.reason, extension.requested_by) == (
        "The order history is being restored.",
        "staff:s-7",
    )
    assert extension.requested_at == now[0]
    assert_problem(twice, 409, "privacy-request-already-extended")
    assert_problem(finished, 409, "privacy-request-closed")
    assert_problem(unknown, 404, "not-found")
    assert len(gw.intake("PrivacyRequestExtensionRequested")) == 1
    assert ("staff:s-7", "privacy.request.extend", "privacy_request:r-1") in audited(gw)


async def test_an_extension_after_the_deadline_passed_is_refused() -> None:
    gw = at([NOW + timedelta(days=30)])
    await in_progress(gw, "r-1", "cust-1", day=0)
    async with gw.client() as http:
        late = await http.post(
            f"{QUEUE}/r-1/extension", json={"days": 5, "reason": "Late."}, headers=gw.staff()
        )

    assert_problem(late, 409, "privacy-request-past-due")
    assert gw.intake("PrivacyRequestExtensionRequested") == []


@pytest.mark.parametrize("days", [0, 31, 1.5, "10", True])
async def test_an_extension_is_1_to_30_whole_days(gw: Harness, days: object) -> None:
    await in_progress(gw, "r-1", "cust-1", day=0)
    async with gw.client() as http:
        answer = await http.post(
            f"{QUEUE}/r-1/extension", json={"days": days, "reason": "x"}, headers=gw.staff()
        )

    problem = assert_problem(answer, 422, "validation-failed")
    assert [error["location"] for error in problem["errors"]] == ["body.days"]


async def test_a_denial_names_its_legal_reason_and_only_an_open_request_is_denied(
    gw: Harness,
) -> None:
    await in_progress(gw, "r-1", "cust-1", day=0)
    await life(gw.gateway, *access_completed("r-done", "cust-2"))
    denial = {"reason": "manifestly_unfounded", "explanation": "No such account."}
    async with gw.client() as http:
        accepted = await http.post(f"{QUEUE}/r-1/denial", json=denial, headers=gw.staff("s-7"))
        finished = await http.post(f"{QUEUE}/r-done/denial", json=denial, headers=gw.staff())
        no_reason = await http.post(
            f"{QUEUE}/r-1/denial", json={"reason": "we would rather not"}, headers=gw.staff()
        )

    assert accepted.status_code == 202
    [request] = gw.intake("PrivacyRequestDenialRequested")
    assert (request.request_id, request.reason, request.explanation, request.requested_by) == (
        "r-1",
        "manifestly_unfounded",
        "No such account.",
        "staff:s-7",
    )
    assert_problem(finished, 409, "privacy-request-closed")
    assert_problem(no_reason, 422, "validation-failed")
    assert ("staff:s-7", "privacy.request.deny", "privacy_request:r-1") in audited(gw)


async def test_a_whatsapp_erasure_awaiting_confirmation_shows_in_the_queue_as_received() -> None:
    gw = at([NOW + timedelta(hours=1)])
    await life(
        gw.gateway,
        received("wa-1", "cust-1", PrivacyRequestKind.ERASURE, channel=Channel.WHATSAPP),
    )
    async with gw.client() as http:
        [item] = (await http.get(QUEUE, headers=gw.staff())).json()["requests"]

    assert (item["state"], item["channel"], item["days_left"]) == ("received", "whatsapp", 29)
