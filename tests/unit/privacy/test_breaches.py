"""The breach register (S2; PDPL 72 h): opening with the regulator's deadline, the states and
their retries, one notice per affected customer however often (or however interrupted) the
notification is asked, the register's order, the report, the job and its metrics."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from allwan_contracts.accountability import (
    BreachRequest,
    ClosureRequest,
    CustomerNotificationRequest,
    RegulatorNotificationRequest,
)
from allwan_contracts.breaches import (
    AffectedCustomers,
    BreachClosed,
    BreachCustomersNotified,
    BreachNotice,
    BreachOpened,
    BreachRegulatorNotified,
    BreachState,
    notice_id,
)
from allwan_contracts.disclosures import DataCategory
from allwan_privacy.adapters.accountability_metrics import (
    HOURS_TO_DEADLINE,
    OPEN,
    OVERDUE,
    BreachMetrics,
)
from allwan_privacy.domain.breach import breach_id_for
from allwan_privacy.domain.breach_rules import (
    BreachStats,
    DetectedInFuture,
    KeyReused,
    NotifiedOutOfRange,
    UnknownBreach,
    WrongState,
)
from allwan_privacy.handlers import breaches as register
from allwan_privacy.handlers.breaches import BreachWatch, watch_breaches
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint
from structlog.testing import capture_logs

from tests.unit.privacy.conftest import BreachWorld
from tests.unit.privacy.fakes import WHEN, CrashingRecorder, FakeLease, FakeOverdueLog

STAFF = "staff:7"
NOTICE = BreachNotice(
    message_ar="سُرق حاسوب يحمل بريدك الإلكتروني. غيّر كلمة المرور واحذر الرسائل المريبة.",
    message_en="A laptop holding your email address was stolen. Beware of phishing emails.",
)
OTHER_NOTICE = BreachNotice(message_ar="نص آخر", message_en="Another text")


def asked(**overrides: Any) -> BreachRequest:
    fields: dict[str, Any] = {
        "detected_at": WHEN - timedelta(hours=1),
        "description": "A staff laptop holding an order export was stolen.",
        "categories": [DataCategory.EMAIL, DataCategory.NAME],
        "affected": AffectedCustomers(customer_ids=["cust-2", "cust-1", "cust-3"]),
        "likely_consequences": "Phishing emails to the customers named in the export.",
        "measures_taken": "The laptop was wiped remotely; the export was withdrawn.",
    }
    return BreachRequest(**(fields | overrides))


def regulator(notified_at: Any = WHEN, reference: str = "SDAIA-2026-0042") -> Any:
    return RegulatorNotificationRequest(reference=reference, notified_at=notified_at)


async def opened(world: BreachWorld, key: str = "breach-key-0001", **overrides: Any) -> str:
    breach = await register.open_breach(asked(**overrides), key=key, by=STAFF, deps=world.deps)
    return breach.id


async def notified(world: BreachWorld, key: str = "breach-key-0001") -> str:
    breach_id = await opened(world, key)
    await register.notify_regulator(breach_id, regulator(), by=STAFF, deps=world.deps)
    return breach_id


async def test_a_breach_opened_has_its_deadline_72_hours_after_detection_and_its_customers(
    breaches: BreachWorld,
) -> None:
    breach_id = await opened(breaches)

    [event] = breaches.events(breach_id)
    assert isinstance(event, BreachOpened)
    assert breach_id == breach_id_for("breach-key-0001")
    assert event.regulator_deadline == WHEN - timedelta(hours=1) + timedelta(hours=72)
    assert (event.affected_count, event.by, event.opened_at) == (3, STAFF, WHEN)
    assert await breaches.affected.of(breach_id) == ["cust-1", "cust-2", "cust-3"]
    shown = await register.breach_now(breach_id, breaches.deps)
    assert shown.state is BreachState.OPEN
    assert shown.hours_to_deadline == 71.0
    assert [(step.state, step.by) for step in shown.history] == [(BreachState.OPEN, STAFF)]


async def test_a_breach_detected_in_the_future_is_refused_and_records_nothing(
    breaches: BreachWorld,
) -> None:
    with pytest.raises(DetectedInFuture):
        await opened(breaches, detected_at=WHEN + timedelta(minutes=1))

    assert breaches.store.envelopes() == []
    assert breaches.affected.affected == {}


async def test_a_retried_opening_answers_the_same_breach_and_its_key_reused_is_refused(
    breaches: BreachWorld,
) -> None:
    first = await opened(breaches)
    breaches.clock.advance(minutes=5)

    again = await opened(breaches)
    with pytest.raises(KeyReused):
        await opened(breaches, description="Another breach entirely.")

    assert again == first
    assert len(breaches.events(first)) == 1


async def test_customers_affected_by_an_order_window_are_those_who_ordered_in_it(
    breaches: BreachWorld,
) -> None:
    start, end = WHEN - timedelta(days=10), WHEN - timedelta(days=5)
    breaches.activity.orders = [
        ("before", start - timedelta(seconds=1)),
        ("first", start),
        ("inside", start + timedelta(days=2)),
        ("at-end", end),
    ]

    breach_id = await opened(
        breaches, affected=AffectedCustomers(ordered_from=start, ordered_until=end)
    )

    assert await breaches.affected.of(breach_id) == ["first", "inside"]
    [event] = breaches.events(breach_id)
    assert event.affected_count == 2


async def test_a_breach_is_overdue_once_72_hours_pass_without_the_regulator_being_told(
    breaches: BreachWorld,
) -> None:
    breach_id = await opened(breaches)
    breaches.clock.advance(hours=71)
    on_time = await register.breach_now(breach_id, breaches.deps)
    breaches.clock.advance(hours=2)
    late = await register.breach_now(breach_id, breaches.deps)
    await register.notify_regulator(
        breach_id, regulator(breaches.clock()), by=STAFF, deps=breaches.deps
    )
    told = await register.breach_now(breach_id, breaches.deps)

    assert (on_time.overdue, on_time.hours_to_deadline) == (False, 0.0)
    assert (late.overdue, late.hours_to_deadline) == (True, -2.0)
    assert (told.overdue, told.hours_to_deadline) == (False, None)
    assert told.regulator_reference == "SDAIA-2026-0042"


async def test_the_states_move_in_order_and_a_step_out_of_order_is_refused(
    breaches: BreachWorld,
) -> None:
    breach_id = await opened(breaches)
    tell = CustomerNotificationRequest(notice=NOTICE)
    close = ClosureRequest(summary="Contained; no misuse seen.")

    with pytest.raises(WrongState):
        await register.notify_customers(breach_id, tell, by=STAFF, deps=breaches.deps)
    with pytest.raises(WrongState):
        await register.close_breach(breach_id, close, by=STAFF, deps=breaches.deps)
    await register.notify_regulator(breach_id, regulator(), by=STAFF, deps=breaches.deps)
    await register.close_breach(breach_id, close, by=STAFF, deps=breaches.deps)
    with pytest.raises(WrongState):
        await register.notify_customers(breach_id, tell, by=STAFF, deps=breaches.deps)
    with pytest.raises(UnknownBreach):
        await register.breach_now("no-such-breach", breaches.deps)

    assert [type(event).__name__ for event in breaches.events(breach_id)] == [
        "BreachOpened",
        "BreachRegulatorNotified",
        "BreachClosed",
    ]
    assert breaches.notices() == []


async def test_a_step_repeated_with_the_same_details_changes_nothing_and_with_others_is_refused(
    breaches: BreachWorld,
) -> None:
    breach_id = await notified(breaches)
    close = ClosureRequest(summary="Contained; no misuse seen.")

    await register.notify_regulator(breach_id, regulator(), by=STAFF, deps=breaches.deps)
    with pytest.raises(WrongState):
        await register.notify_regulator(
            breach_id, regulator(reference="OTHER-1"), by=STAFF, deps=breaches.deps
        )
    await register.close_breach(breach_id, close, by=STAFF, deps=breaches.deps)
    await register.close_breach(breach_id, close, by=STAFF, deps=breaches.deps)
    with pytest.raises(WrongState):
        await register.close_breach(
            breach_id, ClosureRequest(summary="Something else."), by=STAFF, deps=breaches.deps
        )

    assert len(breaches.events(breach_id)) == 3
    assert isinstance(breaches.events(breach_id)[-1], BreachClosed)


@pytest.mark.parametrize(
    "notified_at", [WHEN - timedelta(hours=2), WHEN + timedelta(minutes=1)], ids=["early", "later"]
)
async def test_the_regulator_is_notified_between_detection_and_now(
    breaches: BreachWorld, notified_at: Any
) -> None:
    breach_id = await opened(breaches)

    with pytest.raises(NotifiedOutOfRange):
        await register.notify_regulator(
            breach_id, regulator(notified_at), by=STAFF, deps=breaches.deps
        )

    assert len(breaches.events(breach_id)) == 1


async def test_notifying_customers_twice_records_one_notice_for_each_customer(
    breaches: BreachWorld,
) -> None:
    breach_id = await notified(breaches)
    tell = CustomerNotificationRequest(notice=NOTICE)

    first = await register.notify_customers(breach_id, tell, by=STAFF, deps=breaches.deps)
    breaches.clock.advance(minutes=1)
    again = await register.notify_customers(breach_id, tell, by=STAFF, deps=breaches.deps)

    notices = breaches.notices()
    assert sorted(notice.customer_id for notice in notices) == ["cust-1", "cust-2", "cust-3"]
    assert {notice.notice_id for notice in notices} == {
        notice_id(breach_id, customer) for customer in ("cust-1", "cust-2", "cust-3")
    }
    assert all(notice.notice == NOTICE for notice in notices)
    assert all(notice.categories == [DataCategory.EMAIL, DataCategory.NAME] for notice in notices)
    assert first.state is again.state is BreachState.CUSTOMERS_NOTIFIED
    [done] = [e for e in breaches.events(breach_id) if isinstance(e, BreachCustomersNotified)]
    assert done.notified_count == 3
    with pytest.raises(WrongState):
        await register.notify_customers(
            breach_id,
            CustomerNotificationRequest(notice=OTHER_NOTICE),
            by=STAFF,
            deps=breaches.deps,
        )


async def test_a_notification_cut_short_by_a_crash_is_finished_by_its_retry_and_nobody_twice(
    breaches: BreachWorld,
) -> None:
    breach_id = await notified(breaches)
    tell = CustomerNotificationRequest(notice=NOTICE)
    dying = replace(breaches.deps, recorder=CrashingRecorder(breaches.recorder, survives=2))

    with pytest.raises(ConnectionError):
        await register.notify_customers(breach_id, tell, by=STAFF, deps=dying)
    assert len(breaches.notices()) == 2
    assert isinstance(breaches.events(breach_id)[-1], BreachRegulatorNotified)
    with pytest.raises(WrongState):  # the text being sent cannot change part-way
        await register.notify_customers(
            breach_id,
            CustomerNotificationRequest(notice=OTHER_NOTICE),
            by=STAFF,
            deps=breaches.deps,
        )
    await register.notify_customers(breach_id, tell, by=STAFF, deps=breaches.deps)

    assert sorted(n.customer_id for n in breaches.notices()) == ["cust-1", "cust-2", "cust-3"]
    assert isinstance(breaches.events(breach_id)[-1], BreachCustomersNotified)


async def test_the_register_lists_overdue_breaches_first_then_by_nearest_deadline(
    breaches: BreachWorld,
) -> None:
    late = await opened(breaches, "breach-key-late", detected_at=WHEN - timedelta(hours=80))
    soon = await opened(breaches, "breach-key-soon", detected_at=WHEN - timedelta(hours=60))
    later = await opened(breaches, "breach-key-later", detected_at=WHEN - timedelta(hours=2))
    told = await opened(breaches, "breach-key-told", detected_at=WHEN - timedelta(hours=90))
    await register.notify_regulator(
        told, regulator(WHEN - timedelta(hours=30)), by=STAFF, deps=breaches.deps
    )

    listed = await register.breach_register(breaches.deps)
    overdue = await register.breach_register(breaches.deps, overdue=True)
    notified_only = await register.breach_register(
        breaches.deps, state=BreachState.REGULATOR_NOTIFIED
    )

    assert [b.breach_id for b in listed.breaches] == [late, told, soon, later]
    assert [b.breach_id for b in overdue.breaches] == [late]
    assert [b.breach_id for b in notified_only.breaches] == [told]


async def test_the_report_names_the_controller_its_contact_and_the_breach(
    breaches: BreachWorld,
) -> None:
    breach_id = await notified(breaches)

    report = await register.breach_report(breach_id, breaches.deps)

    assert report.format == "allwan.breach-report/1"
    assert (report.controller, report.contact_email) == (
        "ALLWANSTORES",
        "privacy@allwanstores.com",
    )
    assert report.breach.breach_id == breach_id
    assert report.breach.state is BreachState.REGULATOR_NOTIFIED
    assert report.generated_at == WHEN


async def test_the_breach_job_counts_the_register_and_logs_an_overdue_breach_once_a_day(
    breaches: BreachWorld,
) -> None:
    late = await opened(breaches, "breach-key-late", detected_at=WHEN - timedelta(hours=73))
    await opened(breaches, "breach-key-soon", detected_at=WHEN - timedelta(hours=2))
    reported: list[BreachStats | None] = []
    watch = BreachWatch(
        breaches.deps.register, FakeOverdueLog(), FakeLease(), reported.append, breaches.clock
    )

    with capture_logs() as logs:
        stats = await watch_breaches(watch)
        await watch_breaches(watch)
        breaches.clock.advance(days=1)
        await watch_breaches(watch)

    assert stats is not None
    assert dict(stats.open_by_state) == {
        BreachState.OPEN: 2,
        BreachState.REGULATOR_NOTIFIED: 0,
        BreachState.CUSTOMERS_NOTIFIED: 0,
    }
    assert (stats.overdue, stats.hours_to_nearest_deadline) == (1, -1.0)
    overdue = [entry for entry in logs if entry["event"] == "privacy.breach_overdue"]
    assert [(entry["breach_id"], entry["days_overdue"]) for entry in overdue] == [
        (late, 1),
        (late, 2),
    ]
    assert len(reported) == 3


async def test_a_replica_without_the_lease_neither_counts_nor_logs(breaches: BreachWorld) -> None:
    await opened(breaches, detected_at=WHEN - timedelta(hours=80))
    reported: list[BreachStats | None] = []
    watch = BreachWatch(
        breaches.deps.register,
        FakeOverdueLog(),
        FakeLease(held=False),
        reported.append,
        breaches.clock,
    )

    with capture_logs() as logs:
        assert await watch_breaches(watch) is None

    assert reported == [None]
    assert logs == []


def test_the_metrics_report_breaches_by_state_overdue_and_hours_to_the_nearest_deadline() -> None:
    reader = InMemoryMetricReader()
    metrics = BreachMetrics(MeterProvider(metric_readers=[reader]).get_meter("test"))
    metrics.report(BreachStats({BreachState.OPEN: 2, BreachState.REGULATOR_NOTIFIED: 1}, 1, -3.5))

    data = reader.get_metrics_data()

    assert data is not None
    points: dict[tuple[str, str | None], float] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    assert isinstance(point, NumberDataPoint)
                    state = (point.attributes or {}).get("state")
                    points[(metric.name, None if state is None else str(state))] = point.value
    assert points == {
        (OPEN, "open"): 2,
        (OPEN, "regulator_notified"): 1,
        (OVERDUE, None): 1,
        (HOURS_TO_DEADLINE, None): -3.5,
    }
