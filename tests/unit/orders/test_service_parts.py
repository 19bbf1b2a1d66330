"""The service's own parts without servers: the periodic job, the CLI, the AsyncAPI document."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from allwan_contracts import (
    CatalogueUpdated,
    CorrectionApplied,
    CustomerContactChanged,
    CustomerDataExported,
    CustomerErased,
    ErasureConfirmed,
    PolicyChanged,
    PrivacyRequestStarted,
)
from allwan_contracts.base import Event
from allwan_contracts.disclosures import DataDisclosed
from allwan_contracts.intake import (
    CancellationRequested,
    OrderRequested,
    PaymentReported,
    RefundRequested,
    WebhookReceived,
)
from allwan_orders.domain.order import Order
from allwan_orders.entrypoints.app import build_app
from allwan_orders.settings import OrdersSettings
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


def payloads(document: dict[str, Any], channel: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The payload schemas of a channel's messages, by event type."""
    found: dict[str, dict[str, Any]] = {}
    for reference in channel["messages"].values():
        message = document["components"]["messages"][reference["$ref"].rsplit("/", 1)[1]]
        payload = message["payload"]
        for schema in payload.get("oneOf", [payload]):
            name = schema["$ref"].rsplit("/", 1)[1]
            found[name.split(":", 1)[0]] = document["components"]["schemas"][name]
    return found


def by_address(document: dict[str, Any], direction: str) -> dict[str, dict[str, Any]]:
    """Each topic's payload schemas by event type, for consumers (``consume``) or publishers."""
    topics: dict[str, dict[str, Any]] = {}
    for title, channel in document["channels"].items():
        # A group of one topic is titled "<group>:consume", of several "<group>:consume:<topic>".
        if title.split(":")[1] == direction:
            topics.setdefault(channel["address"], {}).update(payloads(document, channel))
    return topics


def test_the_asyncapi_document_names_what_orders_consumes_and_publishes() -> None:
    done = allwan_orders("asyncapi")  # no master keys in this process's settings
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {
        "allwan.orders.intake",
        "allwan.webhooks",
        "allwan.orders",
        "allwan.customers",
        "allwan.policies",
        "allwan.catalogue",
        "allwan.privacy",
        "allwan.privacy.replies",
        "allwan.disclosures",
    }
    published = by_address(document, "publish")["allwan.orders"]
    assert "OrderRejected" in published
    assert "OrderPlaced" in published


INTAKE: tuple[type[Event], ...] = (
    OrderRequested,
    PaymentReported,
    CancellationRequested,
    RefundRequested,
    WebhookReceived,
)
VIEWS: tuple[type[Event], ...] = (
    *Order.event_classes,
    CustomerContactChanged,
    CustomerErased,
    PolicyChanged,
)
PRIVACY: tuple[type[Event], ...] = (PrivacyRequestStarted,)


def test_the_asyncapi_document_holds_the_schema_of_every_event_consumed_and_published() -> None:
    app = build_app(OrdersSettings(service_name="orders", kafka_topic_prefix=""))
    document = app.schema.to_specification().to_jsonable()
    consumed, published = by_address(document, "consume"), by_address(document, "publish")

    # Each topic's channel lists the events of its group that travel on that topic.
    expected_in: dict[str, tuple[type[Event], ...]] = {
        topic: tuple(event for event in group if event.topic == topic)
        for topic, group in (
            ("allwan.orders.intake", INTAKE),
            ("allwan.webhooks", INTAKE),
            ("allwan.orders", VIEWS),
            ("allwan.customers", VIEWS),
            ("allwan.policies", VIEWS),
            ("allwan.privacy", PRIVACY),
        )
    }
    assert all(expected_in.values())
    expected_out: dict[str, tuple[type[Event], ...]] = {
        "allwan.orders": Order.event_classes,
        "allwan.customers": (CustomerContactChanged,),
        "allwan.catalogue": (CatalogueUpdated,),
        "allwan.privacy.replies": (CustomerDataExported, CorrectionApplied, ErasureConfirmed),
        "allwan.disclosures": (DataDisclosed,),
    }
    for found, expected in ((consumed, expected_in), (published, expected_out)):
        assert set(found) == set(expected)
        for topic, events in expected.items():
            assert set(found[topic]) == {event.event_type for event in events}, topic
            for event in events:
                schema = found[topic][event.event_type]
                assert set(schema["properties"]) == set(event.model_fields), event.event_type
    assert "fully_refunded" in published["allwan.orders"]["OrderRefunded"]["required"]
