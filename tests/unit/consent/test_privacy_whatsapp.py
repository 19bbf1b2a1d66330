"""Privacy requests sent on WhatsApp from a registered phone become intake for the privacy
service, in memory (PDPL, K3)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from allwan_consent.domain.privacy_commands import request_id
from allwan_contracts import Channel, IdentityCheck, PrivacyRequestKind
from allwan_contracts.privacy_intake import (
    PrivacyRequestConfirmed,
    PrivacyRequestSubmitted,
)
from structlog.testing import capture_logs

from tests.unit.consent.conftest import World
from tests.unit.consent.fakes import text_message, webhook, whatsapp_body
from tests.unit.consent.test_whatsapp_handler import PHONE, deliver, known_customer

INTAKE = "privacy_intake"
SENT_AT = datetime.fromtimestamp(1750857384, UTC)  # text_message's timestamp
ACCESS, ERASURE = PrivacyRequestKind.ACCESS, PrivacyRequestKind.ERASURE


def intake(world: World) -> list[Any]:
    return world.store.all_events(INTAKE)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("بياناتي", ACCESS),
        ("my data", ACCESS),
        ("احذف بياناتي", ERASURE),
        ("Delete my data", ERASURE),
    ],
)
async def test_a_request_from_a_registered_phone_is_submitted_for_the_privacy_service(
    world: World, text: str, kind: PrivacyRequestKind
) -> None:
    await known_customer(world)

    await deliver(world, webhook(world.secrets, whatsapp_body(text_message(PHONE, text, "w.1"))))

    (submitted,) = intake(world)
    assert submitted == PrivacyRequestSubmitted(
        request_id=request_id("w.1", "cust-1"),
        customer_id="cust-1",
        requested_by="customer",
        kind=kind,
        channel=Channel.WHATSAPP,
        identity_check=IdentityCheck.REGISTERED_PHONE,
        submitted_at=SENT_AT,
    )
    (recorded,) = world.store.envelopes(INTAKE)
    assert recorded.producer == "consent"


@pytest.mark.parametrize("text", ["تأكيد", "confirm", "نعم", "YES"])
async def test_a_confirmation_from_a_registered_phone_is_recorded(world: World, text: str) -> None:
    await known_customer(world)

    await deliver(world, webhook(world.secrets, whatsapp_body(text_message(PHONE, text, "w.2"))))

    assert intake(world) == [
        PrivacyRequestConfirmed(
            request_id=request_id("w.2", "cust-1"),
            customer_id="cust-1",
            requested_by="customer",
            confirmed_at=SENT_AT,
        )
    ]


async def test_a_message_delivered_again_in_another_webhook_is_recorded_once(
    world: World,
) -> None:
    await known_customer(world)
    message = text_message(PHONE, "delete my data", "w.3")
    first = webhook(world.secrets, whatsapp_body(message))
    again = webhook(world.secrets, whatsapp_body(message, statuses=1))  # another delivery id

    await deliver(world, first)
    with capture_logs() as logs:
        await deliver(world, again)

    assert len(intake(world)) == 1
    (summary,) = [log for log in logs if log["event"] == "whatsapp.delivery_handled"]
    assert summary["privacy_repeated"] == 1


async def test_a_phone_several_customers_gave_asks_for_each_of_them(world: World) -> None:
    await known_customer(world, "cust-1")
    await known_customer(world, "cust-2", phone="+966 56 312 0415")

    await deliver(world, webhook(world.secrets, whatsapp_body(text_message(PHONE, "my data"))))

    requests = intake(world)
    assert sorted(r.customer_id for r in requests) == ["cust-1", "cust-2"]
    assert len({r.request_id for r in requests}) == 2


async def test_an_unknown_phone_records_nothing_and_the_log_holds_no_number(
    world: World,
) -> None:
    await known_customer(world)
    unknown = "966500000000"
    received = webhook(world.secrets, whatsapp_body(text_message(unknown, "delete my data")))

    with capture_logs() as logs:
        await deliver(world, received)

    assert intake(world) == []
    (summary,) = [log for log in logs if log["event"] == "whatsapp.delivery_handled"]
    assert summary["unknown_sender"] == 1
    for secret in (unknown, "500000000", "delete my data"):
        assert secret not in repr(logs)
    assert f"webhook:{received.delivery_id}" in world.secrets.shredded


async def test_a_privacy_command_withdraws_nothing_and_an_opt_out_asks_nothing(
    world: World,
) -> None:
    await known_customer(world)
    ledger_before = world.ledger_events()
    body = whatsapp_body(text_message(PHONE, "بياناتي", "w.4"), text_message(PHONE, "إيقاف", "w.5"))

    with capture_logs() as logs:
        await deliver(world, webhook(world.secrets, body))

    (submitted,) = intake(world)
    assert submitted.request_id == request_id("w.4", "cust-1")
    assert len(world.ledger_events()) == len(ledger_before) + 1  # the opt-out's withdrawal
    (summary,) = [log for log in logs if log["event"] == "whatsapp.delivery_handled"]
    assert (summary["privacy_access"], summary["withdrawn"]) == (1, 1)
