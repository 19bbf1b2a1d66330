"""The retention job on real Kafka and FerretDB/MongoDB, with an injected clock: orders' events
on ``allwan.orders`` (recorded long ago, as the orders service's relay would have published
them) make three customers' activity; run past the period, exactly the customer past it is
told (``RetentionNoticeRequested``) and, after the notice, one ``ErasureRequested`` with reason
``retention_ended`` goes to the consent service; the customer inside the period and the one with
a subscription running get nothing. What the consent service does next is proven end to end."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from allwan_contracts import Envelope, Event, decode, new_envelope, read_event
from allwan_contracts.customers import CustomerErased, ErasureReason
from allwan_contracts.intake import ErasureRequested
from allwan_contracts.orders import (
    ExpiryReason,
    OrderExpired,
    OrderPaid,
    OrderPlaced,
    SubscriptionActivated,
)
from allwan_contracts.retention import RetentionNoticeRequested
from allwan_contracts.topics import CONSENT_INTAKE, RETENTION
from allwan_privacy.domain.retention import Phase
from allwan_privacy.handlers.retention import RetentionService, Tally
from allwan_runtime.service import topic_for
from allwan_runtime.wire import message_headers, message_value

from tests.builders import order_placed
from tests.integration.conftest import read_to_end
from tests.integration.harness import outbox_drained
from tests.integration.privacy.conftest import RunningPrivacy
from tests.unit.contracts.factories import contact
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
DAY = timedelta(days=1)


class Orders:
    """The orders service's relay, as far as this test needs it: each order's events in
    order, recorded at instants in the past."""

    def __init__(self, privacy: RunningPrivacy, producer: str) -> None:
        self.privacy, self.producer = privacy, producer
        self.versions: dict[str, int] = {}
        self.sent: list[tuple[Envelope, Event]] = []

    async def _send(self, event: Event, at: datetime, *, producer: str | None = None) -> None:
        order_id = event.aggregate_id()
        version = self.versions.get(order_id, 0) + 1
        self.versions[order_id] = version
        envelope = new_envelope(
            event,
            aggregate_version=version,
            producer=producer or self.producer,
            correlation_id=uuid.uuid4(),
            occurred_at=at,
        )
        self.sent.append((envelope, event))
        await self.privacy.producer.send_and_wait(
            self.privacy.runtime.topic(topic_for(envelope)),
            value=message_value(envelope),
            key=envelope.aggregate_id.encode(),
            headers=message_headers(envelope),
        )

    async def subscription(
        self, customer_id: str, bought: datetime, ends_at: datetime, *, expired: bool
    ) -> str:
        """An order placed, paid and activated at ``bought``, running until ``ends_at``, and
        expired then if ``expired``."""
        placed = order_placed(customer_id, contact(), order_id=f"o-{uuid.uuid4().hex[:12]}")
        ids = {"order_id": placed.order_id, "customer_id": customer_id}
        await self._send(placed, bought)
        await self._send(
            OrderPaid(**ids, payment_reference="pay-1", amount_halalas=22_885, currency="SAR"),
            bought,
        )
        await self._send(
            SubscriptionActivated(
                **ids,
                plan_id=placed.plan_id,
                starts_at=bought,
                ends_at=ends_at,
                delivery_reference="act-1",
            ),
            bought,
        )
        if expired:
            # Someone else's "placement" of the same order first: obeyed, it would reopen the
            # order and take the expiry's version; it is ignored (only orders speaks for orders).
            reopened = order_placed(customer_id, contact(), order_id=placed.order_id)
            await self._send(reopened, ends_at, producer="mallory")
            self.versions[placed.order_id] -= 1
            await self._send(OrderExpired(**ids, reason=ExpiryReason.SUBSCRIPTION_ENDED), ends_at)
        return placed.order_id


async def published(privacy: RunningPrivacy, topic: str) -> list[Envelope]:
    """Everything this service published on ``topic``, once its outbox is drained."""
    await outbox_drained(privacy.runtime.db)
    records = await read_to_end(privacy.settings.kafka_bootstrap, privacy.runtime.topic(topic))
    envelopes = [decode(record.value) for record in records]
    return [envelope for envelope in envelopes if envelope.producer == privacy.name]


def who(envelope: Envelope) -> tuple[str, str]:
    return envelope.event_type, str(envelope.payload["customer_id"])


async def preview(retention: RetentionService, now: datetime) -> tuple[int, int, int]:
    """The staff's preview of the erasure rule at ``now``: notices, erasures, in notice."""
    view = await retention.view(now)
    (item,) = [item for item in view.preview if item.rule == "customer_contact"]
    return item.notices_due, item.erasures_due, item.in_notice


async def test_retention_tells_then_erases_exactly_the_customer_past_the_period(
    privacy: RunningPrivacy,
) -> None:
    # The job's own start-up run used the real clock; this test runs it with its own.
    await privacy.service.retention_job.task.stop()
    now = datetime.now(UTC)
    run = f"r{uuid.uuid4().hex[:8]}"
    past, recent, running = f"{run}-past", f"{run}-recent", f"{run}-running"
    orders = Orders(privacy, privacy.settings.orders_producer)
    await orders.subscription(past, now - 800 * DAY, now - 770 * DAY, expired=True)
    await orders.subscription(recent, now - 100 * DAY, now - 70 * DAY, expired=True)
    await orders.subscription(running, now - 800 * DAY, now + 300 * DAY, expired=False)
    activity = privacy.service.retention_job.activity
    expected = {past: Phase.CLOSED, recent: Phase.CLOSED, running: Phase.ACTIVE}

    async def projected() -> bool:
        phases = {
            customer.customer_id: [order.phase for order in customer.orders]
            async for customer in activity.customers()
        }
        return phases == {customer: [phase] for customer, phase in expected.items()}

    await eventually(projected, what="the three customers' activity")
    placement, placed = orders.sent[0]  # the past customer's order, placed: a redelivery
    assert isinstance(placed, OrderPlaced)
    assert not await activity.apply(placement, placed)
    assert await projected()
    assert await activity.ordered_between(now - 900 * DAY, now - 700 * DAY) == sorted(
        [past, running]
    )

    retention = privacy.service.retention
    assert await preview(retention, now) == (1, 0, 0)
    assert await dataclasses.replace(retention, clock=lambda: now).run() == Tally(notices=1)
    assert await preview(retention, now) == (0, 0, 1)
    notices = await published(privacy, RETENTION.name)
    assert [who(e) for e in notices] == [("RetentionNoticeRequested", past)]
    notice = read_event(notices[0])
    assert isinstance(notice, RetentionNoticeRequested)
    assert notice.erase_after == now + 30 * DAY

    later = now + 31 * DAY
    assert await dataclasses.replace(retention, clock=lambda: later).run() == Tally(erasures=1)
    assert await dataclasses.replace(retention, clock=lambda: later).run() == Tally()
    erasures = [read_event(e) for e in await published(privacy, CONSENT_INTAKE.name)]
    assert len(erasures) == 1
    (erasure,) = erasures
    assert isinstance(erasure, ErasureRequested)
    assert (erasure.customer_id, erasure.reason) == (past, ErasureReason.RETENTION_ENDED)
    assert erasure.requested_by == f"service:{privacy.name}"
    assert [who(e) for e in await published(privacy, RETENTION.name)] == [
        ("RetentionNoticeRequested", past),
        ("RetentionPeriodEnded", past),
    ]

    # Once the consent service has erased them, the rule no longer counts for them.
    erased = CustomerErased(customer_id=past, erased_at=later, reason=ErasureReason.RETENTION_ENDED)
    await privacy.send(erased, producer=privacy.settings.consent_producer)

    async def forgotten() -> bool:
        return past not in {customer.customer_id async for customer in activity.customers()}

    await eventually(forgotten, what="the erased customer left out")
    assert await activity.ordered_between(now - 900 * DAY, now - 700 * DAY) == [running]
