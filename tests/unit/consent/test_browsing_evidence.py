"""C2: the consent ledger proves a web choice by keyed hashes, never by the raw User-Agent.

Records written before (schema v1) kept the raw header on every web record; they still read,
without it, and a request of that shape still in flight is recorded without it.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from allwan_consent.domain.ledger import ConsentChange, ConsentLedger, UnprovenConsent
from allwan_consent.handlers.consent import change_consent
from allwan_contracts import (
    BrowserFamily,
    Channel,
    ConsentEvidence,
    ConsentGranted,
    ConsentPurpose,
    ConsentWithdrawn,
    DeviceClass,
    Envelope,
    read_event,
)
from allwan_contracts.intake import ConsentAction, ConsentChangeRequested
from pydantic import ValidationError

from tests.unit.consent.conftest import World

ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
HASH = "ab" * 32
MARKETING, ANALYTICS = ConsentPurpose.MARKETING, ConsentPurpose.ANALYTICS_COOKIES


def web_change(evidence: ConsentEvidence, purpose: ConsentPurpose = MARKETING) -> ConsentChange:
    return ConsentChange(purpose, Channel.WEB, 1, "customer", evidence)


def stored_v1(event_type: str, aggregate_type: str, **payload: Any) -> Envelope:
    """An event as the first release wrote it: the raw User-Agent in its evidence."""
    fields = {
        "customer_id": "cust-1",
        "channel": "web",
        "evidence": {"ip_hmac": "cd" * 32, "user_agent": ANDROID_CHROME},
    }
    return Envelope(
        event_type=event_type,
        schema_version=1,
        aggregate_type=aggregate_type,
        aggregate_id="cust-1",
        aggregate_version=1,
        producer="gateway" if aggregate_type == "consent_intake" else "consent",
        correlation_id=uuid.uuid4(),
        payload=fields | payload,
    )


def ledger_v1(event_type: str, purpose: ConsentPurpose) -> Envelope:
    fields = {"purpose": purpose.value, "policy_version": 1, "recorded_by": "customer"}
    return stored_v1(event_type, "customer", **fields)


def intake_v1(action: ConsentAction, purpose: ConsentPurpose) -> Envelope:
    fields = {"purpose": purpose.value, "action": action.value, "requested_by": "customer"}
    return stored_v1("ConsentChangeRequested", "consent_intake", **fields)


def test_c2_a_web_grant_is_proven_by_the_keyed_hash_of_its_user_agent() -> None:
    ledger = ConsentLedger("cust-1")

    assert ledger.grant(web_change(ConsentEvidence(user_agent_hmac=HASH)))


def test_c2_a_browser_family_alone_proves_no_web_grant() -> None:
    family_only = ConsentEvidence(browser=BrowserFamily.CHROME, device=DeviceClass.MOBILE)

    with pytest.raises(UnprovenConsent):
        ConsentLedger("cust-1").grant(web_change(family_only, ANALYTICS))


@pytest.mark.parametrize(
    ("event_type", "purpose"),
    [
        ("ConsentGranted", MARKETING),
        ("ConsentWithdrawn", MARKETING),
        ("ConsentWithdrawn", ANALYTICS),
        ("ConsentGranted", ConsentPurpose.FUNCTIONAL_COOKIES),
    ],
)
def test_c2_a_stored_v1_record_reads_without_its_raw_user_agent_or_browser(
    event_type: str, purpose: ConsentPurpose
) -> None:
    envelope = ledger_v1(event_type, purpose)

    event = read_event(envelope)

    assert isinstance(event, ConsentGranted | ConsentWithdrawn)
    assert event.evidence == ConsentEvidence(ip_hmac="cd" * 32)
    assert "Pixel" not in event.model_dump_json()
    assert envelope.payload["evidence"]["user_agent"] == ANDROID_CHROME  # history untouched


def test_c2_a_stored_v1_analytics_grant_reads_as_its_browser_family_only() -> None:
    event = read_event(ledger_v1("ConsentGranted", ANALYTICS))

    assert isinstance(event, ConsentGranted)
    assert event.evidence == ConsentEvidence(
        ip_hmac="cd" * 32, browser=BrowserFamily.CHROME, device=DeviceClass.MOBILE
    )


async def test_c2_a_v1_request_in_flight_is_recorded_without_the_raw_user_agent(
    world: World,
) -> None:
    await world.publish_v1()
    for purpose in (MARKETING, ANALYTICS):
        envelope = intake_v1(ConsentAction.GRANT, purpose)
        request = read_event(envelope)
        assert isinstance(request, ConsentChangeRequested)
        await change_consent(request, envelope, world.deps)

    marketing, analytics = world.events("cust-1")
    assert isinstance(marketing, ConsentGranted)
    assert isinstance(analytics, ConsentGranted)
    assert marketing.evidence == ConsentEvidence(ip_hmac="cd" * 32)
    assert (analytics.evidence.browser, analytics.evidence.device) == (
        BrowserFamily.CHROME,
        DeviceClass.MOBILE,
    )
    assert "Pixel" not in marketing.model_dump_json() + analytics.model_dump_json()


def test_c2_a_browser_is_named_on_no_record_but_an_analytics_grant() -> None:
    named = ConsentEvidence(user_agent_hmac=HASH, browser=BrowserFamily.SAFARI)
    common = {"customer_id": "cust-1", "channel": Channel.WEB, "evidence": named}
    ledger = common | {"policy_version": 1, "recorded_by": "customer"}
    intake = common | {"requested_by": "customer"}

    assert ConsentGranted(purpose=ANALYTICS, **ledger)
    assert ConsentChangeRequested(action=ConsentAction.GRANT, purpose=ANALYTICS, **intake)
    with pytest.raises(ValidationError, match="C2"):
        ConsentGranted(purpose=MARKETING, **ledger)
    with pytest.raises(ValidationError, match="C2"):
        ConsentWithdrawn(purpose=ANALYTICS, **ledger)
    with pytest.raises(ValidationError, match="C2"):
        ConsentChangeRequested(action=ConsentAction.WITHDRAW, purpose=ANALYTICS, **intake)
    with pytest.raises(ValidationError, match="C2"):
        ConsentChangeRequested(action=ConsentAction.GRANT, purpose=MARKETING, **intake)


def test_c2_evidence_has_no_place_for_a_raw_user_agent() -> None:
    with pytest.raises(ValidationError):
        ConsentEvidence.model_validate({"user_agent": ANDROID_CHROME})
