"""The gateway builds without servers: its consumers by event class, its AsyncAPI document
(what it consumes and what its relay publishes, each with its payload schema), and no start
without the master keys."""

from __future__ import annotations

import json
from typing import Any

import pytest
from allwan_contracts import (
    CatalogueUpdated,
    ConsentGranted,
    ConsentReconfirmationRequired,
    ConsentWithdrawn,
    CustomerErased,
    Event,
    OrderCancelled,
    OrderExpired,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderRejected,
    PolicyChanged,
    PolicyDocumentPublished,
    SubscriptionActivated,
)
from allwan_contracts.intake import (
    CancellationRequested,
    ConsentChangeRequested,
    OrderRequested,
    PaymentReported,
    PolicyPublishRequested,
    WebhookReceived,
)
from allwan_contracts.privacy import (
    PRIVACY_REQUEST_EVENTS,
)
from allwan_contracts.privacy_intake import (
    PrivacyRequestCancellationRequested,
    PrivacyRequestDenialRequested,
    PrivacyRequestExtensionRequested,
    PrivacyRequestSubmitted,
)
from allwan_contracts.topics import (
    CONSENT_INTAKE,
    ORDER_INTAKE,
    ORDERS,
    POLICY_INTAKE,
    PRIVACY,
    PRIVACY_INTAKE,
    WEBHOOKS,
)
from allwan_gateway.entrypoints.app import asyncapi, build
from allwan_gateway.entrypoints.cli import main
from allwan_gateway.settings import GatewaySettings
from pydantic import SecretStr

from tests.unit.gateway.fakes import SECRETS

CONSUMED: set[type[Event]] = {
    OrderPlaced,
    OrderRejected,
    OrderPaid,
    SubscriptionActivated,
    OrderCancelled,
    OrderRefunded,
    OrderExpired,
    ConsentGranted,
    ConsentWithdrawn,
    ConsentReconfirmationRequired,
    CustomerErased,
    PolicyDocumentPublished,
    PolicyChanged,
    CatalogueUpdated,
    *PRIVACY_REQUEST_EVENTS,
}
PUBLISHED: dict[str, set[type[Event]]] = {
    ORDER_INTAKE.name: {OrderRequested, PaymentReported, CancellationRequested},
    CONSENT_INTAKE.name: {ConsentChangeRequested},
    POLICY_INTAKE.name: {PolicyPublishRequested},
    WEBHOOKS.name: {WebhookReceived},
    PRIVACY_INTAKE.name: {
        PrivacyRequestSubmitted,
        PrivacyRequestCancellationRequested,
        PrivacyRequestExtensionRequested,
        PrivacyRequestDenialRequested,
    },
}


def settings() -> GatewaySettings:
    """The gateway's own secrets, and no master keys."""
    secrets: dict[str, Any] = {name: SecretStr(value) for name, value in SECRETS.items()}
    return GatewaySettings(**secrets, service_name="gateway-doc")


def payloads(document: dict[str, Any], message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The event classes a message's payload names, each with its schema."""
    payload = message["payload"]
    references = [option["$ref"] for option in payload.get("oneOf", [payload])]
    schemas = document["components"]["schemas"]
    found = {}
    for reference in references:
        name = reference.removeprefix("#/components/schemas/")
        found[name.split(":")[0]] = schemas[name]
    return found


def assert_schemas_of(events: set[type[Event]], documented: dict[str, dict[str, Any]]) -> None:
    assert set(documented) == {event.__name__ for event in events}
    for event in events:
        assert set(event.model_fields) <= set(documented[event.__name__]["properties"])


@pytest.fixture(scope="module")
async def document() -> dict[str, Any]:
    _, runtime = build(settings())
    found: dict[str, Any] = asyncapi(runtime).to_specification().to_jsonable()
    await runtime.mongo.close()
    return found


def test_the_asyncapi_document_lists_the_schema_of_every_event_the_gateway_consumes(
    document: dict[str, Any],
) -> None:
    messages = document["components"]["messages"]
    consumed: dict[str, dict[str, Any]] = {}
    for name, message in messages.items():
        if name.startswith("gateway-doc.order-views:"):
            assert set(payloads(document, message)) == {
                event.__name__ for event in CONSUMED if event.topic == ORDERS.name
            }
        if ":consume" in name:
            consumed |= payloads(document, message)

    assert_schemas_of(CONSUMED, consumed)
    assert "fully_refunded" in consumed["OrderRefunded"]["properties"]


def test_the_privacy_views_group_reads_every_event_of_a_privacy_requests_life(
    document: dict[str, Any],
) -> None:
    [message] = [
        message
        for name, message in document["components"]["messages"].items()
        if name.startswith("gateway-doc.privacy-views:")
    ]

    assert (
        set(payloads(document, message))
        == {event.__name__ for event in PRIVACY_REQUEST_EVENTS if event.topic == PRIVACY.name}
        == {event.__name__ for event in PRIVACY_REQUEST_EVENTS}
    )


def test_the_asyncapi_document_lists_what_the_relay_publishes_on_each_intake_topic(
    document: dict[str, Any],
) -> None:
    for topic, events in PUBLISHED.items():
        channel = document["channels"][f"gateway-doc:publish:{topic}"]
        assert channel["address"] == topic
        [reference] = [ref["$ref"] for ref in channel["messages"].values()]
        message = document["components"]["messages"][reference.rsplit("/", 1)[-1]]

        assert_schemas_of(events, payloads(document, message))


def test_asyncapi_prints_without_master_keys(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(f"ALLWAN_{name.upper()}", value)
    monkeypatch.delenv("ALLWAN_MASTER_KEYS", raising=False)
    monkeypatch.delenv("ALLWAN_BLIND_INDEX_KEY", raising=False)

    assert main(["asyncapi"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert f"gateway:publish:{ORDER_INTAKE.name}" in printed["channels"]


async def test_without_master_keys_the_gateway_stops_at_start_not_at_its_first_order() -> None:
    gateway, runtime = build(settings())

    with pytest.raises(RuntimeError, match="ALLWAN_MASTER_KEYS"):
        async with gateway.lifespan():
            pass
    await runtime.mongo.close()
