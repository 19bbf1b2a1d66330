"""D1, P2 on real Kafka and FerretDB: each paid order reaches ``allwan.disclosures`` once, as
disclosed to the payment provider; a refused payment and a repeated report add nothing."""

from __future__ import annotations

from typing import Any

import pytest
from allwan_contracts import CancellationReason, decode, read_event
from allwan_contracts.disclosures import DataDisclosed, LegalBasis, RecipientRole
from allwan_contracts.intake import CancellationRequested, PaymentReported
from allwan_contracts.topics import DISCLOSURES

from tests.integration.conftest import read_to_end
from tests.integration.harness import outbox_drained
from tests.integration.orders.conftest import Running
from tests.integration.orders.gateway import Person
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


def payment(order_id: str, person: Person, amount: int = 2990) -> PaymentReported:
    return PaymentReported(
        order_id=order_id,
        customer_id=person.customer_id,
        requested_by="service:gateway",
        payment_reference=f"pay-{order_id}",
        amount_halalas=amount,
    )


async def order_document(run: Running, order_id: str) -> dict[str, Any]:
    return await run.service.read_models.orders.orders.find_one({"_id": order_id}) or {}


async def test_d1_a_paid_order_is_disclosed_to_the_payment_provider_once(
    orders: Running,
) -> None:
    run, gateway = orders, orders.gateway
    person = Person.make(run.run, 700)
    paid, refused = f"dsc-{run.run}-paid", f"dsc-{run.run}-refused"
    await gateway.order(paid, person)
    await gateway.order(refused, person)
    await gateway.send(payment(paid, person))
    await gateway.send(payment(paid, person))  # the provider reported it twice
    await gateway.send(payment(refused, person, amount=1))
    # A later request on the paid order's partition: once it shows, the repeated report
    # before it was handled too.
    await gateway.send(
        CancellationRequested(
            order_id=paid,
            customer_id=person.customer_id,
            requested_by="customer",
            reason=CancellationReason.CUSTOMER_REQUEST,
        )
    )

    async def both_handled() -> bool:
        shown, turned_down = await order_document(run, paid), await order_document(run, refused)
        refusals = [entry.get("request") for entry in turned_down.get("history", [])]
        return shown.get("status") == "cancelled" and "payment" in refusals

    await eventually(both_handled, 60)
    await outbox_drained(run.runtime.db)
    records = await read_to_end(run.settings.kafka_bootstrap, run.runtime.topic(DISCLOSURES.name))

    envelopes = [decode(record.value) for record in records]
    disclosed = [read_event(e) for e in envelopes if e.producer == run.settings.service_name]
    assert all(isinstance(d, DataDisclosed) for d in disclosed)
    theirs = [d for d in disclosed if isinstance(d, DataDisclosed)]
    theirs = [d for d in theirs if d.customer_id == person.customer_id]
    assert [d.source for d in theirs] == [f"payment:{paid}"]
    (disclosure,) = theirs
    assert (disclosure.recipient, disclosure.role, disclosure.legal_basis) == (
        "payment",
        RecipientRole.PROCESSOR,
        LegalBasis.CONTRACT,
    )
