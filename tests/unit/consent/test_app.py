"""The service's entry points build without servers: settings, consumers, AsyncAPI."""

from __future__ import annotations

import json

import pytest
from allwan_consent.entrypoints.cli import asyncapi, main
from allwan_consent.settings import ConsentSettings
from allwan_contracts.topics import (
    CONSENT,
    CONSENT_INTAKE,
    CUSTOMERS,
    ORDERS,
    POLICIES,
    POLICY_INTAKE,
    WEBHOOKS,
)


def test_ct1_contact_details_default_to_the_policys_and_can_be_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert ConsentSettings().contact_phone == ConsentSettings().contact_whatsapp == "0563120415"
    monkeypatch.setenv("ALLWAN_CONTACT_EMAIL", "privacy@example.org")

    assert ConsentSettings().contact_email == "privacy@example.org"


def test_pc1_each_version_has_its_own_https_address() -> None:
    settings = ConsentSettings(policy_url_base="https://shop.example/privacy/")

    assert settings.policy_url(3) == "https://shop.example/privacy/v3"


def test_asyncapi_lists_every_topic_the_service_consumes() -> None:
    document = asyncapi(ConsentSettings(service_name="consent-doc"))

    channels = json.dumps(json.loads(document)["channels"])
    for topic in (CONSENT_INTAKE, POLICY_INTAKE, ORDERS, WEBHOOKS, CONSENT, CUSTOMERS, POLICIES):
        assert topic.name in channels


def test_the_command_line_knows_only_its_commands() -> None:
    with pytest.raises(SystemExit):
        main(["migrate"])


def test_ct1_a_malformed_contact_detail_stops_the_service_at_start() -> None:
    with pytest.raises(ValueError, match="email"):
        ConsentSettings(contact_email="not an address")
