"""The consent service's part in privacy requests on real Kafka and FerretDB/MongoDB: its
answers reach ``allwan.privacy.replies`` through the relay (PDPL access, correction, erasure)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from allwan_consent.domain.phones import to_e164
from allwan_contracts import (
    Channel,
    CustomerContact,
    CustomerContactChanged,
    Envelope,
    PrivacyRequestKind,
    PrivacyRequestStarted,
    read_event,
)
from allwan_contracts.privacy_export import ConsentsPart
from allwan_contracts.privacy_replies import (
    EXPORT_PART_FIELD,
    CustomerDataExported,
)
from allwan_contracts.topics import PRIVACY_REPLIES
from allwan_runtime.keystore import Purpose

from tests.integration.consent.builders import new_customer, new_mobile, order
from tests.integration.consent.conftest import RunningConsent
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def started(customer: str, request_id: str, kind: PrivacyRequestKind) -> PrivacyRequestStarted:
    return PrivacyRequestStarted(
        request_id=request_id,
        customer_id=customer,
        kind=kind,
        channel=Channel.WHATSAPP,
        at=datetime.now(UTC),
        by="service:privacy",
    )


def answered(event_type: str, customer: str) -> Callable[[list[Envelope]], bool]:
    def holds(envelopes: list[Envelope]) -> bool:
        return any(
            e.event_type == event_type and e.payload["customer_id"] == customer for e in envelopes
        )

    return holds


async def test_access_correction_and_erasure_are_answered_on_the_replies_topic(
    consent: RunningConsent,
) -> None:
    customer, old_phone, new_phone = new_customer(), new_mobile(), new_mobile()
    keys = consent.keystore
    placed = await order(keys, customer, old_phone, marketing_opt_in=True)
    await consent.send(placed, as_="orders")
    await eventually(lambda: _in_audience(consent, customer))

    await consent.send(started(customer, f"{customer}-a", PrivacyRequestKind.ACCESS), as_="privacy")
    replies = await consent.published(
        PRIVACY_REPLIES.name, answered("CustomerDataExported", customer)
    )
    exported = read_event(next(e for e in replies if e.event_type == "CustomerDataExported"))
    assert isinstance(exported, CustomerDataExported)
    assert exported.part is not None
    part = ConsentsPart.model_validate_json(
        await keys.open(exported.part, field=EXPORT_PART_FIELD, purpose=Purpose.CONSENT_MATCHING)
    )
    assert {(c.purpose, c.change) for c in part.consents} == {
        ("order_processing", "granted"),
        ("marketing", "granted"),
    }

    corrected = CustomerContactChanged(
        customer_id=customer,
        contact=CustomerContact(
            name=placed.contact.name,
            email=placed.contact.email,
            phone=await keys.seal(customer, "phone", new_phone),
        ),
        channel=Channel.WEB,
        request_id=f"{customer}-c",
    )
    await consent.send(corrected, as_="orders")
    await consent.published(PRIVACY_REPLIES.name, answered("CorrectionApplied", customer))
    phones = consent.service.phones
    assert await phones.customers(keys.blind_index("phone", to_e164(old_phone) or "")) == []
    new_hash = keys.blind_index("phone", to_e164(new_phone) or "")
    assert await phones.customers(new_hash) == [customer]

    await consent.send(
        started(customer, f"{customer}-e", PrivacyRequestKind.ERASURE), as_="privacy"
    )
    await consent.published(PRIVACY_REPLIES.name, answered("ErasureConfirmed", customer))
    assert await keys.is_erased(customer)
    assert await phones.customers(new_hash) == []


async def _in_audience(consent: RunningConsent, customer: str) -> bool:
    return customer in await consent.service.consents.marketing_audience()
