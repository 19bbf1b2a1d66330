"""PDPL: the customer hears of each step of their privacy request once, in their language, with
the dates, the reasons and the contact details (CT1), opened for their own request only (C4)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from allwan_contracts import Channel, DenialReason, Event, PrivacyRequestKind
from allwan_notifier.domain.deliveries import Kind, SkipReason, State
from allwan_notifier.domain.privacy import DENIAL_REASONS
from allwan_notifier.domain.recipients import Locale
from allwan_notifier.handlers.ports import Deps
from allwan_notifier.handlers.privacy_mail import (
    acknowledge_request,
    announce_completion,
    announce_denial,
    announce_erasure,
    announce_extension,
)
from allwan_runtime.keystore import Purpose

from tests.unit.notifier.conftest import PRIVACY_URL, World
from tests.unit.notifier.fakes import CONTACT, envelope
from tests.unit.notifier.privacy_events import (
    DUE_AT,
    EXPIRES_AT,
    EXTENDED_UNTIL,
    RECEIVED_AT,
    completed,
    denied,
    extended,
    received,
    request_id,
    started,
)

Handler = Callable[[Any, Any, Deps], Awaitable[None]]
LOCALES: tuple[Locale, ...] = ("ar", "en")
ACCESS, CORRECTION, ERASURE = (
    PrivacyRequestKind.ACCESS,
    PrivacyRequestKind.CORRECTION,
    PrivacyRequestKind.ERASURE,
)
EMAILS: dict[str, tuple[Callable[[str], Event], Handler, Kind, PrivacyRequestKind]] = {
    "received": (received, acknowledge_request, Kind.PRIVACY_RECEIVED, ACCESS),
    "extended": (extended, announce_extension, Kind.PRIVACY_EXTENDED, ACCESS),
    "erasing": (lambda c: started(c, ERASURE), announce_erasure, Kind.PRIVACY_ERASING, ERASURE),
    "completed": (completed, announce_completion, Kind.PRIVACY_COMPLETED, ACCESS),
    "denied": (denied, announce_denial, Kind.PRIVACY_DENIED, ACCESS),
}
SUBJECTS: dict[tuple[str, Locale], str] = {
    ("received", "ar"): "استلمنا طلبك المتعلق ببياناتك الشخصية",
    ("received", "en"): "We received your privacy request",
    ("extended", "ar"): "نحتاج إلى وقت إضافي للرد على طلبك المتعلق ببياناتك",
    ("extended", "en"): "We need more time to answer your privacy request",
    ("erasing", "ar"): "نعمل الآن على إتلاف بياناتك الشخصية",
    ("erasing", "en"): "We are erasing your personal data",
    ("completed", "ar"): "نسخة بياناتك جاهزة",
    ("completed", "en"): "Your copy of your data is ready",
    ("denied", "ar"): "تعذّر علينا تلبية طلبك المتعلق ببياناتك",
    ("denied", "en"): "We cannot fulfil your privacy request",
}


async def told(world: World, event: Event, handler: Handler, times: int = 1) -> None:
    for _ in range(times):
        await handler(event, envelope(event, producer="privacy"), world.deps)


def both(world: World) -> str:
    (mail,) = world.sender.sent
    return mail.text + mail.html


@pytest.mark.parametrize("name", EMAILS)
@pytest.mark.parametrize("locale", LOCALES)
async def test_pdpl_each_privacy_email_goes_once_in_the_customers_language(
    world: World, name: str, locale: Locale
) -> None:
    build, handler, kind, request_kind = EMAILS[name]
    address = await world.customer("c-1", locale)

    await told(world, build("c-1"), handler, times=2)  # redelivered

    (mail,) = world.sender.sent
    assert (mail.to, mail.locale, mail.subject) == (address, locale, SUBJECTS[name, locale])
    assert f'lang="{locale}"' in mail.html
    assert request_id("c-1", request_kind) in mail.text
    assert CONTACT.phone in mail.text
    assert CONTACT.email in mail.html
    assert mail.reply_to == CONTACT.email
    assert mail.message_id == f"<{kind.value}.{request_id('c-1', request_kind)}@allwanstores.com>"
    assert world.secrets.opened == [Purpose.DATA_ACCESS]  # C4: their own request
    (entry,) = world.ledger.of_kind(kind)
    assert entry.state is State.SENT


@pytest.mark.parametrize("locale", LOCALES)
async def test_pdpl_the_receipt_gives_the_day_received_and_the_day_it_is_answered_by(
    world: World, locale: Locale
) -> None:
    await world.customer("c-1", locale)

    await told(world, received("c-1"), acknowledge_request)

    (mail,) = world.sender.sent
    for part in (mail.text, mail.html):
        assert RECEIVED_AT.date().isoformat() in part
        assert DUE_AT.date().isoformat() in part
        assert PRIVACY_URL in part
        assert "تأكيد" not in part
        assert '"confirm"' not in part


@pytest.mark.parametrize("locale", LOCALES)
async def test_k3_a_whatsapp_erasure_tells_how_to_confirm_it_within_24_hours(
    world: World, locale: Locale
) -> None:
    await world.customer("c-1", locale)
    event = received("c-1", ERASURE, channel=Channel.WHATSAPP, awaiting_confirmation=True)

    await told(world, event, acknowledge_request)

    (mail,) = world.sender.sent
    for part in (mail.text, mail.html):
        assert "تأكيد" in part
        assert "confirm" in part
        assert CONTACT.whatsapp in part
        assert "24" in part


@pytest.mark.parametrize("locale", LOCALES)
async def test_pdpl_the_extension_gives_the_new_date_and_the_reason(
    world: World, locale: Locale
) -> None:
    await world.customer("c-1", locale)

    await told(
        world, extended("c-1", reason="Records held by our payment provider"), announce_extension
    )

    for part in (world.sender.sent[0].text, world.sender.sent[0].html):
        assert EXTENDED_UNTIL.date().isoformat() in part
        assert "Records held by our payment provider" in part


@pytest.mark.parametrize("locale", LOCALES)
async def test_pdpl_a_completed_access_says_where_the_copy_is_and_until_when(
    world: World, locale: Locale
) -> None:
    await world.customer("c-1", locale)

    await told(world, completed("c-1"), announce_completion)

    text = both(world)
    assert EXPIRES_AT.date().isoformat() in text
    assert PRIVACY_URL in text


async def test_pdpl_a_completed_correction_says_it_is_done_without_a_copy(world: World) -> None:
    await world.customer("c-1", "en")

    await told(world, completed("c-1", CORRECTION), announce_completion)

    (mail,) = world.sender.sent
    assert mail.subject == "Your data is corrected"
    assert "correction of your data" in mail.text
    assert PRIVACY_URL not in mail.text


@pytest.mark.parametrize("locale", LOCALES)
async def test_pdpl_the_erasure_email_says_it_is_irreversible_and_what_is_kept(
    world: World, locale: Locale
) -> None:
    await world.customer("c-1", locale)

    await told(world, started("c-1", ERASURE), announce_erasure)

    text = both(world)
    irreversible, kept = {
        "ar": ("لا يمكن التراجع", "السجلات المالية"),
        "en": ("cannot be undone", "financial records"),
    }[locale]
    assert irreversible in text
    assert kept in text


async def test_pdpl_no_email_completes_an_erasure_and_no_other_start_is_announced(
    world: World,
) -> None:
    await world.customer("c-1", "en")

    await told(world, completed("c-1", ERASURE), announce_completion)
    for kind in (ACCESS, CORRECTION):
        await told(world, started("c-1", kind), announce_erasure)

    assert world.sender.sent == []
    assert world.ledger.entries == {}


@pytest.mark.parametrize("reason", list(DenialReason))
@pytest.mark.parametrize("locale", LOCALES)
async def test_pdpl_a_denial_gives_its_legal_reason_in_the_customers_language(
    world: World, reason: DenialReason, locale: Locale
) -> None:
    await world.customer("c-1", locale)

    await told(world, denied("c-1", reason), announce_denial)

    text = both(world)
    assert DENIAL_REASONS[locale][reason] in text
    other: Locale = "ar" if locale == "en" else "en"
    assert DENIAL_REASONS[other][reason] not in text


async def test_pdpl_a_denial_carries_staffs_explanation_when_there_is_one(world: World) -> None:
    await world.customer("c-1", "en")
    event = denied("c-1", DenialReason.LEGAL_OBLIGATION_TO_RETAIN, "Invoices are kept 6 years.")

    await told(world, event, announce_denial)

    text = both(world)
    assert "The law requires us to keep this data." in text
    assert "Invoices are kept 6 years." in text


async def test_a_privacy_email_holds_nothing_of_another_customer(world: World) -> None:
    first = await world.customer("c-1", "en")
    second = await world.customer("c-2", "en")

    await told(world, extended("c-1", reason="First reason"), announce_extension)
    await told(world, extended("c-2", reason="Second reason"), announce_extension)

    to_first, to_second = world.sender.to(first), world.sender.to(second)
    assert len(to_first) == len(to_second) == 1
    seen = to_first[0].text + to_first[0].html
    assert "First reason" in seen
    assert "Second reason" not in seen
    assert second not in seen
    assert request_id("c-2", ACCESS) not in seen


async def test_pdpl_the_erasure_email_is_skipped_once_the_key_is_already_shredded(
    world: World,
) -> None:
    await world.customer("c-1", "en")
    await world.secrets.shred("c-1")  # the consent service erased first

    await told(world, started("c-1", ERASURE), announce_erasure)

    assert world.sender.sent == []
    (entry,) = world.ledger.of_kind(Kind.PRIVACY_ERASING)
    assert (entry.state, entry.reason) == (State.SKIPPED, SkipReason.ERASED)
