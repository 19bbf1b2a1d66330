"""PDPL on the real servers: the notifier emails the customer about their privacy request (once,
even when the request is read before the order that gives the address), and its answers reach
``allwan.privacy.replies`` through its own relay: the emails part of an access request
(sealed, T2) and the confirmation of an erasure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from allwan_contracts import (
    Channel,
    CustomerDataExported,
    CustomerErased,
    ErasureConfirmed,
    ErasureReason,
    Event,
    PrivacyRequestKind,
    PrivacyRequestReceived,
    PrivacyRequestStarted,
    decode,
    read_event,
    reply_id,
)
from allwan_contracts.fields import utc_now
from allwan_contracts.privacy_export import EmailsPart
from allwan_contracts.privacy_replies import (
    EXPORT_PART_FIELD,
)
from allwan_contracts.topics import PRIVACY_REPLIES
from allwan_notifier.domain.deliveries import Kind, State, delivery_id
from allwan_runtime.keystore import Purpose

from tests.integration.conftest import read_topic
from tests.integration.notifier.conftest import Mailpit, Notifier
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


async def replies(notifier: Notifier, wanted: str) -> list[Event]:
    """The answers on the run's replies topic, read until the one with ``wanted`` as its id."""
    topic = f"{notifier.run.prefix}{PRIVACY_REPLIES.name}"

    def events(records: list[Any]) -> list[Event]:
        return [read_event(decode(record.value)) for record in records]

    def found(records: list[Any]) -> bool:
        return any(getattr(e, "reply_id", None) == wanted for e in events(records))

    records = await read_topic(notifier.run.servers.kafka_bootstrap, topic, found, timeout=60)
    return [e for e in events(records) if getattr(e, "reply_id", None) == wanted]


async def test_pdpl_access_is_acknowledged_by_email_and_answered_with_the_emails_part(
    notifier: Notifier, mailpit: Mailpit
) -> None:
    run, events = notifier.run, notifier.events
    await events.order("c-1", "en")  # its receipt goes out
    # The request comes on another topic, which may be read first; a customer the notifier
    # has no address for yet is acknowledged once it has one (the test after this one):
    # this test is about one it knows.
    await eventually(lambda: notifier.knows("c-1"), what="the address known")
    request = f"req-{run.id}"
    received = _access_request(request, "c-1")
    await events.send(received, as_="privacy")

    async def acknowledged() -> list[dict[str, Any]]:
        found = await mailpit.messages(f'to:{run.address("c-1")} subject:"privacy request"')
        return found

    (mail,) = await eventually(acknowledged, timeout=60, what="the receipt of the request")
    assert mail["Subject"] == "We received your privacy request"
    started = PrivacyRequestStarted(
        request_id=request,
        customer_id="c-1",
        kind=PrivacyRequestKind.ACCESS,
        channel=Channel.WEB,
        at=received.received_at,
        by="service:privacy",
    )
    await events.send(started, as_="privacy")

    (answer,) = await replies(notifier, reply_id(request, run.name))

    assert isinstance(answer, CustomerDataExported)
    assert (answer.service, answer.nothing_held) == (run.name, False)
    assert answer.part is not None
    text = await notifier.service.secrets.open(
        answer.part, field=EXPORT_PART_FIELD, purpose=Purpose.DATA_ACCESS
    )
    kinds = {(email.kind, email.outcome) for email in EmailsPart.model_validate_json(text).emails}
    assert {("receipt", "sent"), ("privacy_received", "sent")} <= kinds
    assert run.address("c-1") not in text


async def test_pdpl_a_request_read_before_the_customers_first_order_is_acknowledged_once(
    notifier: Notifier, mailpit: Mailpit
) -> None:
    run, events, service = notifier.run, notifier.events, notifier.service
    address = run.address("c-3")
    received = _access_request(f"req-{run.id}-early", "c-3")
    request = await events.send(received, as_="privacy")
    # Read (twice: at-least-once) while the notifier has no address for c-3: it waits.
    await notifier.mail_read_past(await events.resend(request))
    waiting = [delivery_id(Kind.PRIVACY_RECEIVED, received.request_id)]
    assert [parked.id for parked in await service.parked.of_customer("c-3")] == waiting
    # The sweep of letters that waited too long finds it only once it was parked long enough.
    later = [p.id for p in await service.parked.parked_before(utc_now() + timedelta(days=2))]
    assert waiting[0] in later
    assert await service.parked.parked_before(received.received_at - timedelta(minutes=1)) == []
    assert await mailpit.messages(f"to:{address}") == []

    placed = await events.order("c-3", "en")

    async def acknowledged() -> list[dict[str, Any]]:
        found = await mailpit.messages(f'to:{address} subject:"privacy request"')
        return found

    (mail,) = await eventually(acknowledged, timeout=60, what="the waiting acknowledgement")
    assert mail["Subject"] == "We received your privacy request"  # the order's language
    # The order and the request again: nothing goes twice.
    await notifier.mail_read_past(await events.resend(request))
    order_again = await events.resend(await events.send(placed, as_="orders", version=1))
    await notifier.mail_read_past(order_again)
    assert len(await acknowledged()) == 1
    entry = await service.ledger.get(delivery_id(Kind.PRIVACY_RECEIVED, received.request_id))
    assert entry is not None
    assert entry.state is State.SENT
    assert await service.parked.of_customer("c-3") == []


async def test_pdpl_an_erasure_is_confirmed_on_the_replies_topic(notifier: Notifier) -> None:
    events, book = notifier.events, notifier.service.book
    await events.contact_changed("c-2")
    await eventually(lambda: notifier.knows("c-2"), what="the address known")
    await events.keys.shred("c-2")
    erased = CustomerErased(
        customer_id="c-2",
        erased_at=utc_now(),
        reason=ErasureReason.CUSTOMER_REQUEST,
        requested_via=Channel.WEB,
    )
    await events.send(erased, as_="consent")

    (answer,) = await replies(notifier, reply_id("c-2", notifier.run.name))

    assert isinstance(answer, ErasureConfirmed)
    assert (await book.recipient("c-2")).address is None


def _access_request(request_id: str, customer_id: str) -> PrivacyRequestReceived:
    """An access request made on the web now, due in a year."""
    now = utc_now()
    return PrivacyRequestReceived(
        request_id=request_id,
        customer_id=customer_id,
        kind=PrivacyRequestKind.ACCESS,
        channel=Channel.WEB,
        received_at=now,
        due_at=now.replace(year=now.year + 1),
        by="customer",
    )
