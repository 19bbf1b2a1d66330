"""S2, PDPL: a breach notice and a retention notice reach the customer once, in their language,
opened for the legal obligation only (C4), with what the law asks them to be told; each is a
disclosure to the SMTP provider and a line of the customer's emails export."""

from __future__ import annotations

import pytest
from allwan_contracts.base import Event
from allwan_contracts.breaches import BreachNoticeRequested
from allwan_contracts.disclosures import DataCategory, LegalBasis
from allwan_contracts.retention import RetentionNoticeRequested
from allwan_notifier.bootstrap import mail
from allwan_notifier.domain.deliveries import Kind, SkipReason, State, delivery_id
from allwan_notifier.domain.notices import CATEGORY_LABELS
from allwan_notifier.domain.privacy import emails_part
from allwan_notifier.domain.recipients import Locale
from allwan_notifier.handlers.notices import notify_breach, warn_of_retention
from allwan_runtime.keystore import Purpose

from tests.unit.notifier.conftest import PRIVACY_URL, World
from tests.unit.notifier.fakes import CONTACT, envelope
from tests.unit.notifier.notice_events import (
    BREACH_CATEGORIES,
    DETECTED_AT,
    ERASE_AFTER,
    LAST_ACTIVITY,
    MESSAGES,
    breach_notice,
    retention_notice,
)

LOCALES: tuple[Locale, ...] = ("ar", "en")
BREACH_SUBJECTS: dict[Locale, str] = {
    "ar": "تنبيه مهم: حادثة أمنية مسّت بياناتك الشخصية",
    "en": "Important: a security incident affected your personal data",
}


async def breach(world: World, event: BreachNoticeRequested, times: int = 1) -> None:
    for _ in range(times):
        await notify_breach(event, envelope(event, producer="privacy"), world.deps)


async def retention(world: World, event: RetentionNoticeRequested, times: int = 1) -> None:
    for _ in range(times):
        await warn_of_retention(event, envelope(event, producer="privacy"), world.deps)


@pytest.mark.parametrize("locale", LOCALES)
async def test_s2_a_breach_notice_goes_once_in_the_customers_language_with_what_happened(
    world: World, locale: Locale
) -> None:
    address = await world.customer("c-1", locale)
    event = breach_notice("c-1")

    await breach(world, event, times=2)  # redelivered

    (mail,) = world.sender.sent
    assert (mail.to, mail.locale) == (address, locale)
    assert mail.subject == BREACH_SUBJECTS[locale]
    other: Locale = "en" if locale == "ar" else "ar"
    for part in (mail.text, mail.html):
        assert MESSAGES[locale] in part
        assert MESSAGES[other] not in part
        assert DETECTED_AT.date().isoformat() in part
        for category in BREACH_CATEGORIES:
            assert CATEGORY_LABELS[locale][category] in part
        assert CATEGORY_LABELS[locale][DataCategory.PAYMENT] not in part
        assert CONTACT.phone in part
        assert CONTACT.email in part
    assert f'<html dir="{"rtl" if locale == "ar" else "ltr"}" lang="{locale}">' in mail.html
    assert mail.reply_to == CONTACT.email
    assert mail.message_id == f"<breach.{event.notice_id}@allwanstores.com>"
    assert world.secrets.opened == [Purpose.LEGAL_OBLIGATION]  # C4
    (entry,) = world.ledger.of_kind(Kind.BREACH)
    assert (entry.id, entry.state) == (delivery_id(Kind.BREACH, event.notice_id), State.SENT)


async def test_s2_each_affected_customer_gets_their_own_notice(world: World) -> None:
    first, second = await world.customer("c-1", "en"), await world.customer("c-2", "ar")

    await breach(world, breach_notice("c-1"))
    await breach(world, breach_notice("c-2"))

    assert len(world.sender.to(first)) == len(world.sender.to(second)) == 1
    assert second not in world.sender.to(first)[0].text


async def test_s2_an_erased_customer_gets_no_breach_notice(world: World) -> None:
    await world.customer("c-1", "en")
    await world.secrets.shred("c-1")

    await breach(world, breach_notice("c-1"))

    assert world.sender.sent == []
    (entry,) = world.ledger.of_kind(Kind.BREACH)
    assert (entry.state, entry.reason) == (State.SKIPPED, SkipReason.ERASED)
    assert world.disclosures == []


async def test_s2_p2_a_breach_notice_sent_is_disclosed_to_the_smtp_provider_for_the_law(
    world: World,
) -> None:
    await world.customer("c-1", "en")
    event = breach_notice("c-1")

    await breach(world, event, times=2)

    (disclosed,) = world.disclosures
    assert (disclosed.purpose, disclosed.legal_basis) == ("legal_obligation", LegalBasis.PROCESSOR)
    assert disclosed.source == f"email:breach:{event.notice_id}"


@pytest.mark.parametrize("locale", LOCALES)
async def test_pdpl_a_retention_notice_says_when_why_how_to_keep_and_how_to_get_a_copy(
    world: World, locale: Locale
) -> None:
    address = await world.customer("c-1", locale)
    event = retention_notice("c-1")

    await retention(world, event, times=2)  # redelivered

    (mail,) = world.sender.sent
    assert (mail.to, mail.locale) == (address, locale)
    erase_on = ERASE_AFTER.date().isoformat()
    assert erase_on in mail.subject
    keep, irreversible = {
        "ar": ("فاطلب طلبًا جديدًا", "لا يمكن التراجع"),
        "en": ("place an order", "cannot be undone"),
    }[locale]
    for part in (mail.text, mail.html):
        assert erase_on in part
        assert LAST_ACTIVITY.date().isoformat() in part
        assert PRIVACY_URL in part
        assert keep in part
        assert irreversible in part
        assert CONTACT.whatsapp in part
    assert f'lang="{locale}"' in mail.html
    assert mail.reply_to == CONTACT.email
    assert mail.message_id == f"<retention.{event.case_id}@allwanstores.com>"
    assert world.secrets.opened == [Purpose.LEGAL_OBLIGATION]  # C4
    (entry,) = world.ledger.of_kind(Kind.RETENTION)
    assert (entry.id, entry.state) == (delivery_id(Kind.RETENTION, event.case_id), State.SENT)


async def test_pdpl_a_customer_the_book_does_not_know_gets_no_retention_notice(
    world: World,
) -> None:
    await retention(world, retention_notice("c-9"))

    assert world.sender.sent == []
    (entry,) = world.ledger.of_kind(Kind.RETENTION)
    assert (entry.state, entry.reason) == (State.SKIPPED, SkipReason.NO_ADDRESS)


async def test_pdpl_the_emails_export_lists_breach_and_retention_notices(world: World) -> None:
    await world.customer("c-1", "en")
    await breach(world, breach_notice("c-1"))
    await retention(world, retention_notice("c-1"))

    part = emails_part(await world.ledger.of_customer("c-1"))

    assert {(email.kind, email.outcome) for email in part.emails} == {
        ("breach", "sent"),
        ("retention", "sent"),
    }


@pytest.mark.parametrize("notice", [breach_notice("c-1"), retention_notice("c-1")])
async def test_a_notice_from_anyone_but_the_privacy_service_sends_nothing(
    world: World, notice: Event
) -> None:
    await world.customer("c-1", "en")
    handlers = mail(world.deps, orders={"orders"}, consent={"consent"}, privacy={"privacy"})
    handle = handlers.bound()[type(notice)]

    await handle(envelope(notice, producer="intruder"), notice)
    assert world.sender.sent == []
    assert world.ledger.entries == {}

    await handle(envelope(notice, producer="privacy"), notice)
    assert len(world.sender.sent) == 1


@pytest.mark.parametrize("locale", LOCALES)
def test_every_category_of_data_is_named_in_each_language(locale: Locale) -> None:
    labels = CATEGORY_LABELS[locale]

    assert set(labels) == set(DataCategory)
    assert len(set(labels.values())) == len(DataCategory)
