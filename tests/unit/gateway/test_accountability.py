"""What every accountability route shares: staff only (S1), audited before the privacy
service is asked, the privacy service's refusals passed on as the same problem, a 503 with
``Retry-After`` whenever its answer cannot be used, and a document that states all of it.
Also the retention schedule and the record of processing, which are only read."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from allwan_contracts.accountability import RecordOfProcessing, RetentionView
from allwan_gateway.adapters.privacy_api import PrivacyApi

from tests.e2e.test_fuzz import EMAILS_CUSTOMERS
from tests.unit.gateway.fakes import SECRETS, Harness, harness
from tests.unit.gateway.privacy_fake import FakePrivacy, gateway_over, problem
from tests.unit.gateway.test_breaches import NOTICE, breach_body, regulator
from tests.unit.gateway.test_disclosures import legal
from tests.unit.gateway.test_openapi_document import document
from tests.unit.gateway.test_privacy_staff import audited
from tests.unit.gateway.test_problems import assert_problem

STAFF_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/v1/staff/customers/cust-1/disclosures", None),
    ("POST", "/v1/staff/disclosures", legal()),
    ("GET", "/v1/staff/recipients", None),
    ("GET", "/v1/staff/retention", None),
    ("POST", "/v1/staff/breaches", breach_body()),
    ("GET", "/v1/staff/breaches", None),
    ("GET", "/v1/staff/breaches/b-1", None),
    ("POST", "/v1/staff/breaches/b-1/regulator-notification", regulator()),
    ("POST", "/v1/staff/breaches/b-1/notifications", NOTICE),
    ("POST", "/v1/staff/breaches/b-1/closure", {"summary": "Contained."}),
    ("GET", "/v1/staff/breaches/b-1/report", None),
    ("GET", "/v1/staff/records-of-processing", None),
]
ROUTES = [*STAFF_ROUTES, ("GET", "/v1/customers/cust-1/disclosures", None)]
KEY = {"Idempotency-Key": "accountability-1"}
HOST = "privacy.test"


async def call(gw: Harness, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    async with gw.client() as http:
        return await http.request(method, path, json=body, headers=headers | KEY)


def caller(gw: Harness, path: str) -> dict[str, str]:
    return gw.staff() if path.startswith("/v1/staff/") else gw.customer("cust-1")


def route_id(route: tuple[str, str, Any]) -> str:
    return f"{route[0]} {route[1]}"


@pytest.mark.parametrize(("method", "path", "body"), STAFF_ROUTES, ids=map(route_id, STAFF_ROUTES))
async def test_s1_staff_routes_need_staff_credentials(method: str, path: str, body: Any) -> None:
    privacy = FakePrivacy()
    gw = gateway_over(privacy)

    anonymous = await call(gw, method, path, body, {})
    wrong_key = await call(gw, method, path, body, {"X-API-Key": "guess"})
    customer = await call(gw, method, path, body, gw.customer("cust-1"))

    assert_problem(anonymous, 401, "unauthorized")
    assert_problem(wrong_key, 401, "unauthorized")
    assert_problem(customer, 403, "forbidden")
    assert privacy.asked == []


@pytest.mark.parametrize(("method", "path", "body"), STAFF_ROUTES, ids=map(route_id, STAFF_ROUTES))
async def test_s1_a_staff_call_that_cannot_be_audited_is_not_made(
    method: str, path: str, body: Any
) -> None:
    privacy = FakePrivacy()
    gw = gateway_over(privacy)
    gw.documents.fail_inserts_into.add("staff_audit")

    answer = await call(gw, method, path, body, gw.staff())

    assert_problem(answer, 500, "internal-error")
    assert privacy.asked == []


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=map(route_id, ROUTES))
async def test_every_route_is_a_503_with_retry_after_while_the_privacy_service_is_down(
    method: str, path: str, body: Any
) -> None:
    privacy = FakePrivacy()
    privacy.down = httpx.ConnectError(f"{HOST}: [Errno 111] Connection refused")
    gw = gateway_over(privacy)

    answer = await call(gw, method, path, body, caller(gw, path))

    assert_problem(answer, 503, "unavailable")
    assert int(answer.headers["retry-after"]) >= 1
    assert HOST not in answer.text
    assert len(privacy.asked) == 1


@pytest.mark.parametrize(
    "answer",
    [
        httpx.ReadTimeout("timed out"),
        httpx.Response(500, json={"type": "urn:allwan:problem:internal-error"}),
        httpx.Response(502, text="bad gateway"),
        httpx.Response(302, headers={"location": "/elsewhere"}),
        httpx.Response(200, json={"schedule": "not a list"}),
        httpx.Response(200, text="<html>"),
        httpx.Response(404, text="Not Found"),
        httpx.Response(
            409, json={"type": "urn:allwan:problem:x", "title": "t", "status": 400, "detail": "d"}
        ),
        httpx.Response(
            400, json={"type": "about:blank", "title": "t", "status": 400, "detail": "d"}
        ),
        httpx.Response(400, json=["not", "a", "problem"]),
    ],
    ids=[
        "timeout",
        "500",
        "502",
        "redirect",
        "invalid-body",
        "not-json",
        "4xx-not-a-problem",
        "status-mismatch",
        "foreign-type",
        "not-an-object",
    ],
)
async def test_an_answer_that_cannot_be_used_is_a_503_not_passed_on(answer: Any) -> None:
    privacy = FakePrivacy()
    if isinstance(answer, Exception):
        privacy.down = answer
    else:
        privacy.canned = answer
    gw = gateway_over(privacy)
    async with gw.client() as http:
        found = await http.get("/v1/staff/retention", headers=gw.staff())

    assert_problem(found, 503, "unavailable")
    assert int(found.headers["retry-after"]) >= 1


async def test_without_a_privacy_service_configured_every_route_is_a_503() -> None:
    gw = harness()
    async with gw.client() as http:
        answer = await http.get("/v1/staff/breaches", headers=gw.staff())

    assert_problem(answer, 503, "unavailable")


async def test_a_refusal_is_passed_on_with_its_status_type_title_and_detail() -> None:
    privacy = FakePrivacy()
    privacy.canned = problem(404, "not-found", "There is no such breach.")
    gw = gateway_over(privacy)
    async with gw.client() as http:
        answer = await http.get("/v1/staff/breaches/b-9/report", headers=gw.staff())

    body = assert_problem(answer, 404, "not-found")
    assert (body["title"], body["detail"]) == ("Refused", "There is no such breach.")
    assert body["instance"] == "/v1/staff/breaches/b-9/report"


async def test_staff_read_the_retention_schedule_and_what_its_next_run_would_do() -> None:
    privacy = FakePrivacy()
    gw = gateway_over(privacy)
    async with gw.client() as http:
        answer = await http.get(
            "/v1/staff/retention", headers={"X-API-Key": SECRETS["gateway_staff_api_key"]}
        )

    view = RetentionView.model_validate(answer.json())
    assert [rule.name for rule in view.schedule] == ["customer_contact"]
    assert (view.preview[0].erasures_due, view.preview[0].notices_due) == (1, 2)
    assert audited(gw) == [("staff:api-key", "retention.read", "retention")]
    assert privacy.asked[0].headers["x-allwan-actor"] == "staff:api-key"


async def test_staff_read_the_record_of_processing() -> None:
    privacy = FakePrivacy()
    gw = gateway_over(privacy)
    async with gw.client() as http:
        answer = await http.get("/v1/staff/records-of-processing", headers=gw.staff())

    found = RecordOfProcessing.model_validate(answer.json())
    assert found.activities[0].purpose == "order_processing"
    assert audited(gw) == [("staff:s-7", "records_of_processing.read", "records_of_processing")]


async def test_the_pooled_client_is_closed_at_shutdown_and_made_again_if_needed() -> None:
    privacy = FakePrivacy()
    api = PrivacyApi("http://privacy.test", privacy.transport())
    gw = harness(privacy_api=api)

    async with gw.client() as http:
        before = await http.get("/v1/staff/recipients", headers=gw.staff())
        await api.aclose()
        await api.aclose()
        after = await http.get("/v1/staff/recipients", headers=gw.staff())

    assert (before.status_code, after.status_code) == (200, 200)


async def test_the_document_states_each_routes_problems_keys_and_headers(gw: Harness) -> None:
    paths = (await document(gw))["paths"]

    for method, path, _ in ROUTES:
        template = path.replace("cust-1", "{customer_id}").replace("b-1", "{breach_id}")
        answers = paths[template][method.lower()]["responses"]
        assert {"401", "403", "422", "429", "500", "503"} <= answers.keys(), template
        assert "Retry-After" in answers["503"]["headers"]
    for path in ("/v1/staff/disclosures", "/v1/staff/breaches"):
        operation = paths[path]["post"]
        [key] = [p for p in operation["parameters"] if p["name"] == "idempotency-key"]
        assert key["required"] is True
        assert (key["schema"]["minLength"], key["schema"]["maxLength"]) == (8, 200)
        assert "Location" in operation["responses"]["201"]["headers"]
        assert (
            "unknown-recipient"
            in paths["/v1/staff/disclosures"]["post"]["responses"]["422"]["description"]
        )
    own = paths["/v1/customers/{customer_id}/disclosures"]["get"]
    assert "Link" in own["responses"]["200"]["headers"]
    affected = (await document(gw))["components"]["schemas"]["NewBreach"]["properties"]["affected"]
    assert len(affected["oneOf"]) == 2


async def test_the_running_systems_fuzzing_leaves_out_the_route_that_emails_customers(
    gw: Harness,
) -> None:
    paths = (await document(gw))["paths"]

    assert "post" in paths[EMAILS_CUSTOMERS]
