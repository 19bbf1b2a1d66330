"""The service's own parts without servers: the periodic job, the CLI, the AsyncAPI document."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from allwan_runtime.periodic import PeriodicTask


async def test_a_periodic_task_survives_a_failing_run_and_stops_when_asked() -> None:
    runs: list[int] = []

    async def job() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("one bad run")

    task = PeriodicTask("test", job, interval_s=0.01)
    await task.start()
    async with asyncio.timeout(5):
        while task.runs < 3:
            await asyncio.sleep(0.01)
    await task.stop()
    stopped_at = task.runs
    await asyncio.sleep(0.05)
    assert task.runs == stopped_at >= 3
    with pytest.raises(ValueError, match="positive interval"):
        PeriodicTask("never", job, interval_s=0)


def allwan_orders(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process: it configures logging and tracing for the whole process."""
    return subprocess.run(
        [sys.executable, "-m", "allwan_orders.entrypoints.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=os.environ | {"OTEL_TRACES_EXPORTER": "none"} | env,
    )


def test_a_bad_catalogue_stops_the_service_at_start_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text('vat_rate_percent = 15\nproducts = [{ id = "x" }]\n', encoding="utf-8")
    done = allwan_orders("asyncapi", ALLWAN_CATALOGUE_PATH=str(path))
    assert done.returncode == 2
    assert str(path) in done.stderr
    assert "products.0.name_ar" in done.stderr


def test_the_asyncapi_document_names_what_orders_consumes_and_publishes() -> None:
    done = allwan_orders("asyncapi")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {
        "allwan.orders.intake",
        "allwan.webhooks",
        "allwan.orders",
        "allwan.customers",
        "allwan.policies",
    }
    published = document["channels"]["orders:publish:allwan.orders"]["description"]
    assert "OrderRejected" in published
    assert "OrderPlaced" in published
