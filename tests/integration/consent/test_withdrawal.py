"""K3 on real Kafka and FerretDB/MongoDB: withdrawals by web and by WhatsApp."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from allwan_consent.domain.ledger import ConsentLedger
from allwan_consent.domain.phones import to_e164
from allwan_contracts import CONSENT, Channel, ConsentPurpose, Envelope
from allwan_runtime.eventstore import stream_id

from tests.integration.consent.builders import (
    new_customer,
    new_mobile,
    order,
    whatsapp_text,
    withdrawal,
)
from tests.integration.consent.conftest import RunningConsent
from tests.integration.harness import consumers_joined
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
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
    # The promise is about a running service: the clock starts once every consumer group of
    # the service has joined (the intake group has not been used yet in this test).
    await consumers_joined(consent.runtime.broker)

    started = time.monotonic()
    await consent.send(withdrawal(customer))

    def withdrawn(envelopes: list[Envelope]) -> bool:
        return any(
            e.event_type == "ConsentWithdrawn" and e.aggregate_id == customer for e in envelopes
        )

    async def seconds_until_on_kafka() -> float:
        await consent.published(CONSENT.name, withdrawn)
        return time.monotonic() - started

    async def seconds_until_out_of_audience() -> float:
        await eventually(lambda: _left_audience(consent, customer))
        return time.monotonic() - started

    # Both watched at once: the time the test's own topic reader takes to start is not
    # counted in the time the customer took to leave the marketing set.
    on_kafka, out_of_audience = await asyncio.gather(
        seconds_until_on_kafka(), seconds_until_out_of_audience()
    )
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
    # The delivery's key is shredded as the last step of handling it, after any withdrawal
    # was stored: the customer's ledger is then final for this delivery. (The read model
    # would still say "in the audience" for a while even if it had withdrawn them.)
    await eventually(lambda: keys.is_erased(f"webhook:{unknown.delivery_id}"))
    ledger = await consent.runtime.store.load(stream_id(ConsentLedger.aggregate_type, customer))
    assert [e.event_type for e in ledger] == ["ConsentGranted", "ConsentGranted"]
    assert await _in_audience(consent, customer)

    known = await whatsapp_text(keys, sender, "إيقاف", "wamid.HBgLOTY2NTYz")
    await consent.send(known, version=1)
    await eventually(lambda: _left_audience(consent, customer))

    # The read model hears of the withdrawal through Kafka, possibly before the handler's
    # last step (the shred) is done.
    await eventually(lambda: keys.is_erased(f"webhook:{known.delivery_id}"))
    history = await consent.service.consents.history(customer)
    last = history[-1]
    assert (last["event_type"], last["purpose"]) == ("ConsentWithdrawn", "marketing")
    assert (last["channel"], last["recorded_by"]) == ("whatsapp", "service:consent")
    assert last["evidence"]["message_reference"] == "wamid.HBgLOTY2NTYz"
    current = await consent.service.consents.current(customer)
    assert current.granted(ConsentPurpose.ORDER_PROCESSING)
    assert not current.granted(ConsentPurpose.MARKETING)
