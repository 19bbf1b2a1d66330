"""Privacy requests typed on WhatsApp, in Arabic and English (PDPL, K3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from allwan_consent.domain.privacy_commands import (
    PrivacyCommand,
    message_time,
    privacy_command,
    privacy_intake,
    request_id,
)
from allwan_contracts import Channel, IdentityCheck, PrivacyRequestKind
from allwan_contracts.privacy_intake import (
    PrivacyRequestConfirmed,
    PrivacyRequestSubmitted,
)

ACCESS, ERASURE = PrivacyCommand.ACCESS, PrivacyCommand.ERASURE
CONFIRMATION = PrivacyCommand.CONFIRMATION
SENT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("بياناتي", ACCESS),
        ("بياناتى", ACCESS),  # final yeh written as alef maqsura
        ("بيانـــاتي", ACCESS),  # tatweel
        ("My Data", ACCESS),
        ("  my   data! ", ACCESS),
        ("\uff2d\uff39 \uff24\uff21\uff34\uff21", ACCESS),  # full-width letters
        ("احذف بياناتي", ERASURE),
        ("إحذف بياناتي", ERASURE),  # alef with hamza below
        ("اِحْذِفْ بَيَانَاتِي", ERASURE),  # with diacritics
        ("DELETE my data", ERASURE),
        ("delete my data 🙏", ERASURE),
        ("تأكيد", CONFIRMATION),
        ("تاكيد", CONFIRMATION),
        ("confirm", CONFIRMATION),
        ("CONFIRM.", CONFIRMATION),
        ("نعم", CONFIRMATION),
        ("Yes", CONFIRMATION),
        ("yes!", CONFIRMATION),
    ],
)
def test_each_command_is_read_in_arabic_and_english_however_it_is_typed(
    text: str, command: PrivacyCommand
) -> None:
    assert privacy_command(text) is command


@pytest.mark.parametrize(
    "text",
    [
        "",
        "stop",
        "data",
        "my data is wrong, please fix my email",
        "can you delete my data?",
        "yes please send me the offer",
        "لا",
        "احذف",
        "delete",
    ],
)
def test_a_command_is_the_whole_message_never_read_into_a_sentence(text: str) -> None:
    assert privacy_command(text) is None


def test_the_same_message_always_names_the_same_request_one_per_customer() -> None:
    assert request_id("wamid.1", "cust-1") == request_id("wamid.1", "cust-1")
    assert request_id("wamid.1", "cust-1") != request_id("wamid.1", "cust-2")
    assert request_id("wamid.1", "cust-1") != request_id("wamid.2", "cust-1")


def test_a_request_counts_from_when_the_message_was_sent() -> None:
    received = SENT + timedelta(hours=3)  # WhatsApp retried the delivery

    assert message_time(SENT, received) == SENT


@pytest.mark.parametrize("sent_at", [None, SENT + timedelta(days=2)])
def test_without_a_believable_message_time_the_delivery_time_counts(
    sent_at: datetime | None,
) -> None:
    assert message_time(sent_at, SENT) == SENT


@pytest.mark.parametrize(
    ("command", "kind"),
    [(ACCESS, PrivacyRequestKind.ACCESS), (ERASURE, PrivacyRequestKind.ERASURE)],
)
def test_access_and_erasure_are_submitted_by_the_customer_from_the_registered_phone(
    command: PrivacyCommand, kind: PrivacyRequestKind
) -> None:
    submitted = privacy_intake(command, "wamid.1", "cust-1", SENT)

    assert submitted == PrivacyRequestSubmitted(
        request_id=request_id("wamid.1", "cust-1"),
        customer_id="cust-1",
        requested_by="customer",
        kind=kind,
        channel=Channel.WHATSAPP,
        identity_check=IdentityCheck.REGISTERED_PHONE,
        submitted_at=SENT,
    )


def test_a_confirmation_names_itself_by_its_message() -> None:
    confirmed = privacy_intake(CONFIRMATION, "wamid.2", "cust-1", SENT)

    assert confirmed == PrivacyRequestConfirmed(
        request_id=request_id("wamid.2", "cust-1"),
        customer_id="cust-1",
        requested_by="customer",
        confirmed_at=SENT,
    )
