"""S2, PDPL, P2 on real Kafka, FerretDB/MongoDB and SMTP (Mailpit): a breach notice put on its
topic twice reaches the customer once, a retention notice arrives over its own topic, and each
email sent is published as a disclosure to the SMTP provider on ``allwan.disclosures``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from allwan_contracts import Envelope, read_event
from allwan_contracts.breaches import BreachNotice, BreachNoticeRequested, notice_id
from allwan_contracts.disclosures import (
    DataCategory,
    DataDisclosed,
    LegalBasis,
    disclosure_id,
)
from allwan_contracts.fields import utc_now
from allwan_contracts.retention import RetentionNoticeRequested, case_id
from allwan_contracts.topics import DISCLOSURES
from allwan_runtime.eventstore import stream_id

from tests.integration.harness import published_by
from tests.integration.notifier.conftest import Mailpit, Notifier
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


async def test_s2_p2_a_breach_notice_on_its_topic_twice_is_one_email_and_one_disclosure(
    notifier: Notifier, mailpit: Mailpit
) -> None:
    run, events = notifier.run, notifier.events
    address = run.address("c-1")
    await events.contact_changed("c-1")  # a Salla customer: the store's language, Arabic
    await eventually(lambda: notifier.knows("c-1"), what="the address in the book")
    now = utc_now()
    breach = f"br-{run.id}"
    notice = BreachNoticeRequested(
        notice_id=notice_id(breach, "c-1"),
        breach_id=breach,
        customer_id="c-1",
        detected_at=now - timedelta(hours=5),
        categories=[DataCategory.EMAIL],
        notice=BreachNotice(message_ar="وصل طرف غير مخوَّل إلى نسخة احتياطية.", message_en="x"),
        at=now,
    )

    first = await events.send(notice, as_="privacy")
    again = await events.resend(first)  # at-least-once: the same record again
    await notifier.mail_read_past(again)

    mails = await eventually(lambda: _to(mailpit, address, "breach."), what="the breach notice")
    assert len(mails) == 1
    (mail,) = mails
    assert mail["Subject"] == "تنبيه مهم: حادثة أمنية مسّت بياناتك الشخصية"
    detail = await mailpit.message(mail["ID"])
    assert "وصل طرف غير مخوَّل إلى نسخة احتياطية." in detail["Text"]
    assert '<html dir="rtl" lang="ar">' in detail["HTML"]

    source = f"email:breach:{notice.notice_id}"
    wanted = disclosure_id("smtp", source)
    published = await published_by(
        notifier.runtime,
        DISCLOSURES.name,
        run.name,
        lambda found: _disclosures(found, wanted) != [],
        timeout=60,
    )
    (disclosed,) = _disclosures(published, wanted)
    assert (disclosed.customer_id, disclosed.recipient, disclosed.source) == ("c-1", "smtp", source)
    assert (disclosed.legal_basis, disclosed.purpose) == (LegalBasis.PROCESSOR, "legal_obligation")
    assert disclosed.categories == [DataCategory.EMAIL, DataCategory.MESSAGE_CONTENT]
    assert len(await notifier.runtime.store.load(stream_id("disclosure", wanted))) == 1


async def test_pdpl_a_retention_notice_reaches_the_customer_over_its_topic(
    notifier: Notifier, mailpit: Mailpit
) -> None:
    run, events = notifier.run, notifier.events
    await events.order("c-2", "en")
    await eventually(lambda: notifier.knows("c-2"), what="the address in the book")
    now = utc_now()
    last_activity = now - timedelta(days=700)
    notice = RetentionNoticeRequested(
        case_id=case_id("c-2", "customer_contact", last_activity),
        customer_id="c-2",
        rule="customer_contact",
        last_activity=last_activity,
        erase_after=now + timedelta(days=30),
        at=now,
    )

    await events.send(notice, as_="privacy")

    (mail,) = await eventually(
        lambda: _to(mailpit, run.address("c-2"), "retention."), timeout=60, what="the notice"
    )
    erase_on = notice.erase_after.date().isoformat()
    assert mail["Subject"] == f"We will erase your personal data on {erase_on}"


async def _to(mailpit: Mailpit, address: str, kind: str) -> list[dict[str, Any]]:
    return [m for m in await mailpit.messages(f"to:{address}") if m["MessageID"].startswith(kind)]


def _disclosures(envelopes: list[Envelope], wanted: str) -> list[DataDisclosed]:
    return [
        event
        for envelope in envelopes
        if envelope.aggregate_id == wanted
        and isinstance(event := read_event(envelope), DataDisclosed)
    ]
