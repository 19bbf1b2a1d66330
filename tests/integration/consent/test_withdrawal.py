"""K3 on real Kafka and FerretDB/MongoDB: withdrawals by web and by WhatsApp."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from allwan_consent.domain.phones import to_e164
from allwan_contracts import CONSENT, Channel, ConsentPurpose, Envelope

from tests.integration.consent.builders import (
    new_customer,
    new_mobile,
    order,
    whatsapp_text,
    withdrawal,
)
from tests.integration.consent.conftest import RunningConsent, eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
WITHIN_SECONDS = 5.0


async def opted_in_customer(consent: RunningConsent, phone: str | None = None) -> str:
    customer = new_customer()
    placed = await order(consent.keystore, customer, phone or new_mobile(), marketing_opt_in=True)
    await consent.send(placed, as_="orders")
    await eventually(lambda: _in_audience(consent, customer))
    return customer


async def _in_audience(consent: RunningConsent, customer: str) -> bool:
    return customer in await consent.service.consents.marketing_audience()


async def test_k3_web_withdrawal_reaches_allwan_consent_and_leaves_the_marketing_set_in_seconds(
    consent: RunningConsent, record_property: Callable[[str, object], None]
) -> None:
    customer = await opted_in_customer(consent)

    started = time.monotonic()
    await consent.send(withdrawal(customer))

    def withdrawn(envelopes: list[Envelope]) -> bool:
        return any(
            e.event_type == "ConsentWithdrawn" and e.aggregate_id == customer for e in envelopes
        )

    await consent.published(CONSENT.name, withdrawn)
    on_kafka = time.monotonic() - started
    await eventually(lambda: _left_audience(consent, customer))
    out_of_audience = time.monotonic() - started
    record_property("withdrawal_on_kafka_s", round(on_kafka, 3))
    record_property("withdrawal_out_of_marketing_set_s", round(out_of_audience, 3))
    print(f"K3 latency: on allwan.consent {on_kafka:.3f}s, out of the set {out_of_audience:.3f}s")

    assert out_of_audience < WITHIN_SECONDS
    history = await consent.service.consents.history(customer)
    assert [entry["event_type"] for entry in history] == [
        "ConsentGranted",
        "ConsentGranted",
        "ConsentWithdrawn",
    ]
    assert history[-1]["channel"] == Channel.WEB.value
    assert history[-1]["evidence"]["ip_hmac"] == "ef" * 32


async def _left_audience(consent: RunningConsent, customer: str) -> bool:
    return not await _in_audience(consent, customer)


async def test_k3_whatsapp_stop_from_a_known_phone_withdraws_and_an_unknown_phone_changes_nothing(
    consent: RunningConsent,
) -> None:
    phone = new_mobile()
    customer = await opted_in_customer(consent, phone)
    keys = consent.keystore
    sender = (to_e164(phone) or "").removeprefix("+")  # WhatsApp sends 9665XXXXXXXX
    stranger = (to_e164(new_mobile()) or "").removeprefix("+")

    unknown = await whatsapp_text(keys, stranger, "STOP", "wamid.unknown1")
    await consent.send(unknown, version=1)
    await eventually(lambda: keys.is_erased(f"webhook:{unknown.delivery_id}"))
    assert await _in_audience(consent, customer)

    known = await whatsapp_text(keys, sender, "إيقاف", "wamid.HBgLOTY2NTYz")
    await consent.send(known, version=1)
    await eventually(lambda: _left_audience(consent, customer))

    assert await keys.is_erased(f"webhook:{known.delivery_id}")
    history = await consent.service.consents.history(customer)
    last = history[-1]
    assert (last["event_type"], last["purpose"]) == ("ConsentWithdrawn", "marketing")
    assert (last["channel"], last["recorded_by"]) == ("whatsapp", "service:consent")
    assert last["evidence"]["message_reference"] == "wamid.HBgLOTY2NTYz"
    current = await consent.service.consents.current(customer)
    assert current.granted(ConsentPurpose.ORDER_PROCESSING)
    assert not current.granted(ConsentPurpose.MARKETING)
