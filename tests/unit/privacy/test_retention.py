"""The retention rule with a moved clock, never by waiting: what an order's events make of its
activity, and the job and its preview on the in-memory event store (a customer past the period
is told, then erased; inside it, with a subscription running or an order open, erased, or
active again after the notice, nothing; a second run records nothing twice)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from allwan_contracts import Event, new_envelope
from allwan_contracts.customers import CustomerErased, ErasureReason
from allwan_contracts.intake import ErasureRequested
from allwan_contracts.orders import (
    ORDER_EVENTS,
    CancellationReason,
    ExpiryReason,
    OrderCancelled,
    OrderExpired,
    OrderPaid,
    OrderRefunded,
    OrderRejected,
    OrderRequestKind,
    RefundReason,
    RejectionReason,
    SubscriptionActivated,
)
from allwan_contracts.retention import RetentionNoticeRequested, RetentionPeriodEnded, case_id
from allwan_contracts.topics import CONSENT_INTAKE, CUSTOMERS, ORDERS, RETENTION
from allwan_privacy.adapters.activity import OrderEvent
from allwan_privacy.adapters.schedule import load_schedule
from allwan_privacy.domain.retention import (
    CustomerActivity,
    OrderActivity,
    Phase,
    Schedule,
    last_activity,
    order_after,
)
from allwan_privacy.entrypoints.app import create_app
from allwan_privacy.handlers.retention import RetentionService, Tally
from allwan_privacy.settings import PrivacySettings
from allwan_runtime.memory import InMemoryEventStore
from faststream.specification import AsyncAPI

from tests.builders import order_placed
from tests.unit.contracts.factories import contact

T0 = datetime(2024, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
PERIOD, NOTICE = 730 * DAY, 30 * DAY  # the shipped customer_contact rule


def schedule() -> Schedule:
    settings = PrivacySettings()
    return load_schedule(settings.retention_schedule, export_days=settings.export_days)


class Shop:
    """Customers' orders as ``adapters.activity.MongoActivity`` keeps them, in memory: each
    event through the same ``order_after``."""

    def __init__(self) -> None:
        self.orders: dict[str, tuple[str, OrderActivity]] = {}
        self.erased: set[str] = set()

    def record(self, event: OrderEvent, at: datetime) -> None:
        order_id, customer_id = event.order_id, event.customer_id
        known = self.orders.get(order_id)
        after = order_after(known[1] if known else None, event, at)
        if after is not None:
            self.orders[order_id] = (customer_id, after)

    async def customers(self) -> AsyncIterator[CustomerActivity]:
        by_customer: dict[str, list[OrderActivity]] = {}
        for customer_id, order in self.orders.values():
            by_customer.setdefault(customer_id, []).append(order)
        for customer_id in sorted(by_customer):
            if customer_id not in self.erased:
                yield CustomerActivity(customer_id, tuple(by_customer[customer_id]))

    # -- an order's life, from placement to its end --------------------------------------

    def place(self, customer_id: str, at: datetime) -> str:
        order = order_placed(customer_id, contact(), order_id=f"ord-{uuid.uuid4().hex[:8]}")
        self.record(order, at)
        return order.order_id

    def ids(self, order_id: str) -> dict[str, str]:
        return {"order_id": order_id, "customer_id": self.orders[order_id][0]}

    def activate(self, order_id: str, at: datetime, ends_at: datetime) -> None:
        self.record(
            OrderPaid(
                **self.ids(order_id), payment_reference="pay-1", amount_halalas=1, currency="SAR"
            ),
            at,
        )
        activated = SubscriptionActivated(
            **self.ids(order_id),
            plan_id="plan",
            starts_at=at,
            ends_at=ends_at,
            delivery_reference="act-1",
        )
        self.record(activated, at)

    def expire(self, order_id: str, at: datetime) -> None:
        self.record(OrderExpired(**self.ids(order_id), reason=ExpiryReason.SUBSCRIPTION_ENDED), at)

    def subscription(self, customer_id: str, start: datetime, days: int) -> str:
        """A subscription bought at ``start`` that ran ``days`` days and expired."""
        order_id = self.place(customer_id, start)
        self.activate(order_id, start, start + days * DAY)
        self.expire(order_id, start + days * DAY)
        return order_id


class Lease:
    def __init__(self) -> None:
        self.held = True

    async def hold(self) -> bool:
        return self.held


class World:
    def __init__(self) -> None:
        self.shop, self.store, self.lease = Shop(), InMemoryEventStore(), Lease()
        self.now = T0
        self.retention = RetentionService(
            schedule(), self.shop, self.store, "privacy", self.lease, clock=lambda: self.now
        )

    async def run_at(self, now: datetime) -> Tally | None:
        self.now = now
        return await self.retention.run()

    def notices(self) -> list[RetentionNoticeRequested]:
        return [
            e
            for e in self.store.all_events("retention_case")
            if isinstance(e, RetentionNoticeRequested)
        ]

    def ended(self) -> list[RetentionPeriodEnded]:
        return [
            e
            for e in self.store.all_events("retention_case")
            if isinstance(e, RetentionPeriodEnded)
        ]

    def erasures(self) -> list[ErasureRequested]:
        return [
            e for e in self.store.all_events("consent_intake") if isinstance(e, ErasureRequested)
        ]


@pytest.fixture
def world() -> World:
    return World()


# -- an order's activity -------------------------------------------------------------------


def test_an_order_is_open_until_delivered_then_active_until_its_subscription_ends() -> None:
    shop = Shop()
    order_id = shop.place("cust-1", T0)
    assert shop.orders[order_id][1] == OrderActivity(Phase.OPEN, placed_at=T0)
    shop.activate(order_id, T0 + DAY, T0 + 31 * DAY)
    assert shop.orders[order_id][1].phase is Phase.ACTIVE
    orders = [shop.orders[order_id][1]]
    assert last_activity(orders, T0 + 30 * DAY) is None
    # Past its end, a subscription whose expiry was not recorded yet counts from its end.
    assert last_activity(orders, T0 + 32 * DAY) == T0 + 31 * DAY


def test_a_partial_refund_leaves_a_subscription_running_and_a_full_one_closes_it() -> None:
    shop = Shop()
    order_id = shop.place("cust-1", T0)
    shop.activate(order_id, T0, T0 + 365 * DAY)

    def refund(fully: bool, reference: str) -> OrderRefunded:
        return OrderRefunded(
            **shop.ids(order_id),
            reason=RefundReason.GOODWILL,
            refund_halalas=1,
            currency="SAR",
            refund_reference=reference,
            fully_refunded=fully,
        )

    shop.record(refund(False, "rf-1"), T0 + DAY)
    assert shop.orders[order_id][1].phase is Phase.ACTIVE
    shop.record(refund(True, "rf-2"), T0 + 2 * DAY)
    assert shop.orders[order_id][1].phase is Phase.CLOSED
    assert shop.orders[order_id][1].closed_at == T0 + 2 * DAY


def test_a_refused_placement_closes_at_once_and_a_cancellation_closes_an_order() -> None:
    shop = Shop()
    refused = OrderRejected(
        order_id="ord-refused",
        customer_id="cust-1",
        request=OrderRequestKind.PLACE,
        request_id=uuid.uuid4(),
        reason=RejectionReason.AGE_ATTESTATION_MISSING,
        message="An order needs an attestation (A1).",
    )
    shop.record(refused, T0)
    assert shop.orders["ord-refused"][1] == OrderActivity(Phase.CLOSED, closed_at=T0)
    order_id = shop.place("cust-1", T0 + DAY)
    cancelled = OrderCancelled(
        **shop.ids(order_id),
        reason=CancellationReason.CUSTOMER_REQUEST,
        refund_halalas=0,
        currency="SAR",
    )
    shop.record(cancelled, T0 + 2 * DAY)
    orders = [order for _, order in shop.orders.values()]
    assert last_activity(orders, T0 + 3 * DAY) == T0 + 2 * DAY


def test_an_order_first_heard_of_after_its_placement_is_known_from_then_on() -> None:
    shop = Shop()
    paid = OrderPaid(
        order_id="ord-old",
        customer_id="cust-1",
        payment_reference="pay-1",
        amount_halalas=1,
        currency="SAR",
    )
    shop.record(paid, T0)
    assert shop.orders["ord-old"][1] == OrderActivity(Phase.OPEN)
    assert last_activity([shop.orders["ord-old"][1]], T0 + 1000 * DAY) is None


# -- the job ------------------------------------------------------------------------------


async def test_a_customer_past_the_period_is_told_then_erased_once_the_notice_has_run(
    world: World,
) -> None:
    world.shop.subscription("cust-past", T0, days=30)
    last = T0 + 30 * DAY
    case = case_id("cust-past", "customer_contact", last)

    assert await world.run_at(last + PERIOD - NOTICE - DAY) == Tally()
    assert world.notices() == []

    told_at = last + PERIOD - NOTICE
    assert await world.run_at(told_at) == Tally(notices=1)
    (notice,) = world.notices()
    assert (notice.case_id, notice.customer_id, notice.rule) == (
        case,
        "cust-past",
        "customer_contact",
    )
    assert (notice.last_activity, notice.erase_after, notice.at) == (last, last + PERIOD, told_at)

    assert await world.run_at(last + PERIOD - DAY) == Tally(in_notice=1)
    assert world.ended() == []
    assert world.erasures() == []

    assert await world.run_at(last + PERIOD) == Tally(erasures=1)
    (ended,) = world.ended()
    assert (ended.case_id, ended.rule, ended.last_activity) == (case, "customer_contact", last)
    (erasure,) = world.erasures()
    assert erasure.customer_id == "cust-past"
    assert erasure.reason is ErasureReason.RETENTION_ENDED
    assert erasure.requested_by == "service:privacy"


async def test_repeated_runs_record_nothing_twice(world: World) -> None:
    world.shop.subscription("cust-past", T0, days=30)
    erase_at = T0 + 30 * DAY + PERIOD
    for _ in range(2):
        await world.run_at(erase_at - NOTICE)
    assert len(world.notices()) == 1
    assert [await world.run_at(erase_at), await world.run_at(erase_at + DAY)] == [
        Tally(erasures=1),
        Tally(),
    ]
    assert (len(world.notices()), len(world.ended()), len(world.erasures())) == (1, 1, 1)


async def test_a_late_notice_still_gives_the_customer_the_whole_notice_period(
    world: World,
) -> None:
    world.shop.subscription("cust-late", T0, days=30)
    late = T0 + 30 * DAY + PERIOD + 100 * DAY  # the job did not run for months
    assert await world.run_at(late) == Tally(notices=1)
    assert world.notices()[0].erase_after == late + NOTICE
    assert await world.run_at(late + NOTICE - DAY) == Tally(in_notice=1)
    assert await world.run_at(late + NOTICE) == Tally(erasures=1)


async def test_inside_the_period_with_a_subscription_running_or_an_order_open_nothing_happens(
    world: World,
) -> None:
    now = T0 + 5000 * DAY
    world.shop.subscription("cust-recent", now - 100 * DAY, days=30)
    running = world.shop.place("cust-running", T0)
    world.shop.activate(running, T0, now + DAY)  # a very long plan
    world.shop.subscription("cust-open", T0, days=30)
    world.shop.place("cust-open", T0 + 40 * DAY)  # never paid, never expired
    assert await world.run_at(now) == Tally()
    assert world.store.all_events() == []


async def test_new_activity_after_the_notice_stops_the_erasure(world: World) -> None:
    world.shop.subscription("cust-back", T0, days=30)
    erase_at = T0 + 30 * DAY + PERIOD
    await world.run_at(erase_at - NOTICE)
    assert len(world.notices()) == 1
    world.shop.place("cust-back", erase_at - DAY)  # ordered again: open
    assert await world.run_at(erase_at) == Tally()
    assert world.ended() == []
    assert world.erasures() == []


async def test_an_order_closed_after_the_notice_opens_a_new_case_counted_from_it(
    world: World,
) -> None:
    world.shop.subscription("cust-back", T0, days=30)
    erase_at = T0 + 30 * DAY + PERIOD
    await world.run_at(erase_at - NOTICE)
    back = erase_at - DAY
    world.shop.subscription("cust-back", back, days=30)
    assert await world.run_at(erase_at + DAY) == Tally()
    assert world.ended() == []
    assert await world.run_at(back + 30 * DAY + PERIOD - NOTICE) == Tally(notices=1)
    assert sorted(n.last_activity for n in world.notices()) == [T0 + 30 * DAY, back + 30 * DAY]


async def test_an_erased_customer_is_left_alone(world: World) -> None:
    world.shop.subscription("cust-gone", T0, days=30)
    world.shop.erased.add("cust-gone")
    assert await world.run_at(T0 + 5000 * DAY) == Tally()
    assert world.store.all_events() == []


async def test_a_run_stopped_after_the_end_asks_for_the_erasure_next_time(world: World) -> None:
    world.shop.subscription("cust-past", T0, days=30)
    last = T0 + 30 * DAY
    await world.run_at(last + PERIOD - NOTICE)
    case = case_id("cust-past", "customer_contact", last)
    ended = RetentionPeriodEnded(
        case_id=case, customer_id="cust-past", rule="customer_contact", last_activity=last, at=last
    )
    await world.store.append(
        [new_envelope(ended, aggregate_version=2, producer="privacy", correlation_id=uuid.uuid4())],
        expected_version=1,
    )
    assert await world.run_at(last + PERIOD) == Tally()
    (erasure,) = world.erasures()
    assert erasure.customer_id == "cust-past"
    assert len(world.ended()) == 1


async def test_a_period_lengthened_after_the_notice_is_not_cut_short(world: World) -> None:
    world.shop.subscription("cust-past", T0, days=30)
    last = T0 + 30 * DAY
    await world.run_at(last + PERIOD - NOTICE)
    longer = schedule().rules[0].model_copy(update={"period_days": 800})
    world.retention = RetentionService(
        Schedule((longer, *schedule().rules[1:])), world.shop, world.store, "privacy", world.lease
    )
    assert await world.retention.apply(last + PERIOD) == Tally()
    # Past the date the notice gave, inside the new notice period: still only told.
    assert await world.retention.apply(last + 780 * DAY) == Tally(in_notice=1)
    assert world.erasures() == []
    assert await world.retention.apply(last + 800 * DAY) == Tally(erasures=1)
    assert len(world.notices()) == 1


async def test_a_replica_without_the_lease_does_nothing(world: World) -> None:
    world.shop.subscription("cust-past", T0, days=30)
    world.lease.held = False
    assert await world.run_at(T0 + 5000 * DAY) is None
    assert world.store.all_events() == []


async def test_a_run_stops_between_two_customers_when_the_service_stops(world: World) -> None:
    world.shop.subscription("cust-a", T0, days=30)
    world.shop.subscription("cust-b", T0, days=30)
    stopping = asyncio.Event()
    stopping.set()
    assert await world.retention.apply(T0 + 5000 * DAY, stopping) == Tally()
    assert world.store.all_events() == []


# -- the preview --------------------------------------------------------------------------


async def test_the_preview_counts_what_a_run_would_do_and_records_nothing(world: World) -> None:
    now = T0 + 30 * DAY + PERIOD
    world.shop.subscription("cust-noticed", T0, days=30)
    await world.run_at(now - NOTICE)  # told: erasure due at ``now``
    world.shop.subscription("cust-in-notice", T0 + 10 * DAY, days=30)
    await world.run_at(now - NOTICE + 10 * DAY)  # told: erasure due 10 days after ``now``
    world.shop.subscription("cust-due", now - PERIOD - 20 * DAY, days=1)  # notice due
    world.shop.subscription("cust-recent", now - 10 * DAY, days=1)
    recorded = len(world.store.all_events())

    view = await world.retention.view(now)

    assert [rule.name for rule in view.schedule] == [rule.name for rule in schedule().rules]
    counts = {
        item.rule: (item.notices_due, item.erasures_due, item.in_notice) for item in view.preview
    }
    assert counts == {
        "customer_contact": (1, 1, 1),
        "marketing": (0, 0, 0),
        "privacy_exports": (0, 0, 0),
        "financial_records": (0, 0, 0),
        "analytics": (0, 0, 0),
    }
    assert view.previewed_at == now
    assert len(world.store.all_events()) == recorded
    assert "cust-" not in view.model_dump_json()


# -- the wiring ---------------------------------------------------------------------------


def _payloads(document: dict[str, Any], channel: dict[str, Any]) -> set[str]:
    [reference] = channel["messages"].values()
    payload = document["components"]["messages"][reference["$ref"].rsplit("/", 1)[1]]["payload"]
    return {ref["$ref"].rsplit("/", 1)[1] for ref in payload.get("oneOf", [payload])}


def test_the_activity_group_reads_orders_and_erasures_and_the_relay_publishes_each_step() -> None:
    document = create_app(PrivacySettings(service_name="privacy-doc")).schema
    assert isinstance(document, AsyncAPI)
    spec = document.to_specification().to_jsonable()
    channels = spec["channels"]
    read: dict[str, list[type[Event]]] = {
        ORDERS.name: list(ORDER_EVENTS),
        CUSTOMERS.name: [CustomerErased],
    }
    for topic, events in read.items():
        channel = channels[f"privacy-doc.activity:consume:{topic}"]
        assert _payloads(spec, channel) == {f"{event.event_type}:Payload" for event in events}
    retention = channels[f"privacy-doc:publish:{RETENTION.name}"]
    assert _payloads(spec, retention) == {
        "RetentionNoticeRequested:Payload",
        "RetentionPeriodEnded:Payload",
    }
    intake = channels[f"privacy-doc:publish:{CONSENT_INTAKE.name}"]
    assert _payloads(spec, intake) == {"ErasureRequested:Payload"}
