"""The service's entry points build without servers (settings, consumers, AsyncAPI, the command
line) and the export route answers as the gateway expects."""

from __future__ import annotations

import json
from typing import Any, Literal

import httpx
import pytest
from allwan_contracts import Event
from allwan_contracts.breaches import BREACH_EVENTS, BreachNoticeRequested
from allwan_contracts.disclosures import DataDisclosed
from allwan_contracts.privacy import (
    PRIVACY_REQUEST_EVENTS,
    PrivacyRequestKind,
)
from allwan_contracts.privacy_export import PrivacyExport
from allwan_contracts.privacy_intake import (
    PrivacyRequestCancellationRequested,
    PrivacyRequestConfirmed,
    PrivacyRequestDenialRequested,
    PrivacyRequestExtensionRequested,
    PrivacyRequestSubmitted,
)
from allwan_contracts.privacy_replies import (
    CorrectionApplied,
    CustomerDataExported,
    ErasureConfirmed,
)
from allwan_contracts.topics import (
    BREACH_NOTICES,
    BREACHES,
    CONSENT_INTAKE,
    CUSTOMERS,
    DISCLOSURES,
    ORDERS,
    PRIVACY,
    PRIVACY_INTAKE,
    PRIVACY_REPLIES,
    RETENTION,
)
from allwan_privacy.entrypoints.app import create_app
from allwan_privacy.entrypoints.cli import main
from allwan_privacy.entrypoints.exports_api import export_route, wants_html
from allwan_privacy.handlers.exporting import Download, download
from allwan_privacy.settings import PrivacySettings
from allwan_runtime.access_log import logged
from pydantic import SecretStr
from structlog.testing import capture_logs

from tests.unit.privacy.conftest import SERVICES, World
from tests.unit.privacy.fakes import CUSTOMER, exported, submitted

CONSUMED: dict[str, set[type[Event]]] = {
    "intake": {
        PrivacyRequestSubmitted,
        PrivacyRequestConfirmed,
        PrivacyRequestCancellationRequested,
        PrivacyRequestExtensionRequested,
        PrivacyRequestDenialRequested,
    },
    "replies": {CustomerDataExported, CorrectionApplied, ErasureConfirmed},
    "read-models": set(PRIVACY_REQUEST_EVENTS),
    "disclosures": {DataDisclosed},
    "breach-views": set(BREACH_EVENTS),
}
PUBLISHED: dict[str, set[type[Event]]] = {
    PRIVACY.name: set(PRIVACY_REQUEST_EVENTS),
    DISCLOSURES.name: {DataDisclosed},
    BREACHES.name: set(BREACH_EVENTS),
    BREACH_NOTICES.name: {BreachNoticeRequested},
}
OFFLINE = SecretStr("mongodb://127.0.0.1:1/")  # nothing listens on port 1


def payloads(document: dict[str, Any], channel: dict[str, Any]) -> set[str]:
    [reference] = channel["messages"].values()
    payload = document["components"]["messages"][reference["$ref"].rsplit("/", 1)[1]]["payload"]
    return {ref["$ref"].rsplit("/", 1)[1] for ref in payload.get("oneOf", [payload])}


def test_asyncapi_lists_every_event_consumed_and_published_with_its_schema() -> None:
    app = create_app(PrivacySettings(service_name="privacy-doc"))

    document = app.schema.to_specification().to_jsonable()

    channels = document["channels"]
    for group, events in CONSUMED.items():
        [channel] = [c for name, c in channels.items() if name.startswith(f"privacy-doc.{group}:")]
        assert payloads(document, channel) == {f"{e.event_type}:Payload" for e in events}
    for topic, events in PUBLISHED.items():
        [published] = [c for name, c in channels.items() if name.endswith(f"publish:{topic}")]
        assert payloads(document, published) == {f"{e.event_type}:Payload" for e in events}
    addresses = {channel["address"] for channel in channels.values()}
    assert addresses == {
        PRIVACY_INTAKE.name,
        PRIVACY_REPLIES.name,
        PRIVACY.name,
        DISCLOSURES.name,
        BREACHES.name,
        BREACH_NOTICES.name,
        ORDERS.name,
        CUSTOMERS.name,
        RETENTION.name,
        CONSENT_INTAKE.name,
    }
    schemas = document["components"]["schemas"]
    for event in set[type[Event]]().union(*CONSUMED.values()):
        properties = schemas[f"{event.event_type}:Payload"]["properties"]
        assert set(event.model_fields) <= set(properties), event.event_type


def test_the_asyncapi_command_needs_no_keys(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("ALLWAN_MASTER_KEYS", "ALLWAN_MASTER_KEY_ID", "ALLWAN_BLIND_INDEX_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALLWAN_SERVICE_NAME", "privacy-doc")

    assert main(["asyncapi"]) == 0

    document = json.loads(capsys.readouterr().out)
    assert "PrivacyRequestSubmitted:Payload" in document["components"]["schemas"]


def test_the_command_line_knows_only_its_commands() -> None:
    with pytest.raises(SystemExit):
        main(["migrate"])


def test_every_kind_waits_for_orders_consent_and_the_notifier_unless_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert set(PrivacySettings().expected_services().values()) == {frozenset(SERVICES)}
    monkeypatch.setenv("ALLWAN_ACCESS_SERVICES", '["orders", "consent"]')

    settings = PrivacySettings()

    assert settings.expected_services()[PrivacyRequestKind.ACCESS] == {"orders", "consent"}
    assert settings.answering_services() == set(SERVICES)
    assert settings.requesting_services() == {"gateway", "consent"}
    with pytest.raises(ValueError, match="at least 1"):
        PrivacySettings(erasure_services=[])


async def test_a_privacy_service_without_keys_stops_at_start_before_touching_storage() -> None:
    from allwan_privacy.entrypoints.app import build

    runtime, service = build(PrivacySettings(service_name="privacy-unit", mongo_url=OFFLINE))

    with pytest.raises(RuntimeError, match="ALLWAN_MASTER_KEYS"):
        await service.start()

    assert service.deadlines.runs == 0
    await runtime.mongo.close()


def client(world: World) -> httpx.AsyncClient:
    async def fetch(request_id: str, customer_id: str, form: Literal["json", "html"]) -> Download:
        return await download(request_id, customer_id, form, world.deps)

    transport = httpx.ASGITransport(app=export_route(fetch))
    return httpx.AsyncClient(transport=transport, base_url="http://privacy")


async def completed_access(world: World) -> str:
    asked = submitted()
    await world.send(asked)
    for service in SERVICES:
        await world.answer(exported(world.secrets, asked.request_id, service))
    return asked.request_id


async def test_the_export_is_served_as_json_and_as_html_to_its_customer(world: World) -> None:
    request_id = await completed_access(world)

    async with client(world) as http:
        as_json = await http.get(f"/exports/{request_id}", params={"customer_id": CUSTOMER})
        as_html = await http.get(
            f"/exports/{request_id}",
            params={"customer_id": CUSTOMER},
            headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
        )

    assert as_json.status_code == 200
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.headers["cache-control"] == "no-store"
    assert PrivacyExport.model_validate_json(as_json.text).request_id == request_id
    assert as_html.status_code == 200
    assert as_html.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in as_html.headers["content-security-policy"]
    assert '<section lang="ar" dir="rtl">' in as_html.text


async def test_another_customers_export_is_answered_like_an_unknown_one(world: World) -> None:
    request_id = await completed_access(world)

    async with client(world) as http:
        other = await http.get(f"/exports/{request_id}", params={"customer_id": "cust-2"})
        unknown = await http.get("/exports/no-such-request", params={"customer_id": CUSTOMER})

    assert other.status_code == unknown.status_code == 404
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json() == unknown.json()
    assert other.json()["type"] == "urn:allwan:problem:not-found"


async def test_the_export_is_gone_after_its_7_days(world: World) -> None:
    request_id = await completed_access(world)
    world.clock.advance(days=7)

    async with client(world) as http:
        answer = await http.get(f"/exports/{request_id}", params={"customer_id": CUSTOMER})

    assert answer.status_code == 410
    assert answer.json()["type"] == "urn:allwan:problem:export-gone"


async def test_an_open_access_request_has_no_export_yet(world: World) -> None:
    asked = submitted()
    await world.send(asked)

    async with client(world) as http:
        answer = await http.get(f"/exports/{asked.request_id}", params={"customer_id": CUSTOMER})

    assert answer.status_code == 409
    assert answer.json()["status"] == 409


@pytest.mark.parametrize("query", ["", "customer_id=", "customer_id=a%20b", "customer_id=-x"])
async def test_a_download_without_a_well_formed_customer_id_is_a_bad_request(
    world: World, query: str
) -> None:
    async with client(world) as http:
        answer = await http.get(f"/exports/req-1?{query}")

    assert answer.status_code == 400
    assert "a b" not in answer.text


async def test_the_export_route_is_read_only(world: World) -> None:
    async with client(world) as http:
        answer = await http.post("/exports/req-1?customer_id=cust-1")
        head = await http.head("/exports/req-1?customer_id=cust-1")

    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, HEAD"
    assert (head.status_code, head.content) == (404, b"")


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("", False),
        ("application/json", False),
        ("text/html", True),
        ("*/*", False),
        ("text/html;q=0.5, application/json", False),
        ("application/json;q=0.1, text/*", True),
        ("text/html;q=bogus", False),
    ],
)
def test_html_is_served_only_when_preferred_to_json(accept: str, html: bool) -> None:
    assert wants_html(accept) is html


async def test_the_service_app_routes_exports_and_keeps_its_other_routes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = create_app(PrivacySettings(service_name="privacy-unit", mongo_url=OFFLINE))
    transport = httpx.ASGITransport(app=logged(app))

    with capture_logs() as logs:
        async with httpx.AsyncClient(transport=transport, base_url="http://privacy") as http:
            export = await http.get("/exports/req-1")  # refused before any storage is read
            live = await http.get("/health/live")
            nowhere = await http.get("/nowhere")

    assert export.status_code == 400
    assert export.headers["content-type"] == "application/problem+json"
    assert live.status_code == 200
    assert nowhere.status_code == 404
    routes = [line["route"] for line in logs if line["event"] == "http.request"]
    assert routes == ["/exports/{request_id}", "/health/live", "<unmatched>"]
