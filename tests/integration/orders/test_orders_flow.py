"""Orders on real Kafka and FerretDB: many orders through the consumer, relay and Kafka, and
no personal data in plain text anywhere (T2); erasure (PDPL); card data (C3); idempotency."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from allwan_contracts import (
    CancellationReason,
    CustomerContact,
    CustomerErased,
    ErasureReason,
    PolicyChanged,
    RefundReason,
    new_envelope,
    read_event,
)
from allwan_contracts.cards import passes_luhn
from allwan_contracts.intake import CancellationRequested, PaymentReported, RefundRequested
from allwan_orders.domain.placing import CONTACT_FIELDS
from allwan_orders.domain.status import OrderStatus
from allwan_orders.entrypoints.cli import rebuild_read_models
from allwan_orders.handlers.expiry import expire_due
from allwan_orders.handlers.views import follow_policy
from allwan_runtime.eventstore import stream_id
from allwan_runtime.keystore import ERASED, Purpose, PurposeNotGranted
from allwan_runtime.newest import apply_if_newer

from tests.integration.harness import outbox_drained
from tests.integration.orders.conftest import Running
from tests.integration.orders.gateway import Person, every_document, every_record
from tests.unit.orders.salla_samples import customer_event, order_event
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


def ids(run: Running, prefix: str, count: int) -> list[str]:
    return [f"{prefix}-{run.run}-{n:02d}" for n in range(count)]


async def statuses(run: Running, order_ids: list[str]) -> dict[str, str]:
    found = run.service.read_models.orders.orders.find({"_id": {"$in": order_ids}})
    return {doc["_id"]: doc.get("status", "") for doc in await found.to_list()}


async def customer(run: Running, customer_id: str) -> dict[str, Any] | None:
    return await run.service.read_models.customers.customers.find_one({"_id": customer_id})


async def order(run: Running, order_id: str) -> dict[str, Any] | None:
    return await run.service.read_models.orders.orders.find_one({"_id": order_id})


async def opened_contact(run: Running, customer_id: str) -> dict[str, str | None] | None:
    """The customer's record in plain text, opened for support (C4); None once redacted."""
    doc = await customer(run, customer_id)
    if doc is None or "contact" not in doc:
        return None
    contact = CustomerContact.model_validate(doc["contact"])
    opened: dict[str, str | None] = dict.fromkeys(CONTACT_FIELDS)
    for field in CONTACT_FIELDS:
        sealed = getattr(contact, field)
        if sealed is not None:
            opened[field] = await run.service.keys.open(
                sealed, field=field, purpose=Purpose.SUPPORT
            )
    return opened


async def settle(run: Running, expected: dict[str, str], timeout: float = 60.0) -> None:
    async def reached() -> bool:
        return await statuses(run, list(expected)) == expected

    await eventually(reached, timeout)


def paid(run: Running, order_id: str, person: Person, amount: int = 2990) -> PaymentReported:
    return PaymentReported(
        order_id=order_id,
        customer_id=person.customer_id,
        requested_by="service:gateway",
        payment_reference=f"pay-{order_id}",
        amount_halalas=amount,
        card_brand="mada",
        card_last4="0415",
    )


async def nowhere_in_plain_text(run: Running, secrets: list[str], seen: str) -> None:
    """None of ``secrets`` in any record or document; ``seen`` (an order id) must be found,
    proving the scan reads this run's data. The scan starts once the relay has published
    everything the service stored: no event of this run is still on its way to Kafka."""
    await outbox_drained(run.runtime.db)
    needles = [secret.encode() for secret in secrets]
    records = await every_record(run.settings.kafka_bootstrap, run.settings.kafka_topic_prefix)
    assert any(seen.encode() in chunk for chunk in records)
    for chunk in records:
        assert not any(needle in chunk for needle in needles)
    found = False
    async for where, document in every_document(run.settings.mongo_url.get_secret_value()):
        found = found or seen.encode() in document
        leaked = [n.decode() for n in needles if n in document]
        assert not leaked, f"{where} holds personal data in plain text"
    assert found


async def test_t2_many_orders_leave_no_personal_data_in_plain_text_in_any_topic_or_collection(
    orders: Running,
) -> None:
    run, gateway = orders, orders.gateway
    people = [Person.make(run.run, n) for n in range(12)]
    order_ids = ids(run, "o", 36)
    for n, order_id in enumerate(order_ids):
        await gateway.order(order_id, people[n % 12], marketing_opt_in=n % 5 == 0)
    for n, order_id in enumerate(order_ids[:24]):
        await gateway.send(paid(run, order_id, people[n % 12]))
    for n, order_id in enumerate(order_ids[20:30], start=20):
        reason = CancellationReason.CUSTOMER_REQUEST
        who = {"order_id": order_id, "customer_id": people[n % 12].customer_id}
        await gateway.send(CancellationRequested(**who, requested_by="customer", reason=reason))
        if n < 24:
            await gateway.send(
                RefundRequested(
                    **who,
                    requested_by="staff:7",
                    reason=RefundReason.ORDER_CANCELLED,
                    refund_halalas=2990,
                    refund_reference=f"rf-{order_id}",
                )
            )
    salla_id = int(run.run[:8], 16)
    salla_body = order_event("order.status.updated", "completed", id=salla_id)
    salla_person = Person.make(run.run, 900)
    salla_body["data"]["order"]["customer"] |= {
        "id": salla_id,
        "name": salla_person.name,
        "email": salla_person.email,
        "mobile": salla_person.phone,
    }
    await gateway.webhook(salla_body)
    update = customer_event(first_name="Faisal", last_name=f"Otaibi-{run.run}")
    update["data"] |= {"id": salla_id + 1, "email": f"f.otaibi.{run.run}@example.com"}
    await gateway.webhook(update)

    salla_order = f"salla-{salla_id}"
    expected = {o: "active" for o in order_ids[:20]}
    expected |= {o: "refunded" for o in order_ids[20:24]}
    expected |= {o: "cancelled" for o in order_ids[24:30]}
    expected |= {o: "placed" for o in order_ids[30:]}
    await settle(run, expected | {salla_order: "active"})
    views = run.service.read_models

    async def contact_updated() -> bool:
        # The Salla customer update changes no order: its own record shows it was handled,
        # so the scan below also covers what it stored and published.
        doc = await customer(run, f"salla-{salla_id + 1}")
        return bool(doc and "contact" in doc)

    await eventually(contact_updated)
    first = await views.orders.orders.find({"customer_id": people[0].customer_id}).to_list()
    # The three requests went to different partitions, which orders may read in any order.
    assert sorted(doc["_id"] for doc in first) == order_ids[0::12]
    assert all(isinstance(doc["placed_at"], datetime) for doc in first)
    active = {"status": OrderStatus.ACTIVE.value, "ends_at": {"$exists": True}}
    activated = await views.orders.orders.find(active, projection={"_id": 1}).to_list()
    assert set(order_ids[:20]) <= {doc["_id"] for doc in activated}
    contact = await opened_contact(run, people[3].customer_id)
    assert contact == {
        "name": people[3].name,
        "email": people[3].email,
        "phone": people[3].phone,
        "billing_address": people[3].address,
    }

    secrets = [text for person in people for text in person.plaintexts()]
    secrets += [salla_person.name, salla_person.email, salla_person.phone]
    secrets += [f"Otaibi-{run.run}", f"f.otaibi.{run.run}@example.com"]
    await nowhere_in_plain_text(run, secrets, seen=order_ids[-1])


async def erase(run: Running, customer_id: str) -> None:
    """What the consent service does: shred the key, then announce it."""
    await run.outsider.shred(customer_id)
    erased = CustomerErased(
        customer_id=customer_id,
        erased_at=datetime.now(UTC),
        reason=ErasureReason.CUSTOMER_REQUEST,
        requested_via="email",
    )
    await run.consent.send(erased)


async def test_pdpl_shredding_one_customer_leaves_placeholders_and_the_others_intact(
    orders: Running,
) -> None:
    run = orders
    gone, kept = Person.make(run.run, 100), Person.make(run.run, 101)
    order_ids = ids(run, "e", 4)
    for order_id, person in zip(order_ids, (gone, kept, gone, kept), strict=True):
        await run.gateway.order(order_id, person)
    await settle(run, dict.fromkeys(order_ids, "placed"))

    await erase(run, gone.customer_id)

    async def redacted() -> bool:
        doc = await customer(run, gone.customer_id)
        return bool(doc and doc.get("erased") and "contact" not in doc)

    await eventually(redacted)
    keys = run.service.keys
    assert await opened_contact(run, gone.customer_id) is None
    assert (await opened_contact(run, kept.customer_id) or {})["email"] == kept.email
    # The sealed copies in the event store (and on Kafka) open to the placeholder, and fail nothing.
    [placed] = await run.runtime.store.load(stream_id("order", order_ids[0]))
    contact = read_event(placed).contact  # type: ignore[attr-defined]
    assert await keys.open(contact.name, field="name", purpose=Purpose.SUPPORT) == ERASED
    # A new order for the erased customer is refused, and their record takes no new data.
    await run.gateway.order(ids(run, "e2", 1)[0], gone, contact=contact)
    await settle(run, {ids(run, "e2", 1)[0]: "rejected"})

    rebuilt = await rebuild_read_models(run.settings)
    assert rebuilt["replayed"] > 0
    assert rebuilt["redacted"] == 1
    doc = await customer(run, gone.customer_id)
    assert doc is not None
    assert "contact" not in doc
    assert (await statuses(run, order_ids)) == dict.fromkeys(order_ids, "placed")


def card_number(run: Running) -> str:
    """A Luhn-valid 16-digit number unique to this run."""
    stem = "4" + str(int(run.run, 16))[:14].rjust(14, "7")
    return next(stem + d for d in "0123456789" if passes_luhn(stem + d))


async def test_c3_a_card_number_in_any_field_is_refused_and_appears_nowhere(
    orders: Running,
) -> None:
    run, gateway = orders, orders.gateway
    pan = card_number(run)
    spaced = " ".join(pan[i : i + 4] for i in range(0, 16, 4))
    dashed = "-".join(pan[i : i + 4] for i in range(0, 16, 4))
    person = Person.make(run.run, 200)
    order_ids = ids(run, "pan", 4)
    variants = [
        {"name": f"{person.name} {spaced}"},
        {"email": f"{dashed}@example.com"},
        {"billing_address": f"card {pan}"},
        {"phone": pan},
    ]
    for order_id, fields in zip(order_ids, variants, strict=True):
        await gateway.order(order_id, person, contact=await gateway.contact(person, **fields))
    salla = order_event("order.created", id=int(run.run[:8], 16) + 7)
    salla["data"]["customer"] |= {"id": 4242, "first_name": spaced}
    await gateway.webhook(salla)
    salla_order = f"salla-{int(run.run[:8], 16) + 7}"
    await settle(run, dict.fromkeys([*order_ids, salla_order], "rejected"))

    found = run.service.read_models.orders.orders.find({"_id": {"$in": order_ids}})
    for doc in await found.to_list():
        [rejection] = doc["history"]
        assert rejection["reason"] == "card_data_present"
        assert "$.contact." in rejection["message"]
    await nowhere_in_plain_text(run, [pan, spaced, dashed], seen=order_ids[0])


async def test_retrying_a_place_order_with_the_same_idempotency_key_creates_one_order(
    orders: Running,
) -> None:
    run, gateway = orders, orders.gateway
    person = Person.make(run.run, 300)
    [order_id] = ids(run, "idem", 1)
    await gateway.order(order_id, person)
    await gateway.order(order_id, person, quantity=2)  # a retry recorded again
    await gateway.send(paid(run, order_id, person))
    await gateway.send(paid(run, order_id, person), version=2)  # the same record redelivered
    # Behind the redelivered payment on the order's partition: once this cancellation is
    # decided, the redelivery has been handled too (the first payment alone activates).
    who = {"order_id": order_id, "customer_id": person.customer_id}
    reason = CancellationReason.CUSTOMER_REQUEST
    await gateway.send(CancellationRequested(**who, requested_by="customer", reason=reason))
    await settle(run, {order_id: "cancelled"})

    events = await run.runtime.store.load(stream_id("order", order_id))
    assert [e.event_type for e in events] == [
        "OrderPlaced",
        "OrderPaid",
        "SubscriptionActivated",
        "OrderCancelled",
    ]
    doc = await order(run, order_id)
    assert doc is not None
    assert doc["quantity"] == 1
    assert [entry["status"] for entry in doc["history"]] == [
        "placed",
        "paid",
        "active",
        "cancelled",
    ]


async def test_k1_orders_are_placed_under_the_newest_policy_version(orders: Running) -> None:
    run = orders
    policies = run.service.policies
    before = await policies.in_force()
    newer = PolicyChanged(
        version=before + 1,
        effective_at=datetime.now(UTC),
        material=False,
        summary_ar="تحديث",
        summary_en="An update",
        url="https://allwanstores.com/privacy",
    )
    for version in (1, 2):  # redelivered: still the newest
        envelope = new_envelope(
            newer, aggregate_version=version, producer="consent", correlation_id=uuid.uuid4()
        )
        await follow_policy(newer, envelope, run.service.views)
    assert await policies.in_force() >= before + 1
    [order_id] = ids(run, "k1", 1)
    await run.gateway.order(order_id, Person.make(run.run, 400))
    await settle(run, {order_id: "placed"})
    [placed] = await run.runtime.store.load(stream_id("order", order_id))
    assert placed.payload["policy_version"] >= before + 1


async def test_unpaid_orders_expire_after_the_payment_timeout_and_subscriptions_after_their_end(
    orders: Running,
) -> None:
    run, gateway = orders, orders.gateway
    person = Person.make(run.run, 500)
    unpaid, active = ids(run, "exp", 2)
    await gateway.order(unpaid, person)
    await gateway.order(active, person)
    await gateway.send(paid(run, active, person))
    await settle(run, {unpaid: "placed", active: "active"})

    later = datetime.now(UTC) + timedelta(days=40)
    deps = dataclasses.replace(run.service.deps, clock=lambda: later)
    assert await expire_due(deps, run.service.read_models.orders) >= 2
    await settle(run, {unpaid: "expired", active: "expired"})
    doc = await order(run, unpaid)
    assert doc is not None
    assert doc["expiry_reason"] == "payment_timeout"


async def test_c4_orders_opens_personal_data_only_for_its_own_purposes(orders: Running) -> None:
    sealed = await orders.gateway.keys.seal("c-purpose", "email", "p@example.com")
    keys = orders.service.keys
    assert await keys.open(sealed, field="email", purpose=Purpose.SUPPORT) == "p@example.com"
    with pytest.raises(PurposeNotGranted):
        await keys.open(sealed, field="email", purpose=Purpose.MARKETING)


async def test_the_newest_event_wins_a_document_fed_by_several_aggregates(
    orders: Running,
) -> None:
    collection = orders.runtime.db[f"newest_{orders.run}"]
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    assert await apply_if_newer(collection, "c", t0, {"$set": {"v": 1}})
    assert not await apply_if_newer(collection, "c", t0, {"$set": {"v": 2}})
    assert not await apply_if_newer(collection, "c", t0 - timedelta(1), {"$set": {"v": 3}})
    assert await apply_if_newer(collection, "c", t0 + timedelta(1), {"$set": {"v": 4}})
    await collection.update_one({"_id": "c"}, {"$set": {"erased": True}})
    guard: dict[str, Any] = {"erased": True}
    assert not await apply_if_newer(
        collection, "c", t0 + timedelta(2), {"$set": {"v": 5}}, unless=guard
    )
    doc = await collection.find_one({"_id": "c"})
    assert doc is not None
    assert doc["v"] == 4
