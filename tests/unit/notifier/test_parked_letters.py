"""PDPL: a privacy email that finds no address waits for it (``domain.parked``) without holding
up the consumer. It goes once, in the language of the order that brings the address, through
the ledger's rules. A letter that waited past ``PARKING_BOUND`` is skipped, and an erased
customer's is skipped as before."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from allwan_contracts import (
    Channel,
    CustomerContact,
    CustomerContactChanged,
    OrderPlaced,
    PrivacyRequestKind,
    read_event,
)
from allwan_contracts.disclosures import DataDisclosed
from allwan_notifier.domain.deliveries import Delivery, Kind, SkipReason, State, delivery_id
from allwan_notifier.domain.mail import Mail
from allwan_notifier.domain.parked import PARKING_BOUND, ParkedLetter, waits_for_address
from allwan_notifier.domain.privacy import ErasureStarting
from allwan_notifier.domain.recipients import Address, Locale, Recipient
from allwan_notifier.handlers.book import forget_customer, remember_order_contact
from allwan_notifier.handlers.parked import release, send_waiting_letters, skip_overdue
from allwan_notifier.handlers.ports import Deps
from allwan_notifier.handlers.privacy_mail import acknowledge_request
from allwan_notifier.handlers.transactional import send_receipt
from allwan_runtime.dispatch import TransientError
from allwan_runtime.keystore import Purpose

from tests.unit.notifier.conftest import World
from tests.unit.notifier.fakes import CONTACT, WHEN, deferred, envelope, erased, order_placed
from tests.unit.notifier.privacy_events import received, request_id
from tests.unit.notifier.test_privacy_mail import EMAILS, LOCALES, SUBJECTS, told

ACKNOWLEDGEMENT = delivery_id(Kind.PRIVACY_RECEIVED, request_id("c-1", PrivacyRequestKind.ACCESS))


def acknowledgements(world: World) -> list[Mail]:
    return [mail for mail in world.sender.sent if mail.message_id.startswith("<privacy_received.")]


def receipts(world: World) -> list[Mail]:
    return [mail for mail in world.sender.sent if mail.message_id.startswith("<receipt.")]


def entry(world: World) -> Delivery:
    """The ledger's entry for the acknowledgement of c-1's request."""
    return world.ledger.entries[ACKNOWLEDGEMENT]


def at(world: World, waited: timedelta) -> Deps:
    """The handlers' dependencies ``waited`` after the fixture's clock."""
    return replace(world.deps, clock=lambda: WHEN + waited)


async def ordered(world: World, locale: Locale = "en", deps: Deps | None = None) -> OrderPlaced:
    """The customer's first order, as the mail consumer reads it (receipt, waiting letters)."""
    placed = order_placed(world.secrets, "c-1", "c-1@example.com", locale)
    await send_receipt(placed, envelope(placed, producer="orders"), deps or world.deps)
    return placed


@pytest.mark.parametrize("locale", LOCALES)
async def test_pdpl_a_request_read_before_its_order_is_acknowledged_once_the_order_comes(
    world: World, locale: Locale
) -> None:
    request = received("c-1")
    cause = envelope(request, producer="privacy")

    await acknowledge_request(request, cause, world.deps)

    assert world.sender.sent == []
    assert entry(world).state is State.PENDING  # not skipped: waiting
    assert list(world.parked.documents) == [ACKNOWLEDGEMENT]
    placed = order_placed(world.secrets, "c-1", "c-1@example.com", locale)
    # The address book's consumer learns the address first, and sends nothing.
    await remember_order_contact(placed, envelope(placed, producer="orders"), world.deps)
    assert world.sender.sent == []

    await send_receipt(placed, envelope(placed, producer="orders"), world.deps)

    (mail,) = acknowledgements(world)
    assert (mail.to, mail.locale) == ("c-1@example.com", locale)
    assert mail.subject == SUBJECTS["received", locale]
    assert request.request_id in mail.text
    assert mail.reply_to == CONTACT.email
    assert len(receipts(world)) == 1
    assert (entry(world).state, world.parked.documents) == (State.SENT, {})
    assert Purpose.DATA_ACCESS in world.secrets.opened  # C4: still their own request
    (disclosed,) = [
        recorded
        for recorded in world.store.envelopes("disclosure")
        if isinstance(event := read_event(recorded), DataDisclosed)
        and event.source == f"email:{ACKNOWLEDGEMENT}"
    ]
    assert disclosed.correlation_id == cause.correlation_id  # the request caused it


@pytest.mark.parametrize("name", EMAILS)
@pytest.mark.parametrize("locale", LOCALES)
async def test_pdpl_every_privacy_email_waits_for_the_address_and_goes_in_its_language(
    world: World, name: str, locale: Locale
) -> None:
    build, handler, kind, request_kind = EMAILS[name]
    await told(world, build("c-1"), handler)
    assert world.sender.sent == []

    await ordered(world, locale)

    (mail,) = [m for m in world.sender.sent if m.message_id.startswith(f"<{kind.value}.")]
    assert (mail.locale, mail.subject) == (locale, SUBJECTS[name, locale])
    assert request_id("c-1", request_kind) in mail.text
    assert world.parked.documents == {}


async def test_pdpl_a_redelivered_request_or_order_sends_the_waiting_acknowledgement_once(
    world: World,
) -> None:
    await told(world, received("c-1"), acknowledge_request, times=2)
    assert world.metrics.counts[(Kind.PRIVACY_RECEIVED.value, "parked")] == 1

    placed = await ordered(world)
    await send_receipt(placed, envelope(placed, producer="orders"), world.deps)  # redelivered
    await told(world, received("c-1"), acknowledge_request)  # redelivered after the order

    assert len(acknowledgements(world)) == 1
    assert len(receipts(world)) == 1
    assert world.ledger.attempts == {
        (ACKNOWLEDGEMENT, 1),
        (delivery_id(Kind.RECEIPT, placed.order_id), 1),
    }


async def test_of_two_consumers_releasing_one_letter_at_once_only_one_sends_it(
    world: World,
) -> None:
    await told(world, received("c-1"), acknowledge_request)
    await world.customer("c-1", "en")
    parked = (await world.parked.of_customer("c-1"))[0]
    stale = entry(world)  # both read the entry while it was pending

    await release(stale, parked, world.deps)
    await release(stale, parked, world.deps)

    assert len(acknowledgements(world)) == 1


async def test_a_letter_parked_while_the_address_arrives_elsewhere_goes_at_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    park = world.parked.park

    async def address_meanwhile(parked: ParkedLetter) -> ParkedLetter:
        await world.customer("c-1", "en")  # another replica's order, between read and park
        return await park(parked)

    monkeypatch.setattr(world.parked, "park", address_meanwhile)

    await told(world, received("c-1"), acknowledge_request)

    (mail,) = acknowledgements(world)
    assert mail.to == "c-1@example.com"
    assert world.parked.documents == {}


@pytest.mark.parametrize(
    ("waited", "state"),
    [(PARKING_BOUND, State.SENT), (PARKING_BOUND + timedelta(seconds=1), State.SKIPPED)],
)
async def test_pdpl_a_letter_parked_longer_than_the_bound_is_skipped_not_sent(
    world: World, waited: timedelta, state: State
) -> None:
    await told(world, received("c-1"), acknowledge_request)
    assert entry(world).state is State.PENDING  # waiting, not skipped yet

    await ordered(world, deps=at(world, waited))

    assert len(receipts(world)) == 1  # the order's own email never waits
    assert len(acknowledgements(world)) == (state is State.SENT)
    assert entry(world).state is state
    if state is State.SKIPPED:
        assert entry(world).reason == SkipReason.NO_ADDRESS
    assert world.parked.documents == {}


async def test_a_redelivered_request_does_not_restart_the_waiting_time(world: World) -> None:
    await told(world, received("c-1"), acknowledge_request)
    request = received("c-1")
    later = at(world, PARKING_BOUND - timedelta(hours=1))
    await acknowledge_request(request, envelope(request, producer="privacy"), later)
    assert entry(world).state is State.PENDING  # still waiting, since the first delivery

    await ordered(world, deps=at(world, PARKING_BOUND + timedelta(hours=1)))

    assert acknowledgements(world) == []
    assert (entry(world).state, entry(world).reason) == (State.SKIPPED, SkipReason.NO_ADDRESS)


async def test_a_letter_released_in_time_whose_send_was_deferred_goes_once_past_the_bound(
    world: World,
) -> None:
    changed = await released_but_deferred(world)
    assert entry(world).state is State.SENDING

    late = at(world, PARKING_BOUND + timedelta(hours=1))  # the SMTP server was away long
    await send_waiting_letters(changed, envelope(changed, producer="orders"), late)

    assert len(acknowledgements(world)) == 1
    assert entry(world).state is State.SENT


async def test_a_letter_no_address_ever_came_for_is_skipped_once_it_waited_past_the_bound(
    world: World,
) -> None:
    await told(world, received("c-1"), acknowledge_request)

    assert await skip_overdue(at(world, PARKING_BOUND)) == 0  # not past it yet
    assert (entry(world).state, list(world.parked.documents)) == (State.PENDING, [ACKNOWLEDGEMENT])

    late = at(world, PARKING_BOUND + timedelta(seconds=1))
    assert await skip_overdue(late) == 1

    assert (entry(world).state, entry(world).reason) == (State.SKIPPED, SkipReason.NO_ADDRESS)
    assert world.parked.documents == {}
    assert await skip_overdue(late) == 0  # swept again (another replica): nothing more
    await ordered(world, deps=late)  # the address comes after all: nothing goes for the request
    assert acknowledgements(world) == []


async def test_the_sweep_leaves_a_released_letter_whose_send_waits_for_the_smtp_server(
    world: World,
) -> None:
    await released_but_deferred(world)

    assert await skip_overdue(at(world, PARKING_BOUND + timedelta(hours=1))) == 0

    assert entry(world).state is State.SENDING  # the consumer's retry still sends it
    assert list(world.parked.documents) == [ACKNOWLEDGEMENT]


async def test_pdpl_a_contact_change_sends_the_waiting_letter_in_the_stores_language(
    world: World,
) -> None:
    await told(world, received("c-1"), acknowledge_request)
    changed = salla_contact(world)

    await send_waiting_letters(changed, envelope(changed, producer="orders"), world.deps)

    (mail,) = acknowledgements(world)
    assert (mail.to, mail.locale) == ("c-1@salla.example.com", "ar")  # no language: the store's
    assert "c-1" in world.book.addresses  # learnt here too, whichever consumer comes first


@pytest.mark.parametrize("how", ["book", "key store only"])
async def test_pdpl_an_erased_customers_privacy_email_is_skipped_as_before_not_parked(
    world: World, how: str
) -> None:
    await world.secrets.shred("c-1")
    if how == "book":
        await world.book.erase("c-1", 1)

    await told(world, received("c-1"), acknowledge_request)

    assert (entry(world).state, entry(world).reason) == (State.SKIPPED, SkipReason.ERASED)
    assert world.parked.documents == {}
    assert world.sender.sent == []


async def test_pdpl_an_erasure_skips_and_drops_the_letters_still_waiting_for_an_address(
    world: World,
) -> None:
    await told(world, received("c-1"), acknowledge_request)
    assert entry(world).state is State.PENDING
    await world.secrets.shred("c-1")
    gone = erased("c-1")

    await forget_customer(gone, envelope(gone, producer="consent"), world.deps)

    assert (entry(world).state, entry(world).reason) == (State.SKIPPED, SkipReason.ERASED)
    assert world.parked.documents == {}  # nothing left for a later address to send
    assert world.sender.sent == []


async def test_a_letter_is_overdue_only_once_it_waited_longer_than_the_bound() -> None:
    letter = ErasureStarting(request_id="req-1", contact=CONTACT)
    parked = ParkedLetter("privacy_erasing:req-1", "c-1", letter, WHEN)

    assert not parked.overdue(WHEN + PARKING_BOUND)
    assert parked.overdue(WHEN + PARKING_BOUND + timedelta(microseconds=1))


def test_only_a_missing_address_makes_a_letter_wait(world: World) -> None:
    sealed = world.secrets.seal_now("c-1", "email", "c-1@example.com")

    assert waits_for_address(Recipient("c-1", None))
    assert not waits_for_address(Recipient("c-1", None, erased=True))
    assert not waits_for_address(Recipient("c-1", Address(sealed)))


async def released_but_deferred(world: World) -> CustomerContactChanged:
    """c-1's acknowledgement parked, then released by a contact change while the SMTP server
    defers it: the consumer will retry the record; the contact change it retries."""
    await told(world, received("c-1"), acknowledge_request)
    world.sender.failures = deferred(1)
    changed = salla_contact(world)
    with pytest.raises(TransientError):  # the consumer retries the record
        await send_waiting_letters(changed, envelope(changed, producer="orders"), world.deps)
    return changed


def salla_contact(world: World) -> CustomerContactChanged:
    contact = CustomerContact(
        name=world.secrets.seal_now("c-1", "name", "Sara"),
        email=world.secrets.seal_now("c-1", "email", "c-1@salla.example.com"),
        phone=world.secrets.seal_now("c-1", "phone", "0500000000"),
    )
    return CustomerContactChanged(customer_id="c-1", contact=contact, channel=Channel.SALLA)
