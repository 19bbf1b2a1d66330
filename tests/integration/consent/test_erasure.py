"""Erasure on real Kafka and FerretDB/MongoDB: the key is shredded, the proof is kept."""

from __future__ import annotations

import pytest
from allwan_consent.domain.phones import to_e164
from allwan_contracts import CUSTOMERS, Channel, CustomerErased, Envelope, ErasureReason, read_event
from allwan_contracts.intake import ErasureRequested
from allwan_contracts.topics import dead_letter_topic
from allwan_runtime.keystore import ERASED, Purpose

from tests.integration.conftest import read_topic
from tests.integration.consent.builders import new_customer, new_mobile, order
from tests.integration.consent.conftest import RunningConsent
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def test_erasure_shreds_the_key_forgets_the_phone_and_keeps_the_proof(
    consent: RunningConsent,
) -> None:
    customer, phone = new_customer(), new_mobile()
    placed = await order(consent.keystore, customer, phone, marketing_opt_in=True)
    await consent.send(placed, as_="orders")
    await eventually(lambda: _in_audience(consent, customer))

    await consent.send(
        ErasureRequested(
            customer_id=customer,
            requested_by="customer",
            reason=ErasureReason.CUSTOMER_REQUEST,
            requested_via=Channel.EMAIL,
        )
    )

    def erased(envelopes: list[Envelope]) -> bool:
        return any(
            e.event_type == "CustomerErased" and e.aggregate_id == customer for e in envelopes
        )

    await consent.published(CUSTOMERS.name, erased)
    assert await consent.keystore.is_erased(customer)
    sealed_phone = placed.contact.phone
    assert (
        await consent.keystore.open(sealed_phone, field="phone", purpose=Purpose.CONSENT_MATCHING)
        == ERASED
    )
    phone_hash = consent.keystore.blind_index("phone", to_e164(phone) or "")
    assert await consent.service.phones.customers(phone_hash) == []
    await eventually(lambda: _erased_in_read_model(consent, customer))
    assert customer not in await consent.service.consents.marketing_audience()
    history = await consent.service.consents.history(customer)
    assert [entry["event_type"] for entry in history] == [
        "ConsentGranted",
        "ConsentGranted",
        "CustomerErased",
    ]
    assert {entry["purpose"] for entry in history[:2]} == {"order_processing", "marketing"}


async def _in_audience(consent: RunningConsent, customer: str) -> bool:
    return customer in await consent.service.consents.marketing_audience()


async def _erased_in_read_model(consent: RunningConsent, customer: str) -> bool:
    return (await consent.service.consents.current(customer)).erased


async def test_p3_the_privacy_service_erases_at_the_end_of_retention_and_for_nothing_else(
    consent: RunningConsent,
) -> None:
    retained, refused = new_customer(), new_customer()
    for customer in (retained, refused):
        placed = await order(consent.keystore, customer, new_mobile(), marketing_opt_in=False)
        await consent.send(placed, as_="orders")

    await consent.send(
        ErasureRequested(
            customer_id=refused,
            requested_by="service:privacy",
            reason=ErasureReason.CUSTOMER_REQUEST,
            requested_via=Channel.WEB,
        ),
        as_="privacy",
    )
    await consent.send(
        ErasureRequested(
            customer_id=retained,
            requested_by="service:privacy",
            reason=ErasureReason.RETENTION_ENDED,
        ),
        as_="privacy",
    )

    def erased(envelopes: list[Envelope]) -> bool:
        return any(
            e.event_type == "CustomerErased" and e.aggregate_id == retained for e in envelopes
        )

    announced = await consent.published(CUSTOMERS.name, erased)
    (erasure,) = [read_event(e) for e in announced if e.aggregate_id == retained]
    assert isinstance(erasure, CustomerErased)
    assert erasure.reason is ErasureReason.RETENTION_ENDED
    assert await consent.keystore.is_erased(retained)

    intake_letters = consent.runtime.topic(dead_letter_topic(f"{consent.name}.intake"))
    letters = await read_topic(
        consent.settings.kafka_bootstrap,
        intake_letters,
        lambda records: any(r.key == refused.encode() for r in records),
    )
    (letter,) = [r for r in letters if r.key == refused.encode()]
    headers = {key: value.decode() for key, value in letter.headers}
    assert (headers["x-dead-letter-reason"], headers["x-dead-letter-detail"]) == (
        "handler_error",
        "NotARetentionErasure",
    )
    # The refusal is final once dead-lettered: nothing of it was carried out.
    assert not await consent.keystore.is_erased(refused)
    assert not (await consent.service.deps.ledgers.get(refused)).erased
