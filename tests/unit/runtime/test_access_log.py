"""The access log every service shares: one line per request with the route template, never
the path, query, headers or client address it came with; and no HTTP client's log either."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from allwan_runtime.access_log import UNMATCHED, AccessLog, Receive, Scope, Send, logged
from allwan_runtime.logs import setup_logging
from allwan_runtime.service import ServiceRuntime
from allwan_runtime.settings import RuntimeSettings
from structlog.testing import capture_logs

NEEDLES = ("cust-needle-7", "tok-needle", "203.0.113.77", "needle-agent")


async def ok(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def broken(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("customer cust-needle-7 could not be read")


async def send_one(app: Any, method: str, target: str) -> httpx.Response:
    transport = httpx.ASGITransport(
        app=app, raise_app_exceptions=False, client=("203.0.113.77", 50123)
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as http:
        return await http.request(
            method,
            target,
            headers={"User-Agent": "needle-agent", "X-Forwarded-For": "203.0.113.77"},
        )


async def test_a_known_path_is_logged_as_its_route_and_nothing_of_the_request_else() -> None:
    app = AccessLog(ok, exact_paths=lambda: ["/ledger/policies"])
    with capture_logs() as lines:
        answer = await send_one(app, "GET", "/ledger/policies?customer_id=cust-needle-7")

    assert answer.status_code == 200
    [line] = lines
    assert line["event"] == "http.request"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/ledger/policies", 200)
    assert line["duration_ms"] >= 0
    assert not [needle for needle in NEEDLES if needle in repr(lines)]


async def test_an_unknown_path_and_an_unknown_method_are_logged_as_placeholders() -> None:
    app = AccessLog(ok, exact_paths=lambda: ["/health/live"])
    with capture_logs() as lines:
        await send_one(app, "GET", "/customers/cust-needle-7?token=tok-needle")
        await send_one(app, "TOK-NEEDLE", "/health/live")

    assert [(line["method"], line["route"]) for line in lines] == [
        ("GET", UNMATCHED),
        ("OTHER", "/health/live"),
    ]
    assert not [needle for needle in NEEDLES if needle.upper() in repr(lines).upper()]


async def test_a_failure_is_a_bare_500_logged_by_its_type_alone() -> None:
    with capture_logs() as lines:
        answer = await send_one(AccessLog(broken), "GET", "/anything")

    assert answer.status_code == 500
    assert "cust-needle-7" not in answer.text
    [line] = lines
    assert (line["log_level"], line["status"], line["error"]) == ("error", 500, "RuntimeError")
    assert "cust-needle-7" not in repr(lines)


async def test_a_faststream_service_logs_its_own_routes_by_their_paths() -> None:
    runtime = ServiceRuntime(RuntimeSettings(service_name="unit-access"))
    app = logged(runtime.asgi_app())
    with capture_logs() as lines:
        live = await send_one(app, "GET", "/health/live?customer=cust-needle-7")
        missing = await send_one(app, "GET", "/customers/cust-needle-7")

    assert (live.status_code, missing.status_code) == (200, 404)
    requests = [line for line in lines if line["event"] == "http.request"]
    assert [(line["route"], line["status"]) for line in requests] == [
        ("/health/live", 200),
        (UNMATCHED, 404),
    ]
    assert "cust-needle-7" not in repr(lines)


@pytest.mark.parametrize("scope_type", ["lifespan", "websocket"])
async def test_other_scopes_pass_through_unlogged(scope_type: str) -> None:
    seen: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    async def nothing() -> Scope:
        return {}

    async def ignore(message: Scope) -> None:
        return None

    with capture_logs() as lines:
        await AccessLog(inner)({"type": scope_type}, nothing, ignore)

    assert seen == [scope_type]
    assert lines == []


@pytest.mark.parametrize("service", ["gateway", "orders", "consent", "notifier", "privacy", "web"])
def test_every_service_serves_without_uvicorns_access_log_and_with_its_own(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    import uvicorn
    from allwan_runtime.keystore import generate_master_key
    from allwan_runtime.server_spans import ServerSpans

    from tests.unit.gateway.fakes import SECRETS

    for name, value in SECRETS.items():
        monkeypatch.setenv(f"ALLWAN_{name.upper()}", value)
    monkeypatch.setenv("ALLWAN_MASTER_KEYS", f"k1:{generate_master_key()}")
    monkeypatch.setenv("ALLWAN_BLIND_INDEX_KEY", generate_master_key())
    monkeypatch.setenv("ALLWAN_WEB_SESSION_KEY", "web-session-key")
    served: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append((app, options)))
    cli = importlib.import_module(f"allwan_{service}.entrypoints.cli")

    assert cli.main(["serve"]) == 0

    [(app, options)] = served
    assert options["access_log"] is False
    if service == "gateway":
        layer = app.build_middleware_stack()
        while not isinstance(layer, ServerSpans):
            layer = layer.app
        assert isinstance(layer.app, AccessLog)
    elif service == "web":
        assert isinstance(app, ServerSpans)
        assert isinstance(app.app, AccessLog)
    else:
        assert isinstance(app, AccessLog)


async def test_an_http_clients_request_urls_are_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    setup_logging("unit")
    transport = httpx.MockTransport(lambda request: httpx.Response(404))
    with caplog.at_level(logging.INFO):
        async with httpx.AsyncClient(transport=transport) as http:
            await http.get("http://notifier.test/ledger/policies?customer_id=cust-needle-7")

    assert "cust-needle-7" not in caplog.text
