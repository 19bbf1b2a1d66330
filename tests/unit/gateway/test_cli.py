"""The command line: settings are checked first, OpenAPI prints without servers."""

from __future__ import annotations

import json

import pytest
from allwan_gateway.entrypoints.cli import main

from tests.unit.gateway.fakes import SECRETS


def test_without_its_secrets_the_gateway_does_not_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in SECRETS:
        monkeypatch.delenv(f"ALLWAN_{name.upper()}", raising=False)

    assert main(["serve"]) == 2
    error = capsys.readouterr().err
    assert "ALLWAN_GATEWAY_JWT_SECRET" in error
    assert "ALLWAN_SALLA_WEBHOOK_SECRET" in error


def test_openapi_prints_the_document(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(f"ALLWAN_{name.upper()}", value)
    monkeypatch.setenv("ALLWAN_MASTER_KEYS", "k1:" + "A" * 43)
    monkeypatch.setenv("ALLWAN_BLIND_INDEX_KEY", "B" * 43)

    assert main(["openapi"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert "/v1/orders" in document["paths"]


def test_the_command_line_knows_only_its_commands() -> None:
    with pytest.raises(SystemExit):
        main(["migrate"])


def test_settings_refused_as_a_whole_are_named_with_the_reason_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(f"ALLWAN_{name.upper()}", value)
    monkeypatch.setenv("ALLWAN_KAFKA_HEARTBEAT_INTERVAL_S", "10")

    assert main(["openapi"]) == 2
    error = capsys.readouterr().err
    assert "ALLWAN_KAFKA_HEARTBEAT_INTERVAL_S must be below ALLWAN_KAFKA_SESSION_TIMEOUT_S" in error
