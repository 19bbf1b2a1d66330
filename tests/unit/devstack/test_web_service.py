"""The web pages as a dev-stack service: started last, wired to the gateway, given only their
own secrets; ``devstack services up`` says where the store and the staff console answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from allwan_devstack import SERVERS, DevStack, Endpoints, cli, system
from allwan_devstack.system import (
    ALL_SERVICES,
    DEV_STAFF_PASSWORD,
    SERVICES,
    STAFF_ACCOUNTS,
    WEB_SECRETS,
    SystemRunner,
    ensure_dev_secrets,
)

ENDPOINTS = Endpoints("127.0.0.1:9", "mongodb://127.0.0.1:7/", "127.0.0.1", 25, None)


class Spawned:
    def __init__(self) -> None:
        self.started: list[tuple[str, dict[str, str]]] = []

    def __call__(self, argv: Sequence[str], *, env: Mapping[str, str], **_: Any) -> Any:
        self.started.append((env["ALLWAN_SERVICE_NAME"], dict(env)))
        return None


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> Spawned:
    spawn = Spawned()
    monkeypatch.setattr(system, "spawn", spawn)
    monkeypatch.setattr(SystemRunner, "_wait_ready", lambda *_: None)
    return spawn


def test_the_web_starts_last_and_is_told_where_the_gateway_answers(
    tmp_path: Path, spawned: Spawned
) -> None:
    runner = SystemRunner(tmp_path, ENDPOINTS, tmp_path)
    ports = {service: 18000 + number for number, service in enumerate(ALL_SERVICES)}

    started = runner.start(ports)

    order = [service for service, _ in spawned.started]
    assert order == [*SERVICES, "web"]
    assert order[-2:] == ["gateway", "web"]
    web = dict(spawned.started)["web"]
    assert web["ALLWAN_GATEWAY_URL"] == started.gateway_url
    assert started.web_url == f"http://127.0.0.1:{ports['web']}"


def test_the_web_gets_only_its_own_secrets_and_no_server_address(tmp_path: Path) -> None:
    secrets = ensure_dev_secrets(tmp_path).values
    runner = SystemRunner(tmp_path, ENDPOINTS, tmp_path)

    web = runner.environment("web", 8005, {})
    gateway = runner.environment("gateway", 8000, {})

    given = {name for name, value in web.items() if value in secrets.values()}
    assert given == set(WEB_SECRETS)
    assert not {"ALLWAN_KAFKA_BOOTSTRAP", "ALLWAN_MONGO_URL", "ALLWAN_SMTP_HOST"} & set(web)
    assert gateway[STAFF_ACCOUNTS] == secrets[STAFF_ACCOUNTS]
    assert "ALLWAN_WEB_SESSION_KEY" not in gateway
    for service in ALL_SERVICES:
        env = runner.environment(service, 0, {})
        assert DEV_STAFF_PASSWORD not in env
        assert secrets[DEV_STAFF_PASSWORD] not in env.values()


def test_services_up_prints_the_store_and_the_staff_console(
    tmp_path: Path,
    spawned: Spawned,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(DevStack, "status", lambda _: dict.fromkeys(SERVERS, 1))
    monkeypatch.setattr(DevStack, "endpoints", ENDPOINTS)
    monkeypatch.setattr(cli, "repo_root", lambda: tmp_path)
    for service in ALL_SERVICES:
        monkeypatch.delenv(f"ALLWAN_DEVSTACK_{service.upper()}_PORT", raising=False)

    assert cli.main(["--state-dir", str(tmp_path), "services", "up"]) == 0

    out = capsys.readouterr().out
    assert "web       http://127.0.0.1:8005\n" in out
    assert (
        "staff console http://127.0.0.1:8005/staff (sign in as staff-dev, password in "
        f"{tmp_path / 'secrets.env'})"
    ) in out
    assert dict(spawned.started)["web"]["ALLWAN_HTTP_PORT"] == "8005"


def test_the_services_help_names_every_service() -> None:
    shown = " ".join(cli.build_parser().format_help().split())

    assert "the allwan services (consent, orders, notifier, privacy, gateway, web)" in shown
