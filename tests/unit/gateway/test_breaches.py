"""The breach register through the gateway (S2, PDPL 72 h), the privacy service behind
``httpx.MockTransport`` (``privacy_fake``): staff open a breach once per Idempotency-Key,
follow it through its states, have the customers told and read the regulator's report;
each call audited first, naming the breach; the privacy service's refusals as it said them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from allwan_contracts.accountability import Breach, BreachList, BreachReport

from tests.unit.gateway.fakes import Harness
from tests.unit.gateway.privacy_fake import FakePrivacy, gateway_over
from tests.unit.gateway.test_privacy_staff import audited
from tests.unit.gateway.test_problems import assert_problem

BREACHES = "/v1/staff/breaches"
DETECTED_AT = (datetime.now(UTC) - timedelta(hours=5)).replace(microsecond=0)
NOTICE = {"notice": {"message_ar": "تعرضت بعض بياناتك للاطلاع.", "message_en": "Some data leaked."}}


def breach_body(**changes: Any) -> dict[str, Any]:
    return {
        "detected_at": DETECTED_AT.isoformat(),
        "description": "An export bucket was readable for 3 hours.",
        "categories": ["name", "email"],
        "affected": {"customer_ids": ["cust-1", "cust-2"]},
        "likely_consequences": "Phishing by name.",
        "measures_taken": "Access revoked.",
    } | changes


async def open_one(gw: Harness, key: str = "breach-2026-11-30", **changes: Any) -> Any:
    async with gw.client() as http:
        return await http.post(
            BREACHES, json=breach_body(**changes), headers=gw.staff() | {"Idempotency-Key": key}
        )


async def step(gw: Harness, breach_id: str, name: str, body: dict[str, Any]) -> Any:
    async with gw.client() as http:
        return await http.post(f"{BREACHES}/{breach_id}/{name}", json=body, headers=gw.staff())


def regulator(reference: str = "SDAIA-2026-193") -> dict[str, Any]:
    return {"reference": reference, "notified_at": (DETECTED_AT + timedelta(hours=2)).isoformat()}


async def test_s2_a_breach_is_registered_with_its_72_hour_deadline_and_location() -> None:
    privacy = FakePrivacy()
    gw = gateway_over(privacy)

    answer = await open_one(gw)

    assert answer.status_code == 201
    breach = Breach.model_validate(answer.json())
    assert answer.headers["location"] == f"{BREACHES}/{breach.breach_id}"
    assert breach.regulator_deadline == DETECTED_AT + timedelta(hours=72)
    assert (breach.state, breach.affected_count, breach.overdue) == ("open", 2, False)
    [asked] = privacy.asked
    assert asked.headers["x-allwan-actor"] == "staff:s-7"
    assert asked.headers["idempotency-key"] == "breach-2026-11-30"
    assert audited(gw) == [("staff:s-7", "breach.open", "breaches")]


async def test_a_retried_opening_is_the_same_breach_and_a_new_body_under_its_key_is_409() -> None:
    gw = gateway_over(FakePrivacy())

    first, again = await open_one(gw), await open_one(gw)
    other = await open_one(gw, description="Something else entirely.")

    assert again.status_code == 201
    assert again.json()["breach_id"] == first.json()["breach_id"]
    assert_problem(other, 409, "idempotency-key-reused")


async def test_a_breach_detected_in_the_future_is_the_privacy_services_422() -> None:
    gw = gateway_over(FakePrivacy())

    answer = await open_one(gw, detected_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())

    assert_problem(answer, 422, "detected-in-future")


@pytest.mark.parametrize(
    ("affected", "location"),
    [
        (
            {"ordered_from": "2026-11-02T00:00:00Z", "ordered_until": "2026-11-01T00:00:00Z"},
            "window",
        ),
        (
            {"customer_ids": ["cust-1"], "ordered_from": "2026-11-01T00:00:00Z"},
            "listed.ordered_from",
        ),
        ({"customer_ids": ["cust-1", "cust-1"]}, "listed.customer_ids"),
        ({"customer_ids": []}, "listed.customer_ids"),
        ({}, "window.ordered_from"),
    ],
)
async def test_the_affected_customers_are_listed_once_each_or_an_ordered_window(
    affected: dict[str, Any], location: str
) -> None:
    privacy = FakePrivacy()
    gw = gateway_over(privacy)

    answer = await open_one(gw, affected=affected)

    body = assert_problem(answer, 422, "validation-failed")
    assert body["errors"][0]["location"] == f"body.affected.{location}"
    assert privacy.asked == []


async def test_an_order_window_is_passed_on_as_the_contract_states_it() -> None:
    privacy = FakePrivacy()
    gw = gateway_over(privacy)
    window = {"ordered_from": "2026-11-01T03:00:00+03:00", "ordered_until": "2026-11-15T00:00:00Z"}

    answer = await open_one(gw, affected=window)

    assert answer.status_code == 201
    assert answer.json()["affected_count"] == 3
    sent = privacy.breaches[answer.json()["breach_id"]]["request"].affected
    assert (sent.ordered_from, sent.customer_ids) == (datetime(2026, 11, 1, tzinfo=UTC), None)


async def test_s2_a_breach_lives_from_open_to_closed_each_step_audited_naming_it() -> None:
    gw = gateway_over(FakePrivacy())
    breach_id = (await open_one(gw)).json()["breach_id"]

    told = await step(gw, breach_id, "regulator-notification", regulator())
    notified = await step(gw, breach_id, "notifications", NOTICE)
    closed = await step(gw, breach_id, "closure", {"summary": "Contained."})

    assert told.status_code == 200
    assert told.json()["regulator_reference"] == "SDAIA-2026-193"
    assert told.json()["hours_to_deadline"] is None
    assert notified.status_code == 202
    assert (notified.json()["state"], notified.json()["notified_customers"]) == (
        "customers_notified",
        2,
    )
    assert closed.status_code == 200
    assert [s["state"] for s in closed.json()["history"]] == [
        "open",
        "regulator_notified",
        "customers_notified",
        "closed",
    ]
    target = f"breach:{breach_id}"
    assert audited(gw) == sorted(
        [
            ("staff:s-7", "breach.open", "breaches"),
            ("staff:s-7", "breach.regulator.notify", target),
            ("staff:s-7", "breach.customers.notify", target),
            ("staff:s-7", "breach.close", target),
        ]
    )


async def test_a_repeated_step_answers_the_breach_and_a_different_one_is_409() -> None:
    gw = gateway_over(FakePrivacy())
    breach_id = (await open_one(gw)).json()["breach_id"]
    await step(gw, breach_id, "regulator-notification", regulator())

    again = await step(gw, breach_id, "regulator-notification", regulator())
    other = await step(gw, breach_id, "regulator-notification", regulator("OTHER-1"))
    notified = await step(gw, breach_id, "notifications", NOTICE)
    notified_again = await step(gw, breach_id, "notifications", NOTICE)

    assert again.status_code == 200
    assert_problem(other, 409, "wrong-state")
    assert (notified.status_code, notified_again.status_code) == (202, 202)
    assert notified_again.json() == notified.json()


async def test_customers_are_told_only_after_the_regulator() -> None:
    gw = gateway_over(FakePrivacy())
    breach_id = (await open_one(gw)).json()["breach_id"]

    answer = await step(gw, breach_id, "notifications", NOTICE)

    assert_problem(answer, 409, "wrong-state")


async def test_the_customers_notification_may_take_longer_than_other_calls() -> None:
    privacy = FakePrivacy()
    gw = gateway_over(privacy)
    breach_id = (await open_one(gw)).json()["breach_id"]
    await step(gw, breach_id, "regulator-notification", regulator())

    await step(gw, breach_id, "notifications", NOTICE)

    timeouts = [asked.extensions["timeout"]["read"] for asked in privacy.asked]
    assert timeouts == [5.0, 5.0, 30.0]


async def test_staff_list_the_register_with_its_filters_and_read_one_and_its_report() -> None:
    privacy = FakePrivacy()
    gw = gateway_over(privacy)
    breach_id = (await open_one(gw)).json()["breach_id"]
    async with gw.client() as http:
        listed = await http.get(f"{BREACHES}?state=open&overdue=false", headers=gw.staff())
        one = await http.get(f"{BREACHES}/{breach_id}", headers=gw.staff())
        report = await http.get(f"{BREACHES}/{breach_id}/report", headers=gw.staff())
        unknown = await http.get(f"{BREACHES}/b-404", headers=gw.staff())

    assert [b.breach_id for b in BreachList.model_validate(listed.json()).breaches] == [breach_id]
    assert dict(privacy.asked[1].url.params) == {"state": "open", "overdue": "false"}
    assert Breach.model_validate(one.json()).breach_id == breach_id
    found = BreachReport.model_validate(report.json())
    assert (found.format, found.breach.breach_id) == ("allwan.breach-report/1", breach_id)
    assert_problem(unknown, 404, "not-found")
    actions = [(action, target) for _, action, target in audited(gw)]
    assert ("breach.report.read", f"breach:{breach_id}") in actions
    assert ("breaches.read", "breaches") in actions
    assert ("breach.read", "breach:b-404") in actions


@pytest.mark.parametrize("query", ["state=lost", "overdue=maybe"])
async def test_a_filter_outside_the_documented_values_is_refused(query: str) -> None:
    privacy = FakePrivacy()
    gw = gateway_over(privacy)
    async with gw.client() as http:
        answer = await http.get(f"{BREACHES}?{query}", headers=gw.staff())

    assert_problem(answer, 422, "validation-failed")
    assert privacy.asked == []


async def test_a_breach_id_the_document_refuses_never_reaches_the_privacy_service() -> None:
    privacy = FakePrivacy()
    gw = gateway_over(privacy)
    async with gw.client() as http:
        answer = await http.get(f"{BREACHES}/{'b' * 65}", headers=gw.staff())

    assert_problem(answer, 422, "validation-failed")
    assert privacy.asked == []
