"""Privacy requests (PDPL) on real Kafka and FerretDB, orders' side: the access export's part
from the customer's listed orders (and the list refilled by a rebuild), a correction that
leaves the old values unreadable and the customers view showing the new ones, an erasure
confirmed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from allwan_contracts import (
    Channel,
    ContactChanges,
    CorrectionApplied,
    CustomerDataExported,
    CustomerErased,
    ErasureConfirmed,
    ErasureReason,
    PrivacyRequestKind,
    PrivacyRequestStarted,
    read_event,
    reply_id,
)
from allwan_contracts.privacy_export import OrdersPart
from allwan_contracts.privacy_replies import (
    EXPORT_PART_FIELD,
)
from allwan_orders.entrypoints.cli import rebuild_read_models
from allwan_runtime.eventstore import stream_id
from allwan_runtime.keystore import ERASED, Purpose

from tests.integration.harness import outbox_drained
from tests.integration.orders.conftest import Running
from tests.integration.orders.gateway import Person, every_record
from tests.integration.orders.test_orders_flow import ids, opened_contact, settle
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


def started(person: Person, kind: PrivacyRequestKind, **fields: Any) -> PrivacyRequestStarted:
    return PrivacyRequestStarted(
        request_id=f"r-{uuid.uuid4().hex[:12]}",
        customer_id=person.customer_id,
        kind=kind,
        channel=Channel.WEB,
        at=datetime.now(UTC),
        by="service:privacy",
        **fields,
    )


async def answered(run: Running, subject: str) -> Any:
    """The answer orders recorded about ``subject`` (a request or customer id), once there."""
    stream = stream_id("privacy_reply", reply_id(subject, run.settings.service_name))

    async def recorded() -> Any:
        found = await run.runtime.store.load(stream)
        return read_event(found[0]) if found else None

    return await eventually(recorded, 60, f"orders' answer about {subject}")


async def test_access_exports_the_listed_orders_and_a_rebuild_lists_them_again(
    orders: Running,
) -> None:
    run = orders
    person = Person.make(run.run, 200)
    order_ids = ids(run, "p", 3)
    for order_id in order_ids:
        await run.gateway.order(order_id, person)
    await settle(run, dict.fromkeys(order_ids, "placed"))
    listed = run.service.read_models.customer_orders
    assert sorted(await listed.order_ids(person.customer_id)) == order_ids

    request = started(person, PrivacyRequestKind.ACCESS)
    await run.privacy.send(request)

    exported = await answered(run, request.request_id)
    assert isinstance(exported, CustomerDataExported)
    assert exported.part is not None
    text = await run.service.keys.open(
        exported.part, field=EXPORT_PART_FIELD, purpose=Purpose.DATA_ACCESS
    )
    part = OrdersPart.model_validate_json(text)
    assert sorted(order.order_id for order in part.orders) == order_ids
    assert part.contact is not None
    assert (part.contact.name, part.contact.email) == (person.name, person.email)
    await outbox_drained(run.runtime.db)
    records = await every_record(run.settings.kafka_bootstrap, run.settings.kafka_topic_prefix)
    assert any(exported.reply_id.encode() in chunk for chunk in records)

    await rebuild_read_models(run.settings)
    assert sorted(await listed.order_ids(person.customer_id)) == order_ids


async def test_a_correction_is_shown_by_the_customers_view_and_the_old_email_opens_nowhere(
    orders: Running,
) -> None:
    run = orders
    person = Person.make(run.run, 201)
    [order_id] = ids(run, "q", 1)
    await run.gateway.order(order_id, person)
    await settle(run, {order_id: "placed"})
    new_email = f"corrected.{run.run}@example.com"
    email = await run.gateway.keys.seal(person.customer_id, "email", new_email)
    request = started(person, PrivacyRequestKind.CORRECTION, changes=ContactChanges(email=email))

    await run.privacy.send(request)

    applied = await answered(run, request.request_id)
    assert isinstance(applied, CorrectionApplied)
    shown = await opened_contact(run, person.customer_id)
    assert shown == {
        "name": person.name,
        "email": new_email,
        "phone": person.phone,
        "billing_address": person.address,
    }
    [placed] = await run.runtime.store.load(stream_id("order", order_id))
    old = read_event(placed).contact.email  # type: ignore[attr-defined]
    assert await run.service.keys.open(old, field="email", purpose=Purpose.SUPPORT) == ERASED


async def test_an_erasure_is_confirmed_once_the_customers_record_is_redacted(
    orders: Running,
) -> None:
    run = orders
    person = Person.make(run.run, 202)
    [order_id] = ids(run, "s", 1)
    await run.gateway.order(order_id, person)
    await settle(run, {order_id: "placed"})
    await run.outsider.shred(person.customer_id)

    await run.consent.send(
        CustomerErased(
            customer_id=person.customer_id,
            erased_at=datetime.now(UTC),
            reason=ErasureReason.CUSTOMER_REQUEST,
            requested_via=Channel.WEB,
        )
    )

    confirmed = await answered(run, person.customer_id)
    assert isinstance(confirmed, ErasureConfirmed)
    assert await opened_contact(run, person.customer_id) is None
