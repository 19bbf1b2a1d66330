"""The gateway's access log: one JSON line per request, inside its trace, with the route
template; never a card number, a customer id, a token, a verify token or an address (C2, C3)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from allwan_runtime.logs import setup_logging
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from tests.unit.gateway.fakes import SECRETS, Harness

PAN = "4111111111111111"
CUSTOMER = "cust-needle-7"
CLIENT = "203.0.113.77"


@pytest.fixture
def json_logs() -> None:
    setup_logging("gateway")
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        trace.set_tracer_provider(TracerProvider())


def client(gw: Harness) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=gw.app, raise_app_exceptions=False, client=(CLIENT, 50123))
    return httpx.AsyncClient(transport=transport, base_url="https://gateway.test")


@pytest.mark.usefixtures("json_logs")
async def test_c3_each_request_is_logged_once_by_its_route_without_anything_it_carried(
    gw: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    token = gw.keys.blind_index("unsubscribe-marketing", CUSTOMER)
    verify = SECRETS["whatsapp_verify_token"]
    forwarded = {"X-Forwarded-For": CLIENT, "User-Agent": f"agent {CUSTOMER}"}
    capsys.readouterr()
    async with client(gw) as http:
        answers = [
            await http.get(f"/v1/catalogue?card={PAN}", headers=forwarded),
            await http.get(f"/v1/customers/{PAN}/consents", headers=forwarded),
            await http.get(f"/v1/customers/{CUSTOMER}/consents", headers=gw.customer(CUSTOMER)),
            await http.post(f"/v1/unsubscribe?customer={CUSTOMER}&token={token}"),
            await http.get(
                "/v1/webhooks/whatsapp",
                params={"hub.mode": "subscribe", "hub.verify_token": verify, "hub.challenge": "c9"},
            ),
        ]
    output = capsys.readouterr()

    assert [answer.status_code for answer in answers] == [422, 422, 200, 202, 200]
    lines = [json.loads(line) for line in output.out.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["event"] == "http.request"]
    assert [(line["method"], line["route"], line["status"]) for line in requests] == [
        ("GET", "<unmatched>", 422),  # refused before routing
        ("GET", "<unmatched>", 422),
        ("GET", "/v1/customers/{customer_id}/consents", 200),
        ("POST", "/v1/unsubscribe", 202),
        ("GET", "/v1/webhooks/whatsapp", 200),
    ]
    for line in requests:
        assert len(line["trace_id"]) == 32
        assert isinstance(line["duration_ms"], float)
    everything = output.out + output.err
    for needle in (PAN, CUSTOMER, token, verify, CLIENT):
        assert needle not in everything, needle


@pytest.mark.usefixtures("json_logs")
async def test_a_store_that_does_not_answer_is_logged_as_503_without_its_error_message(
    gw: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    from pymongo.errors import ServerSelectionTimeoutError

    gw.database_down(ServerSelectionTimeoutError(f"db.internal:27017 for {CUSTOMER}"))
    capsys.readouterr()
    async with client(gw) as http:
        answer = await http.get("/v1/catalogue")
    output = capsys.readouterr().out

    assert answer.status_code == 503
    lines: list[dict[str, Any]] = [json.loads(line) for line in output.splitlines()]
    assert {
        "event": "http.dependency_unavailable",
        "error": "ServerSelectionTimeoutError",
    }.items() <= lines[0].items()
    assert lines[-1]["event"] == "http.request"
    assert lines[-1]["status"] == 503
    assert CUSTOMER not in output
    assert "db.internal" not in output


@pytest.mark.usefixtures("json_logs")
async def test_c3_no_span_of_a_request_holds_its_path_values_or_its_query(gw: Harness) -> None:
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    token = gw.keys.blind_index("unsubscribe-marketing", CUSTOMER)
    try:
        async with client(gw) as http:
            consents = await http.get(
                f"/v1/customers/{CUSTOMER}/consents", headers=gw.customer(CUSTOMER)
            )
            unsubscribed = await http.post(f"/v1/unsubscribe?customer={CUSTOMER}&token={token}")
            refused = await http.get(f"/v1/catalogue?card={PAN}")
    finally:
        exporter.shutdown()
    spans = exporter.get_finished_spans()

    assert (consents.status_code, unsubscribed.status_code, refused.status_code) == (200, 202, 422)
    server = [span for span in spans if span.kind is trace.SpanKind.SERVER]
    assert [span.name for span in server] == [
        "GET /v1/customers/{customer_id}/consents",
        "POST /v1/unsubscribe",
        "GET",
    ]
    exported = repr([(span.name, dict(span.attributes or {})) for span in spans])
    for needle in (CUSTOMER, token, PAN, CLIENT):
        assert needle not in exported, needle
