"""PDPL requests on the orders side, on the runtime's in-memory stores: the access export's
orders part, the correction of the contact orders owns, and the confirmation of an erasure."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

import pytest
from allwan_contracts import (
    CancellationReason,
    Channel,
    ContactChanges,
    CorrectionApplied,
    CustomerContactChanged,
    CustomerDataExported,
    CustomerErased,
    ErasureConfirmed,
    ErasureReason,
    OrderPlaced,
    OrderRejected,
    PrivacyRequestKind,
    PrivacyRequestStarted,
    RefundReason,
    RejectionReason,
    new_envelope,
    reply_id,
)
from allwan_contracts.base import Event
from allwan_contracts.envelope import Envelope
from allwan_contracts.intake import CancellationRequested, RefundRequested
from allwan_contracts.privacy_export import ExportContact, OrdersPart
from allwan_contracts.privacy_replies import (
    EXPORT_PART_FIELD,
)
from allwan_orders.bootstrap import privacy_handlers
from allwan_orders.domain.privacy import CorrectionRefused
from allwan_orders.handlers.ending import cancel_order, refund_order
from allwan_orders.handlers.payment import report_payment
from allwan_orders.handlers.placing import place_order
from allwan_orders.handlers.ports import Views
from allwan_orders.handlers.privacy import answer_privacy_request
from allwan_orders.handlers.views import forget_customer, show_contact
from allwan_runtime.eventstore import ConcurrencyConflict
from allwan_runtime.keystore import ERASED, Purpose

from tests.unit.orders.fakes import (
    NOW,
    Orders,
    intake,
    order_requested,
    orders,
    payment,
    sealed_contact,
)
from tests.unit.orders.test_views import Recorded, dispatch, service

REQUEST = "req-1"
WHO = {"customer_id": "c-1", "requested_by": "customer"}


def started(
    kind: PrivacyRequestKind,
    customer_id: str = "c-1",
    changes: ContactChanges | None = None,
    request_id: str = REQUEST,
) -> PrivacyRequestStarted:
    return PrivacyRequestStarted(
        request_id=request_id,
        customer_id=customer_id,
        kind=kind,
        channel=Channel.WEB,
        changes=changes,
        at=NOW,
        by="service:privacy",
    )


async def answer(o: Orders, event: PrivacyRequestStarted, envelope: Envelope | None = None) -> None:
    await answer_privacy_request(event, envelope or intake(event, "privacy"), o.privacy)


def replies(o: Orders) -> list[Any]:
    return o.store.all_events("privacy_reply")


async def place(o: Orders, order_id: str, customer_id: str = "c-1", **contact: str) -> None:
    sealed = await sealed_contact(o.keys, customer_id, **contact)
    await o.handle(place_order, order_requested(sealed, order_id=order_id, customer_id=customer_id))


async def opened_part(o: Orders, exported: CustomerDataExported) -> OrdersPart:
    assert exported.part is not None
    text = await o.keys.open(exported.part, field=EXPORT_PART_FIELD, purpose=Purpose.DATA_ACCESS)
    return OrdersPart.model_validate_json(text)


def refund(order_id: str, halalas: int, reference: str) -> RefundRequested:
    return RefundRequested(
        **WHO,
        order_id=order_id,
        reason=RefundReason.GOODWILL,
        refund_halalas=halalas,
        refund_reference=reference,
    )


# -- access ------------------------------------------------------------------------------


async def test_access_exports_every_order_with_its_history_and_the_newest_contact() -> None:
    o = orders()
    await place(o, "o-1")
    await o.handle(report_payment, payment(order_id="o-1"))  # paid, then active at once
    await o.handle(refund_order, refund("o-1", 1000, "rf_1"))
    cancel = CancellationRequested(
        **WHO, order_id="o-1", reason=CancellationReason.CUSTOMER_REQUEST
    )
    await o.handle(cancel_order, cancel)
    await o.handle(refund_order, refund("o-1", 1990, "rf_2"))
    await place(o, "o-2", name="Sara A. Al-Harbi", email="sara.h@example.com")
    await o.handle(report_payment, payment(order_id="o-2", amount_halalas=1))  # refused
    await place(o, "o-3", name="Sara Hamad")  # the newest contact the customer gave
    await o.handle(  # another customer's order
        place_order,
        order_requested(await sealed_contact(o.keys, "c-2"), order_id="o-4", customer_id="c-2"),
    )

    await answer(o, started(PrivacyRequestKind.ACCESS))

    [exported] = replies(o)
    assert isinstance(exported, CustomerDataExported)
    assert exported.reply_id == reply_id(REQUEST, "orders")
    assert (exported.request_id, exported.customer_id) == (REQUEST, "c-1")
    assert (exported.part_name, exported.nothing_held, exported.exported_at) == (
        "orders",
        False,
        NOW,
    )
    assert exported.part is not None
    assert exported.part.kid == "c-1"
    part = await opened_part(o, exported)
    assert part.contact == ExportContact(
        name="Sara Hamad",
        email="sara@example.com",
        phone="+966501234567",
        billing_address="King Fahd Rd, Riyadh 12211",
    )
    assert [order.order_id for order in part.orders] == ["o-1", "o-2", "o-3"]
    first, second = part.orders[0], part.orders[1]
    assert [change.status for change in first.history] == [
        "placed",
        "paid",
        "active",
        "partially_refunded",
        "cancelled",
        "refunded",
    ]
    assert [change.at for change in first.history] == [e.occurred_at for e in o.stream("o-1")]
    placed = o.events("o-1")[0]
    assert isinstance(placed, OrderPlaced)
    assert (first.status, first.plan_id, first.quantity, first.currency) == (
        "refunded",
        "shahid-vip-1m",
        1,
        "SAR",
    )
    assert (first.amount_halalas, first.vat_halalas, first.refunded_halalas) == (
        placed.total_halalas,
        placed.vat_halalas,
        2990,
    )
    assert first.placed_at == o.stream("o-1")[0].occurred_at
    assert [change.status for change in second.history] == ["placed", "payment_refused"]
    assert (second.status, second.refunded_halalas) == ("placed", 0)


async def test_access_leaves_out_a_placement_that_was_refused() -> None:
    o = orders()
    await place(o, "o-1")
    contact = await sealed_contact(o.keys, "c-1")
    await o.handle(place_order, order_requested(contact, order_id="o-2", age_attestation=None))
    assert isinstance(o.events("o-2")[0], OrderRejected)

    await answer(o, started(PrivacyRequestKind.ACCESS))

    part = await opened_part(o, replies(o)[0])
    assert [order.order_id for order in part.orders] == ["o-1"]


async def test_access_exports_a_part_longer_than_a_personal_field_may_be() -> None:
    o = orders()
    contact = await sealed_contact(o.keys, "c-1")
    order_ids = [f"o-{n:02d}" for n in range(60)]
    for order_id in order_ids:
        await o.handle(place_order, order_requested(contact, order_id=order_id))

    await answer(o, started(PrivacyRequestKind.ACCESS))

    [exported] = replies(o)
    assert exported.part is not None
    assert len(exported.part.ct) > 16_384  # the most a sealed personal field holds
    part = await opened_part(o, exported)
    assert [order.order_id for order in part.orders] == order_ids


async def test_access_redelivered_records_the_part_once() -> None:
    o = orders()
    await place(o, "o-1")
    request = started(PrivacyRequestKind.ACCESS)
    envelope = intake(request, "privacy")
    await answer(o, request, envelope)
    await answer(o, request, envelope)
    assert len(replies(o)) == 1


async def test_access_for_an_erased_customer_says_nothing_is_held_while_amounts_stay() -> None:
    o = orders()
    await place(o, "o-1")
    await o.keys.shred("c-1")

    await answer(o, started(PrivacyRequestKind.ACCESS))

    [exported] = replies(o)
    assert (exported.part, exported.nothing_held) == (None, True)
    placed = o.events("o-1")[0]
    assert placed.total_halalas > 0  # the financial record stays, its contact unreadable
    assert await o.keys.open(placed.contact.email, field="email", purpose=Purpose.SUPPORT) == ERASED


async def test_access_for_a_customer_orders_never_heard_of_says_nothing_is_held() -> None:
    o = orders()
    await place(o, "o-1")
    await answer(o, started(PrivacyRequestKind.ACCESS, customer_id="c-9"))
    [exported] = replies(o)
    assert (exported.customer_id, exported.part, exported.nothing_held) == ("c-9", None, True)


async def test_an_erasure_started_is_left_to_the_erasure_itself() -> None:
    o = orders()
    await place(o, "o-1")
    await answer(o, started(PrivacyRequestKind.ERASURE))
    assert replies(o) == []
    assert o.keys.shredded == set()


# -- correction ---------------------------------------------------------------------------


async def correction(o: Orders, customer_id: str = "c-1", **values: str) -> PrivacyRequestStarted:
    """A correction as the gateway seals it: under the customer's key as it is now."""
    sealed = {
        field: await o.keys.seal(customer_id, field, value) for field, value in values.items()
    }
    return started(
        PrivacyRequestKind.CORRECTION, customer_id=customer_id, changes=ContactChanges(**sealed)
    )


async def opened(o: Orders, event: CustomerContactChanged) -> dict[str, str]:
    return {
        field: await o.keys.open(sealed, field=field, purpose=Purpose.SUPPORT)
        for field in ("name", "email", "phone", "billing_address")
        if (sealed := getattr(event.contact, field)) is not None
    }


async def test_a_correction_records_the_new_contact_and_the_old_values_no_longer_open() -> None:
    o = orders()
    await place(o, "o-1")
    request = await correction(o, email="new@example.com")

    await answer(o, request)

    [changed] = o.contact_events("c-1")
    assert isinstance(changed, CustomerContactChanged)
    assert (changed.request_id, changed.channel) == (REQUEST, Channel.WEB)
    fields = [changed.contact.name, changed.contact.email, changed.contact.phone]
    assert changed.contact.billing_address is not None
    assert {sealed.kid for sealed in [*fields, changed.contact.billing_address]} == {"c-1.2"}
    assert await opened(o, changed) == {
        "name": "Sara Al-Harbi",
        "email": "new@example.com",
        "phone": "+966501234567",
        "billing_address": "King Fahd Rd, Riyadh 12211",
    }
    [envelope] = o.store.streams["customer_contact:c-1"]
    assert envelope.causation_id is not None
    placed = o.events("o-1")[0]
    for field in ("name", "email", "phone", "billing_address"):
        old = getattr(placed.contact, field)
        assert await o.keys.open(old, field=field, purpose=Purpose.SUPPORT) == ERASED
    assert request.changes is not None
    assert request.changes.email is not None
    assert (
        await o.keys.open(request.changes.email, field="email", purpose=Purpose.SUPPORT) == ERASED
    )
    assert replies(o) == []  # answered once the customers view shows it (test_views)


async def test_t2_a_correction_sealed_under_another_customers_key_is_refused_unopened() -> None:
    o = orders()
    await place(o, "o-1")
    await place(o, "o-2", customer_id="c-2")
    theirs = await o.keys.seal("c-2", "email", "c2@example.com")
    request = started(PrivacyRequestKind.CORRECTION, changes=ContactChanges(email=theirs))

    with pytest.raises(CorrectionRefused):
        await answer(o, request)

    assert o.contact_events("c-1") == []
    assert await o.keys.current_kid("c-1") == "c-1"  # not rotated
    assert replies(o) == []


async def test_a_correction_redelivered_after_it_was_recorded_changes_nothing() -> None:
    o = orders()
    await place(o, "o-1")
    request = await correction(o, phone="+966555000111")
    envelope = intake(request, "privacy")
    await answer(o, request, envelope)

    await answer(o, request, envelope)

    assert len(o.contact_events("c-1")) == 1
    assert await o.keys.current_kid("c-1") == "c-1.2"  # not rotated again


async def test_a_correction_lost_between_rotation_and_append_is_redone_with_only_the_newest() -> (
    None
):
    o = orders()
    await place(o, "o-1")
    request = await correction(o, name="Sara Hamad")
    envelope = intake(request, "privacy")
    o.store.conflicts_to_raise = 1
    with pytest.raises(ConcurrencyConflict):
        await answer(o, request, envelope)
    assert o.contact_events("c-1") == []
    assert await o.keys.current_kid("c-1") == "c-1.2"
    meanwhile = await o.keys.seal("c-1", "name", "sealed under the abandoned generation")

    await answer(o, request, envelope)

    [changed] = o.contact_events("c-1")
    assert changed.contact.name.kid == "c-1.3"
    assert (await opened(o, changed))["name"] == "Sara Hamad"
    assert await o.keys.open(meanwhile, field="name", purpose=Purpose.SUPPORT) == ERASED


async def test_a_correction_of_an_erased_customer_is_answered_with_nothing_to_correct() -> None:
    o = orders()
    await place(o, "o-1")
    request = await correction(o, email="new@example.com")
    await o.keys.shred("c-1")

    await answer(o, request)

    assert o.contact_events("c-1") == []
    [applied] = replies(o)
    assert isinstance(applied, CorrectionApplied)
    assert (applied.reply_id, applied.request_id) == (reply_id(REQUEST, "orders"), REQUEST)
    assert applied.nothing_held is True


async def test_a_correction_orders_holds_no_contact_for_is_answered_without_rotating() -> None:
    o = orders()
    await answer(o, await correction(o, customer_id="c-9", email="new@example.com"))

    assert o.contact_events("c-9") == []
    [applied] = replies(o)
    assert isinstance(applied, CorrectionApplied)
    assert applied.nothing_held is True
    assert await o.keys.current_kid("c-9") == "c-9"


async def test_a_correction_giving_a_whole_contact_records_it_for_a_new_customer() -> None:
    o = orders()
    values = {"name": "Nora", "email": "nora@example.com", "phone": "+966500000001"}
    await answer(o, await correction(o, customer_id="c-9", **values))

    [changed] = o.contact_events("c-9")
    assert await opened(o, changed) == values
    assert replies(o) == []


async def test_after_a_correction_the_export_shows_the_new_contact_and_every_order() -> None:
    o = orders()
    await place(o, "o-1")
    await answer(o, await correction(o, email="new@example.com"))

    await answer(o, started(PrivacyRequestKind.ACCESS, request_id="req-2"))

    [exported] = replies(o)
    assert exported.part is not None
    assert exported.part.kid == "c-1.2"
    part = await opened_part(o, exported)
    assert part.contact is not None
    assert part.contact.email == "new@example.com"
    assert [order.order_id for order in part.orders] == ["o-1"]


async def test_an_order_placed_before_a_correction_is_still_paid_and_activated() -> None:
    o = orders()
    await place(o, "o-1")
    await answer(o, await correction(o, email="new@example.com"))

    await o.handle(report_payment, payment(order_id="o-1"))

    assert o.types("o-1") == ["OrderPlaced", "OrderPaid", "SubscriptionActivated"]


async def test_an_order_sealed_just_before_a_correction_is_refused_as_such_not_as_erased() -> None:
    o = orders()
    await place(o, "o-1")
    in_flight = order_requested(await sealed_contact(o.keys, "c-1"), order_id="o-2")
    await answer(o, await correction(o, email="new@example.com"))

    await o.handle(place_order, in_flight)

    [refused] = o.events("o-2")
    assert isinstance(refused, OrderRejected)
    assert refused.reason is RejectionReason.CUSTOMER_MISMATCH
    assert "correction" in refused.message


async def test_the_export_passes_over_a_newer_contact_sealed_under_a_retired_generation() -> None:
    o = orders()
    in_flight = order_requested(await sealed_contact(o.keys, "c-1"), order_id="o-1")
    kid = await o.keys.rotate("c-1")  # a correction: rotated, its contact recorded...
    record = await o.deps.contacts.get("c-1")
    record.correct(await sealed_contact(o.keys, "c-1", name="Sara Hamad"), Channel.WEB, "req-0")
    await o.deps.contacts.save(record, correlation_id=uuid4())
    await o.handle(place_order, in_flight)  # ...an order placed just before it retires...
    await o.keys.retire("c-1", keep_kid=kid)  # ...and retired: that order's contact is gone

    await answer(o, started(PrivacyRequestKind.ACCESS))

    part = await opened_part(o, replies(o)[0])
    assert part.contact is not None
    assert part.contact.name == "Sara Hamad"
    assert [order.order_id for order in part.orders] == ["o-1"]


async def test_only_the_privacy_service_is_obeyed() -> None:
    o = orders()
    await place(o, "o-1")
    handlers = privacy_handlers(service(privacy=o.privacy))
    request = started(PrivacyRequestKind.ACCESS)

    await dispatch(handlers, request, "gateway")
    assert replies(o) == []
    await dispatch(handlers, request, "privacy")
    assert [type(reply) for reply in replies(o)] == [CustomerDataExported]


# -- answers from the read models --------------------------------------------------------


class Watched(Recorded):
    """The read-model ports, noting how many answers were recorded when each call came."""

    def __init__(self, o: Orders) -> None:
        super().__init__()
        self.o = o
        self.replies_seen: list[int] = []

    async def __call__(self, envelope: Envelope, event: Any) -> None:
        self.replies_seen.append(len(replies(self.o)))
        await super().__call__(envelope, event)

    async def redact(self, customer_id: str, erased_at: datetime) -> None:
        self.replies_seen.append(len(replies(self.o)))
        await super().redact(customer_id, erased_at)


def views_of(o: Orders, seen: Watched) -> Views:
    return Views(
        read_models=seen,
        customers=seen,
        policies=seen,
        keys=o.keys,
        replies=o.privacy.replies,
        clock=lambda: NOW,
    )


def own(event: Event) -> Envelope:
    return new_envelope(event, aggregate_version=1, producer="orders", correlation_id=uuid4())


async def test_a_correction_is_answered_once_its_view_shows_it_and_older_keys_are_retired() -> None:
    o = orders()
    await place(o, "o-1")
    await o.keys.rotate("c-1")  # the correction got as far as its append, not its retirement
    corrected = CustomerContactChanged(
        customer_id="c-1",
        contact=await sealed_contact(o.keys, "c-1", name="Sara Hamad"),
        channel=Channel.PHONE,
        request_id=REQUEST,
    )
    seen = Watched(o)
    envelope = own(corrected)

    await show_contact(corrected, envelope, views_of(o, seen))
    await show_contact(corrected, envelope, views_of(o, seen))  # redelivered

    assert seen.projected == ["CustomerContactChanged"] * 2
    assert seen.replies_seen == [0, 1]  # the first answer came after the view took it
    [applied] = replies(o)
    assert isinstance(applied, CorrectionApplied)
    assert (applied.reply_id, applied.request_id, applied.customer_id, applied.applied_at) == (
        reply_id(REQUEST, "orders"),
        REQUEST,
        "c-1",
        NOW,
    )
    old = o.events("o-1")[0].contact.name
    assert await o.keys.open(old, field="name", purpose=Purpose.SUPPORT) == ERASED
    new = corrected.contact.name
    assert await o.keys.open(new, field="name", purpose=Purpose.SUPPORT) == "Sara Hamad"


async def test_a_contact_from_salla_is_shown_without_answering_or_retiring_anything() -> None:
    o = orders()
    await place(o, "o-1")
    changed = CustomerContactChanged(
        customer_id="c-1", contact=await sealed_contact(o.keys, "c-1"), channel=Channel.SALLA
    )
    seen = Watched(o)

    await show_contact(changed, own(changed), views_of(o, seen))

    assert seen.projected == ["CustomerContactChanged"]
    assert replies(o) == []
    old = o.events("o-1")[0].contact.name
    assert await o.keys.open(old, field="name", purpose=Purpose.SUPPORT) == "Sara Al-Harbi"


async def test_an_erasure_is_confirmed_once_after_the_customers_record_is_redacted() -> None:
    o = orders()
    erased = CustomerErased(
        customer_id="c-1",
        erased_at=NOW,
        reason=ErasureReason.CUSTOMER_REQUEST,
        requested_via=Channel.WHATSAPP,
    )
    seen = Watched(o)
    envelope = new_envelope(erased, aggregate_version=4, producer="consent", correlation_id=uuid4())

    await forget_customer(erased, envelope, views_of(o, seen))
    await forget_customer(erased, envelope, views_of(o, seen))

    assert seen.redacted == ["c-1", "c-1"]
    assert seen.replies_seen == [0, 1]
    [confirmed] = replies(o)
    assert isinstance(confirmed, ErasureConfirmed)
    assert (confirmed.reply_id, confirmed.customer_id, confirmed.service) == (
        reply_id("c-1", "orders"),
        "c-1",
        "orders",
    )
    assert confirmed.confirmed_at == NOW
    [stored] = o.store.envelopes("privacy_reply")
    assert stored.correlation_id == envelope.correlation_id
