"""Erasure and correction requests through the handlers: each holding service's answer, the
confirmations that arrive before their request, an already-erased customer."""

from __future__ import annotations

from datetime import timedelta

from allwan_contracts.privacy import (
    ContactChanges,
    PrivacyRequestKind,
)
from allwan_contracts.privacy_replies import (
    CorrectionApplied,
    reply_id,
)

from tests.unit.privacy.conftest import SERVICES, World
from tests.unit.privacy.fakes import (
    CUSTOMER,
    WHEN,
    confirmation,
    erasure_confirmed,
    submitted,
    whatsapp_erasure,
)

ERASURE, CORRECTION = PrivacyRequestKind.ERASURE, PrivacyRequestKind.CORRECTION


def applied(request_id: str, service: str, *, nothing_held: bool = False) -> CorrectionApplied:
    return CorrectionApplied(
        reply_id=reply_id(request_id, service),
        request_id=request_id,
        customer_id=CUSTOMER,
        service=service,
        applied_at=WHEN,
        nothing_held=nothing_held,
    )


async def test_an_erasure_completes_when_every_service_confirmed_its_read_models(
    world: World,
) -> None:
    asked = submitted(ERASURE)
    await world.send(asked)
    await world.secrets.shred(CUSTOMER)  # consent ran the erasure

    for service in SERVICES[:2]:
        await world.answer(erasure_confirmed(service))
    assert world.types(asked.request_id)[-1] == "PrivacyRequestServiceAnswered"
    await world.answer(erasure_confirmed(SERVICES[2]))

    answered = [e.service for e in world.events(asked.request_id)[3:6]]
    assert answered == list(SERVICES)
    completed = world.events(asked.request_id)[-1]
    assert type(completed).__name__ == "PrivacyRequestCompleted"
    assert completed.export_expires_at is None


async def test_confirmations_that_arrive_before_the_erasure_started_still_complete_it(
    world: World,
) -> None:
    asked = whatsapp_erasure()
    await world.send(asked, producer="consent")
    for service in SERVICES:
        await world.answer(erasure_confirmed(service))
    assert world.types(asked.request_id) == ["PrivacyRequestReceived"]

    await world.send(confirmation(at=WHEN + timedelta(hours=2)), producer="consent")

    assert world.types(asked.request_id)[-1] == "PrivacyRequestCompleted"
    answered = {e.service for e in world.events(asked.request_id) if hasattr(e, "service")}
    assert answered == set(SERVICES)


async def test_a_redelivered_erasure_confirmation_changes_nothing(world: World) -> None:
    asked = submitted(ERASURE)
    await world.send(asked)
    await world.answer(erasure_confirmed("orders"))
    events = world.types(asked.request_id)

    await world.answer(erasure_confirmed("orders", at=WHEN + timedelta(minutes=5)))

    assert world.types(asked.request_id) == events
    assert world.confirmations.confirmed[(CUSTOMER, "orders")] == WHEN


async def test_an_erasure_for_a_customer_already_erased_completes_at_once(world: World) -> None:
    world.secrets.seal_now(CUSTOMER, "email", "sara@example.com")
    await world.secrets.shred(CUSTOMER)
    asked = submitted(ERASURE)

    await world.send(asked)

    assert world.types(asked.request_id)[-1] == "PrivacyRequestCompleted"


async def test_a_correction_completes_when_every_read_model_shows_the_new_values(
    world: World,
) -> None:
    changes = ContactChanges(email=world.secrets.seal_now(CUSTOMER, "email", "new@example.com"))
    asked = submitted(CORRECTION, changes=changes)
    await world.send(asked)
    started = world.events(asked.request_id)[2]
    assert started.changes == changes

    for service in SERVICES:
        await world.answer(applied(asked.request_id, service))

    assert world.types(asked.request_id)[-1] == "PrivacyRequestCompleted"


async def test_a_correction_the_contact_owner_holds_nothing_for_completes_on_its_answer(
    world: World,
) -> None:
    changes = ContactChanges(email=world.secrets.seal_now(CUSTOMER, "email", "new@example.com"))
    asked = submitted(CORRECTION, changes=changes)
    await world.send(asked)

    await world.answer(applied(asked.request_id, "orders", nothing_held=True))

    assert world.types(asked.request_id)[-2:] == [
        "PrivacyRequestServiceAnswered",
        "PrivacyRequestCompleted",
    ]
    assert world.slots.slots == {}, "another correction can be asked for"


async def test_nothing_held_from_a_service_that_does_not_own_the_contact_completes_nothing(
    world: World,
) -> None:
    changes = ContactChanges(email=world.secrets.seal_now(CUSTOMER, "email", "new@example.com"))
    asked = submitted(CORRECTION, changes=changes)
    await world.send(asked)

    await world.answer(applied(asked.request_id, "notifier", nothing_held=True))

    assert world.types(asked.request_id)[-1] == "PrivacyRequestServiceAnswered"


async def test_a_correction_answer_to_an_access_request_is_refused(world: World) -> None:
    asked = submitted()
    await world.send(asked)

    await world.answer(applied(asked.request_id, "orders"))

    assert world.types(asked.request_id)[-1] == "PrivacyRequestStarted"
