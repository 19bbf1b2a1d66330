"""PDPL: the notifier's answers to privacy requests: the customer's emails as their export part
(sealed, T2), a correction once the address book shows it, an erasure once it is redacted;
each recorded once. And a correction's retired key never passes for an erasure."""

from __future__ import annotations

import pytest
from allwan_contracts import (
    Channel,
    CorrectionApplied,
    CustomerContact,
    CustomerContactChanged,
    CustomerDataExported,
    ErasureConfirmed,
    PrivacyRequestKind,
    reply_id,
)
from allwan_contracts.privacy_export import EmailsPart
from allwan_contracts.privacy_replies import (
    EXPORT_PART_FIELD,
)
from allwan_notifier.domain.deliveries import Delivery, Kind, SkipReason, State, delivery_id
from allwan_notifier.handlers.book import forget_customer, remember_contact_change
from allwan_notifier.handlers.privacy_replies import export_emails
from allwan_notifier.handlers.transactional import confirm_withdrawal, send_receipt
from allwan_runtime.dispatch import TransientError
from allwan_runtime.keystore import Purpose

from tests.unit.notifier.conftest import World
from tests.unit.notifier.fakes import WHEN, envelope, erased, order_placed, withdrawn
from tests.unit.notifier.privacy_events import request_id, started

ACCESS = PrivacyRequestKind.ACCESS


def answers(world: World) -> list[object]:
    return list(world.store.all_events("privacy_reply"))


async def export(world: World, customer_id: str, *, times: int = 1) -> CustomerDataExported:
    event = started(customer_id, ACCESS)
    for _ in range(times):
        await export_emails(event, envelope(event, producer="privacy"), world.deps)
    (answer,) = answers(world)
    assert isinstance(answer, CustomerDataExported)
    return answer


async def opened(world: World, answer: CustomerDataExported) -> str:
    assert answer.part is not None
    return await world.secrets.open(
        answer.part, field=EXPORT_PART_FIELD, purpose=Purpose.DATA_ACCESS
    )


def contact_changed(
    world: World, customer_id: str, email: str, request: str | None
) -> CustomerContactChanged:
    contact = CustomerContact(
        name=world.secrets.seal_now(customer_id, "name", "Sara"),
        email=world.secrets.seal_now(customer_id, "email", email),
        phone=world.secrets.seal_now(customer_id, "phone", "0500000000"),
    )
    return CustomerContactChanged(
        customer_id=customer_id, contact=contact, channel=Channel.WEB, request_id=request
    )


async def test_pdpl_access_exports_every_email_tried_to_the_customer_kind_time_and_outcome(
    world: World,
) -> None:
    placed = order_placed(world.secrets, "c-1", "c-1@example.com", "en")
    await send_receipt(placed, envelope(placed, producer="orders"), world.deps)
    world.sender.refused.add("c-1@example.com")
    mine = withdrawn("c-1")
    await confirm_withdrawal(mine, envelope(mine, version=2), world.deps)  # refused: 550
    await world.customer("c-2")
    theirs = withdrawn("c-2")
    await confirm_withdrawal(theirs, envelope(theirs), world.deps)
    owed = Delivery(  # claimed by a fan-out, never tried: no email yet
        id=delivery_id(Kind.POLICY, 3, "c-1"), kind=Kind.POLICY, customer_id="c-1", queued_at=WHEN
    )
    await world.ledger.claim(owed)

    answer = await export(world, "c-1")

    assert answer.reply_id == reply_id(request_id("c-1", ACCESS), "notifier")
    assert (answer.request_id, answer.customer_id) == (request_id("c-1", ACCESS), "c-1")
    assert (answer.part_name, answer.service, answer.nothing_held) == ("emails", "notifier", False)
    text = await opened(world, answer)
    part = EmailsPart.model_validate_json(text)
    assert [(email.kind, email.outcome, email.at) for email in part.emails] == [
        ("receipt", "sent", WHEN),
        ("withdrawal", "failed", WHEN),
    ]
    assert "example.com" not in text  # never an address, nor a body
    assert answer.part is not None
    assert answer.part.kid == "c-1"


async def test_pdpl_a_redelivered_start_exports_the_emails_once(world: World) -> None:
    await world.customer("c-1")

    answer = await export(world, "c-1", times=3)

    assert answer.nothing_held is False
    assert len(world.store.envelopes("privacy_reply")) == 1


async def test_pdpl_an_erased_customers_export_part_says_nothing_is_held(world: World) -> None:
    placed = order_placed(world.secrets, "c-1", "c-1@example.com", "en")
    await send_receipt(placed, envelope(placed, producer="orders"), world.deps)
    await world.secrets.shred("c-1")

    answer = await export(world, "c-1")

    assert (answer.part, answer.nothing_held) == (None, True)


async def test_pdpl_a_customer_the_notifier_never_heard_of_gets_no_key_and_nothing_held(
    world: World,
) -> None:
    answer = await export(world, "c-9")

    assert (answer.part, answer.nothing_held) == (None, True)
    assert "c-9" not in world.secrets.subjects


async def test_pdpl_a_known_customer_without_emails_exports_an_empty_list(world: World) -> None:
    await world.customer("c-1")

    answer = await export(world, "c-1")

    assert EmailsPart.model_validate_json(await opened(world, answer)).emails == []


@pytest.mark.parametrize(
    "kind", [PrivacyRequestKind.CORRECTION, PrivacyRequestKind.ERASURE], ids=str
)
async def test_only_an_access_request_is_answered_with_an_export_part(
    world: World, kind: PrivacyRequestKind
) -> None:
    await world.customer("c-1")
    event = started("c-1", kind)

    await export_emails(event, envelope(event, producer="privacy"), world.deps)

    assert answers(world) == []


async def test_pdpl_a_correction_is_answered_once_the_book_shows_the_new_email(
    world: World,
) -> None:
    await world.customer("c-1", "en")
    changed = contact_changed(world, "c-1", "new@example.com", "req-fix-1")

    for _ in range(2):  # redelivered
        await remember_contact_change(changed, envelope(changed, producer="orders"), world.deps)

    recipient = await world.book.recipient("c-1")
    assert recipient.address is not None
    assert recipient.address.email == changed.contact.email
    (answer,) = answers(world)
    assert isinstance(answer, CorrectionApplied)
    assert answer.reply_id == reply_id("req-fix-1", "notifier")
    assert (answer.request_id, answer.customer_id, answer.service) == (
        "req-fix-1",
        "c-1",
        "notifier",
    )


async def test_a_contact_change_from_salla_answers_no_request(world: World) -> None:
    changed = contact_changed(world, "c-1", "new@example.com", None)

    await remember_contact_change(changed, envelope(changed, producer="orders"), world.deps)

    assert answers(world) == []


async def test_pdpl_an_erasure_is_confirmed_once_after_the_book_is_redacted(
    world: World,
) -> None:
    await world.customer("c-1")
    event = erased("c-1")

    for _ in range(2):  # redelivered
        await forget_customer(event, envelope(event, version=5), world.deps)

    assert (await world.book.recipient("c-1")).address is None
    (answer,) = answers(world)
    assert isinstance(answer, ErasureConfirmed)
    assert answer.reply_id == reply_id("c-1", "notifier")
    assert (answer.customer_id, answer.service) == ("c-1", "notifier")


async def test_pdpl_a_retired_key_generation_is_no_erasure_the_mail_waits_for_the_new_address(
    world: World,
) -> None:
    await world.customer("c-1", "en")  # sealed under the first generation
    new_kid = await world.secrets.rotate("c-1")
    await world.secrets.retire("c-1", keep_kid=new_kid)  # orders applied a correction
    event = withdrawn("c-1")

    with pytest.raises(TransientError):  # the book has not taken the correction yet
        await confirm_withdrawal(event, envelope(event, version=2), world.deps)

    assert world.book.redacted == []
    corrected = contact_changed(world, "c-1", "new@example.com", "req-fix-1")
    later = envelope(corrected, producer="orders").model_copy(
        update={"occurred_at": WHEN.replace(hour=10)}
    )
    await remember_contact_change(corrected, later, world.deps)
    await confirm_withdrawal(event, envelope(event, version=2), world.deps)  # retried
    (mail,) = world.sender.sent
    assert mail.to == "new@example.com"


async def test_pdpl_a_receipt_under_a_retired_generation_goes_to_the_corrected_address(
    world: World,
) -> None:
    placed = order_placed(world.secrets, "c-1", "old@example.com", "en")
    new_kid = await world.secrets.rotate("c-1")
    await world.secrets.retire("c-1", keep_kid=new_kid)
    corrected = contact_changed(world, "c-1", "new@example.com", "req-fix-1")
    later = envelope(corrected, producer="orders").model_copy(
        update={"occurred_at": WHEN.replace(hour=10)}
    )
    await remember_contact_change(corrected, later, world.deps)

    await send_receipt(placed, envelope(placed, producer="orders"), world.deps)

    (mail,) = world.sender.sent
    assert mail.to == "new@example.com"
    assert world.book.redacted == []


async def test_an_address_that_opens_as_erased_for_an_erased_customer_is_still_skipped(
    world: World,
) -> None:
    await world.customer("c-1", "en")
    await world.secrets.shred("c-1")
    event = withdrawn("c-1")

    await confirm_withdrawal(event, envelope(event, version=2), world.deps)

    (entry,) = world.ledger.of_kind(Kind.WITHDRAWAL)
    assert (entry.state, entry.reason) == (State.SKIPPED, SkipReason.ERASED)
    assert world.book.redacted == ["c-1"]
