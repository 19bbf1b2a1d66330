"""How a replica recovers from a crash: its settings and the name it holds its leases under."""

from __future__ import annotations

import os

import pytest
from allwan_runtime.service import ServiceRuntime
from allwan_runtime.settings import RuntimeSettings
from pydantic import ValidationError


def restarted(monkeypatch: pytest.MonkeyPatch, settings: RuntimeSettings) -> str:
    """The lease owner name of the same service started again, as another process."""
    pid = os.getpid()
    monkeypatch.setattr(os, "getpid", lambda: pid + 1)
    return ServiceRuntime(settings).replica


def test_a_replica_restarted_under_its_instance_id_is_the_same_lease_owner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = RuntimeSettings(service_name="unit-orders", instance_id="orders-0")
    before = ServiceRuntime(settings).replica

    assert restarted(monkeypatch, settings) == before == "unit-orders@orders-0"


def test_without_an_instance_id_each_process_is_another_lease_owner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = RuntimeSettings(service_name="unit-orders", instance_id="")
    before = ServiceRuntime(settings).replica

    assert settings.instance_id is None
    assert restarted(monkeypatch, settings) != before


def test_a_heartbeat_that_does_not_fit_in_the_session_is_refused() -> None:
    with pytest.raises(ValidationError, match="HEARTBEAT_INTERVAL_S must be below"):
        RuntimeSettings(kafka_session_timeout_s=6, kafka_heartbeat_interval_s=6)
