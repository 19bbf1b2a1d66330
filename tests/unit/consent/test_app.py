"""The service's entry points build without servers: settings, consumers, AsyncAPI."""

from __future__ import annotations

import json
from typing import Any

import pytest
from allwan_consent.entrypoints.app import build, create_app
from allwan_consent.entrypoints.cli import main
from allwan_consent.settings import ConsentSettings
from allwan_contracts import (
    ConsentGranted,
    ConsentReconfirmationRequired,
    ConsentWithdrawn,
    CorrectionApplied,
    CustomerContactChanged,
    CustomerDataExported,
    CustomerErased,
    ErasureConfirmed,
    Event,
    OrderPlaced,
    PolicyChanged,
    PolicyDocumentPublished,
    PrivacyRequestConfirmed,
    PrivacyRequestStarted,
    PrivacyRequestSubmitted,
)
from allwan_contracts.intake import (
    ConsentChangeRequested,
    ErasureRequested,
    PolicyPublishRequested,
    WebhookReceived,
)
from allwan_contracts.topics import (
    CONSENT,
    CONSENT_INTAKE,
    CUSTOMERS,
    ORDERS,
    POLICIES,
    POLICY_INTAKE,
    PRIVACY,
    PRIVACY_INTAKE,
    PRIVACY_REPLIES,
    WEBHOOKS,
)
from allwan_runtime.cli import asyncapi_document

LEDGER = (ConsentGranted, ConsentWithdrawn, ConsentReconfirmationRequired)
POLICY = (PolicyDocumentPublished, PolicyChanged)
CONSUMED: dict[str, tuple[type[Event], ...]] = {
    "intake": (ConsentChangeRequested, ErasureRequested, PolicyPublishRequested),
    "orders": (OrderPlaced,),
    "whatsapp": (WebhookReceived,),
    "read-models": (*LEDGER, CustomerErased, *POLICY),
    "reconfirmation": (PolicyChanged,),
    "privacy": (PrivacyRequestStarted, CustomerContactChanged, CustomerErased),
}
PUBLISHED: dict[str, tuple[type[Event], ...]] = {
    CONSENT.name: LEDGER,
    CUSTOMERS.name: (CustomerErased,),
    POLICIES.name: POLICY,
    PRIVACY_INTAKE.name: (PrivacyRequestSubmitted, PrivacyRequestConfirmed),
    PRIVACY_REPLIES.name: (CustomerDataExported, CorrectionApplied, ErasureConfirmed),
}


def no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ALLWAN_MASTER_KEYS", "ALLWAN_MASTER_KEY_ID", "ALLWAN_BLIND_INDEX_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_ct1_contact_details_default_to_the_policys_and_can_be_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert ConsentSettings().contact_phone == ConsentSettings().contact_whatsapp == "0563120415"
    monkeypatch.setenv("ALLWAN_CONTACT_EMAIL", "privacy@example.org")

    assert ConsentSettings().contact_email == "privacy@example.org"


def test_pc1_each_version_has_its_own_https_address() -> None:
    settings = ConsentSettings(policy_url_base="https://shop.example/privacy/")

    assert settings.policy_url(3) == "https://shop.example/privacy/v3"


def test_asyncapi_lists_every_topic_the_service_consumes_and_needs_no_keys(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    no_keys(monkeypatch)
    monkeypatch.setenv("ALLWAN_SERVICE_NAME", "consent-doc")

    assert main(["asyncapi"]) == 0

    channels = json.dumps(json.loads(capsys.readouterr().out)["channels"])
    for topic in (
        CONSENT_INTAKE,
        POLICY_INTAKE,
        ORDERS,
        WEBHOOKS,
        CONSENT,
        CUSTOMERS,
        POLICIES,
        PRIVACY,
        PRIVACY_INTAKE,
        PRIVACY_REPLIES,
    ):
        assert topic.name in channels


def _schemas_by_channel(document: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Channel → {event type: the payload schema its messages carry}."""
    components = document["components"]

    def resolve(reference: dict[str, str]) -> tuple[str, dict[str, Any]]:
        *_, kind, name = reference["$ref"].split("/")
        return name, components[kind][name]

    found: dict[str, dict[str, dict[str, Any]]] = {}
    for channel, spec in document["channels"].items():
        for reference in spec["messages"].values():
            _, message = resolve(reference)
            payload = message["payload"]
            for option in payload.get("oneOf", [payload]):
                name, schema = resolve(option)
                found.setdefault(channel, {})[name.split(":")[0]] = schema
    return found


def test_asyncapi_shows_the_schema_of_every_event_consumed_and_published() -> None:
    document = json.loads(asyncapi_document(create_app(ConsentSettings(service_name="doc"))))

    by_channel = _schemas_by_channel(document)

    expected = {f"doc.{group}:consume": events for group, events in CONSUMED.items()} | {
        f"doc:publish:{topic}": events for topic, events in PUBLISHED.items()
    }
    documented: dict[str, set[str]] = {}
    for channel, schemas in by_channel.items():
        title = next(t for t in expected if channel.startswith(t))  # one channel per topic
        documented.setdefault(title, set()).update(schemas)
        # Each topic's channel lists the group's events that travel on that topic, no others.
        address = document["channels"][channel]["address"]
        on_topic = {e.event_type for e in expected[title] if address.endswith(e.topic)}
        assert set(schemas) == on_topic, channel
        for event in expected[title]:
            if event.event_type not in on_topic:
                continue
            schema = schemas[event.event_type]
            assert set(schema["properties"]) == set(event.model_json_schema()["properties"])
            assert schema["description"] == event.model_json_schema()["description"]
    assert documented == {
        title: {e.event_type for e in events} for title, events in expected.items()
    }


async def test_a_service_without_master_keys_stops_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_keys(monkeypatch)
    runtime, service = build(ConsentSettings())

    try:
        with pytest.raises(RuntimeError, match="ALLWAN_MASTER_KEYS"):
            await service.prepare()
    finally:
        await runtime.mongo.close()


def test_the_command_line_knows_only_its_commands() -> None:
    with pytest.raises(SystemExit):
        main(["migrate"])


def test_ct1_a_malformed_contact_detail_stops_the_service_at_start() -> None:
    with pytest.raises(ValueError, match="email"):
        ConsentSettings(contact_email="not an address")
