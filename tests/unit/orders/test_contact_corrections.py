"""The contact record's rules under key generations, the merge a correction makes, what the
export says of an order, and a Salla contact racing a correction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest
from allwan_contracts import (
    Channel,
    CustomerContact,
    CustomerContactChanged,
    OrderPaid,
    OrderPlaced,
    OrderRejected,
    OrderRequestKind,
    PrivacyRequestKind,
    RejectionReason,
    Sealed,
)
from allwan_contracts.privacy import (
    ContactChanges,
)
from allwan_orders.domain.customer import ContactRefused, CustomerContactRecord, StaleContact
from allwan_orders.domain.privacy import (
    CorrectionImpossible,
    Stamped,
    corrected_contact,
    export_order,
)
from allwan_orders.handlers.salla import handle_webhook
from allwan_runtime.keystore import ERASED, InMemoryKeyStore, Purpose

from tests.unit.contracts.factories import SAMPLES
from tests.unit.orders.fakes import Orders, orders
from tests.unit.orders.salla_samples import customer_event
from tests.unit.orders.test_privacy_requests import answer, started
from tests.unit.orders.test_salla_webhooks import CUSTOMER, delivery

IV, CT = "AAAAAAAAAAAAAAAA", "A" * 22
WHEN = datetime(2026, 3, 1, tzinfo=UTC)


def contact(*kids: str) -> CustomerContact:
    """A contact whose name, email, phone and billing address are sealed under ``kids``."""
    name, email, phone, address = (Sealed(alg="A256GCM", kid=kid, iv=IV, ct=CT) for kid in kids)
    return CustomerContact(name=name, email=email, phone=phone, billing_address=address)


def test_a_contact_sealed_under_an_older_generation_than_the_record_holds_is_refused() -> None:
    record = CustomerContactRecord("c-1")
    record.change(contact("c-1.2", "c-1.2", "c-1.2", "c-1.2"), Channel.SALLA)
    with pytest.raises(StaleContact):
        record.change(contact("c-1", "c-1", "c-1", "c-1"), Channel.SALLA)
    with pytest.raises(StaleContact):  # one field sealed before the rotation is enough
        record.change(contact("c-1.2", "c-1.2", "c-1", "c-1.2"), Channel.SALLA)
    record.change(contact("c-1.3", "c-1.3", "c-1.3", "c-1.3"), Channel.SALLA)
    assert len(record.pending) == 2


def test_t2_a_contact_sealed_under_another_customers_key_is_refused() -> None:
    record = CustomerContactRecord("c-1")
    with pytest.raises(ContactRefused):
        record.change(contact("c-1", "c-1", "c-12", "c-1"), Channel.SALLA)
    with pytest.raises(ContactRefused):
        record.correct(contact("c-1.2", "c-1.2", "c-12.2", "c-1.2"), Channel.WEB, "req-1")
    assert record.pending == ()


def test_a_correction_is_sealed_under_one_generation_and_recorded_once_per_request() -> None:
    record = CustomerContactRecord("c-1")
    with pytest.raises(ContactRefused, match="one key generation"):
        record.correct(contact("c-1.2", "c-1.2", "c-1.3", "c-1.3"), Channel.WEB, "req-1")
    assert record.correct(contact(*["c-1.2"] * 4), Channel.WHATSAPP, "req-1") is True
    assert record.correct(contact(*["c-1.3"] * 4), Channel.WHATSAPP, "req-1") is False
    [event] = record.pending
    assert isinstance(event, CustomerContactChanged)
    assert (event.request_id, event.channel) == ("req-1", Channel.WHATSAPP)
    assert record.corrections == {"req-1": "c-1.2"}


def test_a_correction_changes_the_fields_asked_for_and_keeps_the_others() -> None:
    held = {"name": "Sara", "email": "old@example.com", "phone": "+966501234567"}
    assert corrected_contact(held, {"email": "new@example.com", "billing_address": "Jeddah"}) == {
        "name": "Sara",
        "email": "new@example.com",
        "phone": "+966501234567",
        "billing_address": "Jeddah",
    }


def test_a_correction_that_leaves_a_required_field_unknown_is_impossible() -> None:
    with pytest.raises(CorrectionImpossible, match="no name, phone held or given") as caught:
        corrected_contact({}, {"email": "new@example.com"})
    assert "new@example.com" not in str(caught.value)


def test_the_export_of_an_order_refused_when_placed_is_none_and_a_later_refusal_is_shown() -> None:
    placed = SAMPLES[OrderPlaced]
    assert isinstance(placed, OrderPlaced)
    refused = OrderRejected(
        order_id=placed.order_id,
        customer_id=placed.customer_id,
        request=OrderRequestKind.REFUND,
        request_id="6f1c1e0e-3c1b-4a3f-9d7e-2b8a8f1f0c11",
        reason=RejectionReason.INVALID_TRANSITION,
        message="A placed order has nothing to refund.",
    )
    assert export_order(placed.order_id, [Stamped(refused, WHEN)]) is None
    exported = export_order(
        placed.order_id, [Stamped(placed, WHEN), Stamped(SAMPLES[OrderPaid], WHEN)]
    )
    assert exported is not None
    assert [change.status for change in exported.history] == ["placed", "paid"]
    shown = export_order(placed.order_id, [Stamped(placed, WHEN), Stamped(refused, WHEN)])
    assert shown is not None
    assert [change.status for change in shown.history] == ["placed", "refund_refused"]


class CorrectedWhileSealing:
    """The key store of the Salla handler; the customer's correction completes right after
    the handler sealed the phone of their new contact, before it loads their record."""

    def __init__(self, o: Orders, keys: InMemoryKeyStore) -> None:
        self.o, self.keys, self.raced = o, keys, False

    async def seal(self, subject: str, field: str, plaintext: str) -> Sealed:
        sealed = await self.keys.seal(subject, field, plaintext)
        if subject == CUSTOMER and field == "phone" and not self.raced:
            self.raced = True
            email = await self.keys.seal(CUSTOMER, "email", "corrected@example.com")
            request = started(PrivacyRequestKind.CORRECTION, CUSTOMER, ContactChanges(email=email))
            await answer(self.o, request)
        return sealed

    async def open(self, sealed: Sealed, *, field: str, purpose: Purpose) -> str:
        return await self.keys.open(sealed, field=field, purpose=purpose)

    async def open_many(self, sealed: Mapping[str, Sealed], *, purpose: Purpose) -> dict[str, str]:
        return await self.keys.open_many(sealed, purpose=purpose)

    async def shred(self, subject: str) -> bool:
        return await self.keys.shred(subject)

    async def is_erased(self, subject: str) -> bool:
        return await self.keys.is_erased(subject)


async def test_a_salla_contact_sealed_just_before_a_correction_is_sealed_again_and_readable() -> (
    None
):
    o = orders()
    await o.handle(handle_webhook, await delivery(o.keys, customer_event()))
    newer = await delivery(o.keys, customer_event(email="m.newer@example.com"))
    o.deps.keys = CorrectedWhileSealing(o, o.keys)

    await o.handle(handle_webhook, newer)

    salla, corrected, latest = o.contact_events(CUSTOMER)
    assert corrected.request_id is not None
    assert (latest.channel, latest.request_id) == (Channel.SALLA, None)
    assert latest.contact.email.kid == f"{CUSTOMER}.2"
    email = await o.keys.open(latest.contact.email, field="email", purpose=Purpose.SUPPORT)
    assert email == "m.newer@example.com"
    old = await o.keys.open(salla.contact.email, field="email", purpose=Purpose.SUPPORT)
    assert old == ERASED
