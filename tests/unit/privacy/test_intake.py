"""Requests through the intake handlers: one open request per kind, cancellation, extension,
denial, WhatsApp confirmation, and what a redelivered or foreign record changes (nothing)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allwan_contracts import Channel
from allwan_contracts.privacy import (
    DenialReason,
    IdentityCheck,
    PrivacyRequestKind,
)
from allwan_contracts.privacy import (
    PrivacyRequestState as State,
)
from allwan_contracts.privacy_intake import (
    PrivacyRequestCancellationRequested,
    PrivacyRequestDenialRequested,
    PrivacyRequestExtensionRequested,
)
from allwan_privacy.handlers.ports import Slot

from tests.unit.privacy.conftest import World
from tests.unit.privacy.fakes import (
    CUSTOMER,
    WHEN,
    confirmation,
    envelope,
    submitted,
    whatsapp_erasure,
)

ERASURE = PrivacyRequestKind.ERASURE


def cancellation(
    request_id: str, customer_id: str = CUSTOMER
) -> PrivacyRequestCancellationRequested:
    return PrivacyRequestCancellationRequested(
        request_id=request_id, customer_id=customer_id, requested_by="customer", requested_at=WHEN
    )


def extension(request_id: str, days: int = 20) -> PrivacyRequestExtensionRequested:
    return PrivacyRequestExtensionRequested(
        request_id=request_id,
        customer_id=CUSTOMER,
        requested_by="staff:7",
        days=days,
        reason="Records in several systems",
        requested_at=WHEN + timedelta(days=3),
    )


def denial(request_id: str) -> PrivacyRequestDenialRequested:
    return PrivacyRequestDenialRequested(
        request_id=request_id,
        customer_id=CUSTOMER,
        requested_by="staff:7",
        reason=DenialReason.IDENTITY_NOT_VERIFIED,
        requested_at=WHEN,
    )


async def test_a_second_open_request_of_the_same_kind_is_not_created(world: World) -> None:
    first, second = submitted(), submitted()
    await world.send(first)

    await world.send(second)

    assert world.types(second.request_id) == []
    assert (await world.request(first.request_id)).state is State.IN_PROGRESS


async def test_a_request_of_another_kind_or_customer_is_created_meanwhile(world: World) -> None:
    await world.send(submitted())
    erasure = submitted(ERASURE)
    other = submitted(customer_id="cust-2")

    await world.send(erasure)
    await world.send(other)

    assert world.types(erasure.request_id)[0] == "PrivacyRequestReceived"
    assert world.types(other.request_id)[0] == "PrivacyRequestReceived"


async def test_once_a_request_is_closed_another_of_its_kind_is_received(world: World) -> None:
    first = submitted(identity_check=None)
    await world.send(first)
    await world.send(cancellation(first.request_id))

    again = submitted()
    await world.send(again)

    assert world.types(again.request_id)[0] == "PrivacyRequestReceived"


async def test_a_slot_left_by_a_crash_before_the_receipt_is_taken_over_later(
    world: World,
) -> None:
    lost = Slot("never-recorded", WHEN)
    world.slots.slots[(CUSTOMER, PrivacyRequestKind.ACCESS)] = lost
    too_soon = submitted()
    await world.send(too_soon)
    assert world.types(too_soon.request_id) == []

    world.clock.advance(minutes=11)
    later = submitted()
    await world.send(later)

    assert world.types(later.request_id)[0] == "PrivacyRequestReceived"


async def test_a_redelivered_submission_records_nothing(world: World) -> None:
    asked = submitted()
    await world.send(asked)

    await world.send(asked)

    assert world.types(asked.request_id).count("PrivacyRequestReceived") == 1
    assert world.store.appends == 1


async def test_submissions_are_obeyed_from_the_gateway_and_consent_only(world: World) -> None:
    foreign = submitted()
    from_consent = submitted(ERASURE, channel=Channel.WHATSAPP)

    await world.send(foreign, producer="orders")
    await world.send(from_consent, producer="consent")

    assert world.types(foreign.request_id) == []
    assert world.types(from_consent.request_id) == ["PrivacyRequestReceived"]


async def test_the_customer_cancels_before_work_starts_and_frees_the_kind(world: World) -> None:
    staff = submitted(channel=Channel.EMAIL, identity_check=None, by="staff:7")
    await world.send(staff)

    await world.send(cancellation(staff.request_id))

    assert world.types(staff.request_id)[-1] == "PrivacyRequestCancelled"
    assert world.slots.slots == {}


async def test_a_cancellation_after_work_started_or_of_anothers_request_changes_nothing(
    world: World,
) -> None:
    asked = submitted()
    await world.send(asked)

    await world.send(cancellation(asked.request_id))
    await world.send(cancellation(asked.request_id, customer_id="cust-2"))

    assert world.types(asked.request_id)[-1] == "PrivacyRequestStarted"


async def test_staff_extend_once_and_a_redelivery_changes_nothing(world: World) -> None:
    asked = submitted()
    await world.send(asked)
    extended = extension(asked.request_id)

    await world.send(extended)
    await world.send(extended)
    await world.send(extension(asked.request_id, days=5))

    assert world.types(asked.request_id).count("PrivacyRequestExtended") == 1
    request = await world.request(asked.request_id)
    assert request.deadline == WHEN + timedelta(days=50)


async def test_staff_extensions_and_denials_come_from_the_gateway_only(world: World) -> None:
    asked = submitted()
    await world.send(asked)

    await world.send(extension(asked.request_id), producer="consent")
    await world.send(denial(asked.request_id), producer="consent")

    assert world.types(asked.request_id)[-1] == "PrivacyRequestStarted"


async def test_a_denied_request_frees_its_kind(world: World) -> None:
    asked = submitted()
    await world.send(asked)

    await world.send(denial(asked.request_id))

    assert world.types(asked.request_id)[-1] == "PrivacyRequestDenied"
    assert world.slots.slots == {}


async def test_a_whatsapp_erasure_starts_when_confirmed_within_24_hours(world: World) -> None:
    asked = whatsapp_erasure()
    await world.send(asked, producer="consent")
    assert world.types(asked.request_id) == ["PrivacyRequestReceived"]

    await world.send(confirmation(at=WHEN + timedelta(hours=23)), producer="consent")

    assert world.types(asked.request_id)[1:] == [
        "PrivacyRequestIdentityVerified",
        "PrivacyRequestStarted",
    ]


async def test_a_late_confirmation_or_a_stray_yes_changes_nothing(world: World) -> None:
    await world.send(confirmation(), producer="consent")  # nothing awaits: just a "yes"
    asked = whatsapp_erasure()
    await world.send(asked, producer="consent")

    await world.send(confirmation(at=WHEN + timedelta(hours=25)), producer="consent")
    await world.send(confirmation(customer_id="cust-2"), producer="consent")

    assert world.types(asked.request_id) == ["PrivacyRequestReceived"]


async def test_a_redelivered_confirmation_starts_the_erasure_once(world: World) -> None:
    asked = whatsapp_erasure()
    await world.send(asked, producer="consent")
    confirmed = confirmation(at=WHEN + timedelta(hours=1))
    record = envelope(confirmed, producer="consent")

    await world.intake.bound()[type(confirmed)](record, confirmed)
    await world.intake.bound()[type(confirmed)](record, confirmed)

    assert world.types(asked.request_id).count("PrivacyRequestStarted") == 1


async def test_a_request_that_lost_a_race_for_its_stream_is_decided_again(world: World) -> None:
    asked = submitted()
    await world.send(asked)
    world.store.conflicts_to_raise = 1

    await world.send(extension(asked.request_id))

    assert world.types(asked.request_id)[-1] == "PrivacyRequestExtended"


@pytest.mark.parametrize(
    "check", [IdentityCheck.REGISTERED_EMAIL, IdentityCheck.ORDER_DETAILS, IdentityCheck.CALLBACK]
)
async def test_a_staff_request_with_its_identity_check_starts_at_once(
    world: World, check: IdentityCheck
) -> None:
    asked = submitted(channel=Channel.PHONE, identity_check=check, by="staff:7")

    await world.send(asked)

    verified = world.events(asked.request_id)[1]
    assert (verified.check, verified.by) == (check, "staff:7")
    assert world.types(asked.request_id)[-1] == "PrivacyRequestStarted"
