"""Receipts, activations and withdrawal confirmations (K3): once per event, in the
customer's language, never to an erased customer, through an SMTP outage."""

from __future__ import annotations

import pytest
from allwan_contracts import OrderPlaced
from allwan_notifier.domain.deliveries import Kind, SkipReason, State
from allwan_notifier.domain.recipients import Locale
from allwan_notifier.handlers.book import forget_customer, record_consent, remember_order_contact
from allwan_notifier.handlers.ports import SendDeferred
from allwan_notifier.handlers.transactional import (
    confirm_withdrawal,
    send_activation,
    send_receipt,
)
from allwan_runtime.dispatch import TransientError
from allwan_runtime.keystore import Purpose

from tests.unit.notifier.conftest import World
from tests.unit.notifier.fakes import (
    CONTACT,
    activated,
    deferred,
    envelope,
    erased,
    order_placed,
    withdrawn,
)


async def receipt(world: World, *, locale: Locale = "en", customer: str = "c-1") -> OrderPlaced:
    placed = order_placed(world.secrets, customer, f"{customer}@example.com", locale)
    await send_receipt(placed, envelope(placed, producer="orders"), world.deps)
    return placed


async def test_an_order_gets_one_receipt_in_its_language_opened_for_receipts_only(
    world: World,
) -> None:
    placed = await receipt(world, locale="en")
    await send_receipt(placed, envelope(placed, producer="orders"), world.deps)  # redelivered

    (mail,) = world.sender.sent
    assert mail.to == "c-1@example.com"
    assert mail.locale == "en"
    assert placed.order_id in mail.subject
    assert mail.message_id == f"<receipt.{placed.order_id}@allwanstores.com>"
    assert world.secrets.opened == [Purpose.ORDER_RECEIPTS]  # C4
    (entry,) = world.ledger.of_kind(Kind.RECEIPT)
    assert entry.state is State.SENT


async def test_a_deferred_receipt_asks_the_consumer_to_retry_and_goes_out_once(
    world: World,
) -> None:
    world.sender.failures = deferred(1)
    placed = order_placed(world.secrets, "c-1", "c-1@example.com", "en")

    with pytest.raises(TransientError):
        await send_receipt(placed, envelope(placed, producer="orders"), world.deps)
    (entry,) = world.ledger.of_kind(Kind.RECEIPT)
    assert entry.state is State.SENDING

    # The consumer retries the record.
    await send_receipt(placed, envelope(placed, producer="orders"), world.deps)
    assert len(world.sender.sent) == 1


async def test_the_activation_goes_to_the_address_the_order_left_in_the_book(
    world: World,
) -> None:
    placed = await receipt(world, locale="ar")
    event = activated(placed)

    await send_activation(event, envelope(event, producer="orders", version=3), world.deps)

    activation = world.sender.sent[-1]
    assert activation.locale == "ar"
    assert activation.to == "c-1@example.com"
    assert activation.message_id == f"<activation.{placed.order_id}@allwanstores.com>"


async def test_k3_a_withdrawal_is_confirmed_once_per_ledger_event(world: World) -> None:
    await world.customer("c-1", "ar")
    event = withdrawn("c-1")

    for _ in range(2):  # redelivered
        await confirm_withdrawal(event, envelope(event, version=4), world.deps)

    (mail,) = world.sender.sent
    assert "تأكيد سحب موافقتك" in mail.subject
    assert mail.reply_to == CONTACT.email
    assert world.secrets.opened == [Purpose.CONSENT_NOTICES]


async def test_k3_an_erased_customer_gets_no_confirmation(world: World) -> None:
    await world.customer("c-1")
    await forget_customer(erased("c-1"), envelope(erased("c-1"), version=5), world.deps)
    event = withdrawn("c-1")

    await confirm_withdrawal(event, envelope(event, version=6), world.deps)

    assert world.sender.sent == []
    (entry,) = world.ledger.of_kind(Kind.WITHDRAWAL)
    assert (entry.state, entry.reason) == (State.SKIPPED, SkipReason.ERASED)


async def test_an_erased_customers_receipt_is_not_sent_though_the_order_carries_an_address(
    world: World,
) -> None:
    placed = order_placed(world.secrets, "c-1", "c-1@example.com", "en")
    await world.secrets.shred("c-1")  # sealed before the key went, as orders published it

    await send_receipt(placed, envelope(placed, producer="orders"), world.deps)

    assert world.sender.sent == []
    assert world.book.redacted == ["c-1"]


async def test_the_address_book_keeps_the_latest_email_and_the_last_known_language(
    world: World,
) -> None:
    placed = order_placed(world.secrets, "c-1", "old@example.com", "en")
    await remember_order_contact(placed, envelope(placed, producer="orders"), world.deps)
    await record_consent(withdrawn("c-1"), envelope(withdrawn("c-1")), world.deps)

    recipient = await world.book.recipient("c-1")

    assert recipient.address is not None
    assert recipient.address.locale == "en"
    assert not (await world.book.marketing_consent("c-1")).allows_marketing()


def test_send_deferred_is_transient_for_the_dispatcher() -> None:
    assert issubclass(SendDeferred, TransientError)
