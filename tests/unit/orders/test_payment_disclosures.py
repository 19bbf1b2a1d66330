"""D1, P2: an accepted payment records, once per order, that the paid order's details went to
the payment provider; a refused one records nothing."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from allwan_contracts.base import Event
from allwan_contracts.disclosures import (
    DataCategory,
    DataDisclosed,
    LegalBasis,
    RecipientRole,
    disclosure_id,
)
from allwan_orders.handlers.payment import report_payment
from allwan_orders.handlers.placing import place_order
from allwan_orders.handlers.salla import handle_webhook
from allwan_orders.settings import OrdersSettings
from allwan_runtime.recorder import EventRecorder
from pydantic import ValidationError

from tests.unit.orders.fakes import (
    NOW,
    Orders,
    intake,
    order_requested,
    orders,
    payment,
    sealed_contact,
)
from tests.unit.orders.salla_samples import order_event
from tests.unit.orders.test_salla_webhooks import ORDER as SALLA_ORDER
from tests.unit.orders.test_salla_webhooks import delivery


class SpyRecorder:
    """The event recorder, noting for each disclosure whether it was taken as surely new;
    ``fail_first`` makes the first call fail as a crash after the order's commit would."""

    def __init__(self, recorder: EventRecorder, *, fail_first: bool = False) -> None:
        self.recorder = recorder
        self.surely_new: list[bool] = []
        self.fail_first = fail_first

    async def first(self, event: Event, correlation_id: UUID, *, surely_new: bool = False) -> bool:
        self.surely_new.append(surely_new)
        if self.fail_first:
            self.fail_first = False
            raise ConnectionError("the process died before the disclosure was written")
        return await self.recorder.first(event, correlation_id, surely_new=surely_new)


async def placed(o: Orders, **overrides: Any) -> None:
    contact = await sealed_contact(o.keys, overrides.get("customer_id", "c-1"))
    await o.handle(place_order, order_requested(contact, **overrides))


async def test_d1_an_accepted_payment_records_its_disclosure_to_the_payment_provider() -> None:
    o = orders()
    await placed(o)

    received = await o.handle(report_payment, payment())

    [disclosed] = o.disclosures()
    assert isinstance(disclosed, DataDisclosed)
    assert disclosed == DataDisclosed(
        disclosure_id=disclosure_id("payment", "payment:o-1"),
        customer_id="c-1",
        recipient="payment",
        role=RecipientRole.PROCESSOR,
        categories=[DataCategory.ORDER_DETAILS, DataCategory.PAYMENT],
        purpose="order_processing",
        legal_basis=LegalBasis.CONTRACT,
        source="payment:o-1",
        recorded_by="service:orders",
        at=NOW,
    )
    [envelope] = o.store.envelopes("disclosure")
    assert (envelope.producer, envelope.correlation_id) == ("orders", received.correlation_id)


async def test_the_recipient_is_the_configured_payment_provider() -> None:
    o = orders(payment_recipient="payment.moyasar")
    await placed(o)

    await o.handle(report_payment, payment())

    [disclosed] = o.disclosures()
    assert disclosed.recipient == "payment.moyasar"
    assert disclosed.disclosure_id == disclosure_id("payment.moyasar", "payment:o-1")


async def test_a_redelivered_or_repeated_payment_report_records_one_disclosure() -> None:
    o = orders()
    await placed(o)
    report = payment()
    received = await o.handle(report_payment, report)

    await o.handle(report_payment, report, received)  # redelivered
    await o.handle(report_payment, report)  # reported again, as a new record

    assert len(o.disclosures()) == 1
    assert o.types("o-1") == ["OrderPlaced", "OrderPaid", "SubscriptionActivated"]


@pytest.mark.parametrize(
    "report",
    [
        payment(amount_halalas=1),
        payment(order_id="o-unknown"),
        payment(customer_id="c-other"),
    ],
    ids=["wrong-amount", "unknown-order", "another-customers-order"],
)
async def test_a_refused_payment_discloses_nothing(report: Any) -> None:
    o = orders()
    await placed(o)

    await o.handle(report_payment, report)

    assert o.store.all_events("order")[-1].event_type == "OrderRejected"
    assert o.disclosures() == []


async def test_a_second_payment_of_a_paid_order_discloses_nothing_more() -> None:
    o = orders()
    await placed(o)
    await o.handle(report_payment, payment())

    await o.handle(report_payment, payment(payment_reference="pay_2"))

    assert o.types("o-1")[-1] == "OrderRejected"
    assert len(o.disclosures()) == 1


async def test_a_report_redelivered_after_a_crash_records_the_missing_disclosure() -> None:
    o = orders()
    spy = SpyRecorder(EventRecorder(o.store, "orders"), fail_first=True)
    o.deps.disclosures = spy
    await placed(o)
    report = payment()

    with pytest.raises(ConnectionError):
        await o.handle(report_payment, report)
    assert o.types("o-1")[1:] == ["OrderPaid", "SubscriptionActivated"]
    assert o.disclosures() == []

    await o.handle(report_payment, report)

    assert len(o.disclosures()) == 1


async def test_a_newly_paid_order_is_disclosed_without_reading_first_and_a_repeat_reads() -> None:
    # The hot path: one append per paid order. Only a report seen before may find its
    # disclosure already recorded, so only it pays for reading the stream first.
    o = orders()
    spy = SpyRecorder(EventRecorder(o.store, "orders"))
    o.deps.disclosures = spy
    await placed(o)

    await o.handle(report_payment, payment())
    await o.handle(report_payment, payment())

    assert spy.surely_new == [True, False]
    assert len(o.disclosures()) == 1


async def test_a_salla_payment_is_disclosed_once_too() -> None:
    o = orders(salla_checkout_attests_legal_age=True)
    event = await delivery(o.keys, order_event("order.status.updated", "completed"))

    await o.handle(handle_webhook, event, intake(event))

    [disclosed] = o.disclosures()
    assert disclosed.source == f"payment:{SALLA_ORDER}"
    assert disclosed.customer_id == o.events(SALLA_ORDER)[0].customer_id


def test_the_payment_recipient_is_configured_by_its_registry_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert OrdersSettings().payment_recipient == "payment"
    monkeypatch.setenv("ALLWAN_PAYMENT_RECIPIENT", "payment.moyasar")
    assert OrdersSettings().payment_recipient == "payment.moyasar"
    monkeypatch.setenv("ALLWAN_PAYMENT_RECIPIENT", "Payment Provider")
    with pytest.raises(ValidationError, match="payment_recipient"):
        OrdersSettings()
