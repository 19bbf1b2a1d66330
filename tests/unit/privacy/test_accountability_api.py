"""The internal accountability API as the gateway calls it: each route's answer, and an RFC 9457
problem for every bad input (bad JSON, unknown fields, bad ids and queries, a missing actor or
Idempotency-Key, a reused key, a wrong state) that never repeats a value sent."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from allwan_contracts.accountability import (
    RecordOfProcessing,
    RetentionRule,
    RetentionView,
)
from allwan_contracts.disclosures import DataCategory
from allwan_privacy.domain.disclosures import Page
from allwan_privacy.entrypoints.accountability_api import Accountability, accountability_api
from allwan_privacy.entrypoints.app import create_app
from allwan_privacy.settings import PrivacySettings
from allwan_runtime.access_log import logged
from pydantic import SecretStr
from pymongo.errors import ServerSelectionTimeoutError
from structlog.testing import capture_logs

from tests.unit.privacy.conftest import REGISTRY, BreachWorld, World
from tests.unit.privacy.fakes import CUSTOMER, WHEN, FakeLedger

STAFF = {"X-Allwan-Actor": "staff:7"}
CARD = "4111 1111 1111 1111"
COURT = {
    "customer_id": CUSTOMER,
    "recipient": "authority",
    "categories": ["name", "phone"],
    "reference": "Riyadh court order 4471/1447",
    "disclosed_at": (WHEN - timedelta(hours=3)).isoformat(),
}
BREACH = {
    "detected_at": (WHEN - timedelta(hours=1)).isoformat(),
    "description": "A staff laptop holding an order export was stolen.",
    "categories": ["email"],
    "affected": {"customer_ids": ["cust-1", "cust-2"]},
    "likely_consequences": "Phishing emails.",
    "measures_taken": "Remote wipe.",
}
NOTICE = {"notice": {"message_ar": "نص التنبيه", "message_en": "The notice."}}
REGULATOR = {"reference": "SDAIA-2026-0042", "notified_at": WHEN.isoformat()}


class Preview:
    async def view(self, now: datetime) -> RetentionView:
        rule = RetentionRule(
            name="privacy_exports",
            categories=[DataCategory.PRIVACY_REQUESTS],
            ends_with="the export is made",
            period_days=7,
            notice_days=0,
            action="destroy",
            applied_by="allwan-privacy deadlines",
            reason="The customer downloads it within a week.",
        )
        return RetentionView(schedule=[rule], preview=[], previewed_at=now)


def records(path: Path) -> Path:
    record = RecordOfProcessing(
        controller="ALLWANSTORES", activities=[], recipients=REGISTRY.recipients, retention=[]
    )
    path.write_text(record.model_dump_json(), encoding="utf-8")
    return path


@pytest.fixture
async def http(
    world: World, breaches: BreachWorld, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    api = accountability_api(
        Accountability(
            ledger=world.ledger_deps,
            breaches=breaches.deps,
            retention=Preview(),
            records_file=records(tmp_path / "records.json"),
        )
    )
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://privacy") as client:
        yield client


def problem(answer: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert body["type"] == f"urn:allwan:problem:{slug}"
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


def keyed(key: str = "court-key-0001") -> dict[str, str]:
    return {**STAFF, "Idempotency-Key": key}


async def test_staff_record_a_legal_disclosure_once_and_read_it_in_the_ledger(
    http: httpx.AsyncClient, world: World
) -> None:
    created = await http.post("/internal/disclosures", json=COURT, headers=keyed())
    again = await http.post("/internal/disclosures", json=COURT, headers=keyed())
    [recorded] = world.store.all_events("disclosure")
    await world.disclose(recorded, producer="privacy")
    ledger = await http.get(f"/internal/customers/{CUSTOMER}/disclosures")

    assert created.status_code == 201
    assert created.headers["location"] == f"/internal/customers/{CUSTOMER}/disclosures"
    assert created.headers["cache-control"] == "no-store"
    assert again.json() == created.json()
    assert created.json()["legal_basis"] == "law"
    assert created.json()["recorded_by"] == "staff:7"
    assert ledger.status_code == 200
    assert ledger.json() == {"disclosures": [created.json()], "next_cursor": None}


async def test_the_ledger_pages_with_its_cursor(http: httpx.AsyncClient, world: World) -> None:
    for number in range(3):
        body = {**COURT, "disclosed_at": (WHEN - timedelta(hours=number)).isoformat()}
        await http.post("/internal/disclosures", json=body, headers=keyed(f"court-key-000{number}"))
    for recorded in world.store.all_events("disclosure"):
        await world.disclose(recorded, producer="privacy")

    first = (await http.get(f"/internal/customers/{CUSTOMER}/disclosures?limit=2")).json()
    rest = await http.get(
        f"/internal/customers/{CUSTOMER}/disclosures",
        params={"limit": 2, "cursor": first["next_cursor"]},
    )

    times = [entry["at"] for entry in [*first["disclosures"], *rest.json()["disclosures"]]]
    assert times == sorted(times, reverse=True)
    assert len(times) == 3
    assert rest.json()["next_cursor"] is None


@pytest.mark.parametrize(
    ("path", "status", "slug"),
    [
        ("/internal/customers/cust-1/disclosures?limit=0", 400, "invalid-query"),
        ("/internal/customers/cust-1/disclosures?limit=101", 400, "invalid-query"),
        ("/internal/customers/cust-1/disclosures?limit=ten", 400, "invalid-query"),
        ("/internal/customers/cust-1/disclosures?cursor=sara%40example.com", 400, "invalid-cursor"),
        ("/internal/customers/-sara/disclosures", 400, "invalid-customer-id"),
        ("/internal/breaches?state=lost", 400, "invalid-query"),
        ("/internal/breaches?overdue=maybe", 400, "invalid-query"),
        ("/internal/breaches/-nope", 404, "not-found"),
        ("/internal/breaches/no-such-breach", 404, "not-found"),
        ("/internal/breaches/no-such-breach/report", 404, "not-found"),
        ("/internal/nothing-here", 404, "not-found"),
    ],
)
async def test_a_bad_query_or_id_is_a_problem_that_repeats_nothing_sent(
    http: httpx.AsyncClient, path: str, status: int, slug: str
) -> None:
    answer = await http.get(path)

    problem(answer, status, slug)
    for sent in ("sara", "lost", "maybe", "ten", "nope"):
        assert sent not in answer.text


@pytest.mark.parametrize(
    ("headers", "body", "status", "slug"),
    [
        ({"Idempotency-Key": "court-key-0001"}, COURT, 400, "missing-actor"),
        (
            {"Idempotency-Key": "court-key-0001", "X-Allwan-Actor": "customer"},
            COURT,
            400,
            "missing-actor",
        ),
        (STAFF, COURT, 400, "idempotency-key-required"),
        ({**STAFF, "Idempotency-Key": "short"}, COURT, 400, "invalid-idempotency-key"),
        (keyed(), b'{"customer_id": "sara@example.com",', 400, "malformed-json"),
        (keyed(), {**COURT, "sara@example.com": 1}, 422, "invalid-body"),
        (keyed(), {**COURT, "reference": f"order {CARD}"}, 422, "invalid-body"),
        (keyed(), {**COURT, "recipient": "nobody"}, 422, "unknown-recipient"),
        (
            keyed(),
            {**COURT, "disclosed_at": (WHEN + timedelta(days=1)).isoformat()},
            422,
            "disclosed-in-future",
        ),
    ],
    ids=[
        "no actor",
        "not staff",
        "no key",
        "short key",
        "bad json",
        "unknown field",
        "card number",
        "unknown recipient",
        "in the future",
    ],
)
async def test_a_bad_legal_disclosure_is_a_problem_that_repeats_nothing_sent(
    http: httpx.AsyncClient,
    world: World,
    headers: dict[str, str],
    body: Any,
    status: int,
    slug: str,
) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()

    answer = await http.post(
        "/internal/disclosures",
        content=content,
        headers={**headers, "Content-Type": "application/json"},
    )

    problem(answer, status, slug)
    assert "sara" not in answer.text
    assert "4111" not in answer.text
    assert world.store.all_events("disclosure") == []


async def test_an_invalid_body_names_each_field_that_does_not_fit(http: httpx.AsyncClient) -> None:
    answer = await http.post(
        "/internal/disclosures",
        json={**COURT, "categories": ["dna"], "sara@example.com": 1},
        headers=keyed(),
    )

    body = problem(answer, 422, "invalid-body")
    assert {(error["location"], error["kind"]) for error in body["errors"]} == {
        ("categories.0", "enum"),
        ("<key>", "extra_forbidden"),
    }


async def test_a_reused_key_and_another_media_type_are_refused(http: httpx.AsyncClient) -> None:
    await http.post("/internal/disclosures", json=COURT, headers=keyed())

    reused = await http.post(
        "/internal/disclosures", json={**COURT, "categories": ["email"]}, headers=keyed()
    )
    form = await http.post(
        "/internal/disclosures", content=b"a=b", headers={**keyed(), "Content-Type": "text/plain"}
    )

    problem(reused, 409, "idempotency-key-reused")
    problem(form, 415, "unsupported-media-type")


async def test_the_registry_retention_and_record_of_processing_are_served(
    http: httpx.AsyncClient,
) -> None:
    recipients = await http.get("/internal/recipients")
    retention = await http.get("/internal/retention")
    record = await http.get("/internal/records-of-processing")

    assert [r["id"] for r in recipients.json()["recipients"]][:2] == ["salla", "smtp"]
    assert retention.json()["schedule"][0]["name"] == "privacy_exports"
    assert retention.json()["previewed_at"] == WHEN.isoformat().replace("+00:00", "Z")
    assert record.json()["controller"] == "ALLWANSTORES"


async def test_a_record_of_processing_not_generated_or_invalid_is_unavailable(
    world: World, breaches: BreachWorld, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "something else"}', encoding="utf-8")
    answers = []
    for path in (tmp_path / "absent.json", broken):
        api = accountability_api(Accountability(world.ledger_deps, breaches.deps, None, path))
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://privacy") as client:
            answers.append(await client.get("/internal/records-of-processing"))
            answers.append(await client.get("/internal/retention"))

    problem(answers[0], 503, "records-unavailable")
    problem(answers[1], 503, "retention-unavailable")
    problem(answers[2], 503, "records-unavailable")


async def test_a_breach_goes_from_open_to_closed_through_the_api(
    http: httpx.AsyncClient, breaches: BreachWorld
) -> None:
    opened = await http.post("/internal/breaches", json=BREACH, headers=keyed("breach-key-1"))
    again = await http.post("/internal/breaches", json=BREACH, headers=keyed("breach-key-1"))
    breach_id = opened.json()["breach_id"]
    base = f"/internal/breaches/{breach_id}"
    early = await http.post(f"{base}/notifications", json=NOTICE, headers=STAFF)
    told = await http.post(f"{base}/regulator-notification", json=REGULATOR, headers=STAFF)
    retold = await http.post(f"{base}/regulator-notification", json=REGULATOR, headers=STAFF)
    otherwise = await http.post(
        f"{base}/regulator-notification", json={**REGULATOR, "reference": "X-2"}, headers=STAFF
    )
    notified = await http.post(f"{base}/notifications", json=NOTICE, headers=STAFF)
    closed = await http.post(f"{base}/closure", json={"summary": "Contained."}, headers=STAFF)
    report = await http.get(f"{base}/report")
    listed = await http.get("/internal/breaches", params={"state": "closed", "overdue": "false"})

    assert opened.status_code == 201
    assert opened.headers["location"] == base
    assert again.json() == opened.json()
    assert opened.json()["regulator_deadline"] == "2026-03-04T08:30:00Z"
    problem(early, 409, "wrong-state")
    assert (told.status_code, retold.json()) == (200, told.json())
    problem(otherwise, 409, "wrong-state")
    assert notified.status_code == 202
    assert (notified.json()["state"], notified.json()["notified_customers"]) == (
        "customers_notified",
        2,
    )
    assert len(breaches.notices()) == 2
    assert closed.json()["state"] == "closed"
    assert [step["state"] for step in closed.json()["history"]] == [
        "open",
        "regulator_notified",
        "customers_notified",
        "closed",
    ]
    assert report.json()["controller"] == "ALLWANSTORES"
    assert report.json()["breach"]["breach_id"] == breach_id
    assert [b["breach_id"] for b in listed.json()["breaches"]] == [breach_id]


@pytest.mark.parametrize(
    ("headers", "body", "status", "slug"),
    [
        (
            keyed("breach-key-1"),
            {**BREACH, "detected_at": (WHEN + timedelta(hours=1)).isoformat()},
            422,
            "detected-in-future",
        ),
        (keyed("breach-key-1"), {**BREACH, "affected": {}}, 422, "invalid-body"),
        (
            keyed("breach-key-1"),
            {**BREACH, "detected_at": "2026-03-01T09:00:00"},
            422,
            "invalid-body",
        ),
        (STAFF, BREACH, 400, "idempotency-key-required"),
        ({"Idempotency-Key": "breach-key-1"}, BREACH, 400, "missing-actor"),
    ],
    ids=["in the future", "nobody affected", "naive time", "no key", "no actor"],
)
async def test_a_bad_breach_is_a_problem_and_records_nothing(
    http: httpx.AsyncClient,
    breaches: BreachWorld,
    headers: dict[str, str],
    body: Any,
    status: int,
    slug: str,
) -> None:
    answer = await http.post("/internal/breaches", json=body, headers=headers)

    problem(answer, status, slug)
    assert breaches.store.envelopes() == []


async def test_another_method_is_refused_naming_those_allowed(http: httpx.AsyncClient) -> None:
    answer = await http.put("/internal/breaches", json=BREACH, headers=keyed("breach-key-1"))

    problem(answer, 405, "method-not-allowed")
    assert set(answer.headers["allow"].split(", ")) >= {"GET", "POST"}


async def test_a_store_that_does_not_answer_is_a_retryable_problem(
    world: World, breaches: BreachWorld, tmp_path: Path
) -> None:
    class Down(FakeLedger):
        async def page(self, customer_id: str, limit: int, cursor: str | None) -> Page:
            raise ServerSelectionTimeoutError("no server")

    ledger = replace(world.ledger_deps, ledger=Down())
    api = accountability_api(Accountability(ledger, breaches.deps, None, tmp_path / "r.json"))
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://privacy") as client:
        answer = await client.get(f"/internal/customers/{CUSTOMER}/disclosures")

    problem(answer, 503, "unavailable")
    assert answer.headers["retry-after"] == "1"


async def test_the_service_app_serves_the_internal_api_and_logs_its_route_templates() -> None:
    offline = SecretStr("mongodb://127.0.0.1:1/")
    app = create_app(PrivacySettings(service_name="privacy-unit", mongo_url=offline))
    transport = httpx.ASGITransport(app=logged(app))

    with capture_logs() as logs:
        async with httpx.AsyncClient(transport=transport, base_url="http://privacy") as client:
            recipients = await client.get("/internal/recipients")
            refused = await client.get("/internal/customers/cust-9/disclosures?limit=0")
            export = await client.get("/exports/req-1")

    assert recipients.status_code == 200
    problem(refused, 400, "invalid-query")
    assert export.status_code == 400
    routes = [line["route"] for line in logs if line["event"] == "http.request"]
    assert routes == [
        "/internal/recipients",
        "/internal/customers/{customer_id}/disclosures",
        "/exports/{request_id}",
    ]
