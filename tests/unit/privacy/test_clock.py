"""The deadline job with a moved clock, never by waiting: exports destroyed after 7 days,
WhatsApp erasures cancelled after 24 hours unconfirmed, overdue requests logged once a day,
and the metrics of open requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from allwan_contracts.privacy import (
    PrivacyRequestKind,
    PrivacyRequestStarted,
)
from allwan_contracts.privacy import (
    PrivacyRequestState as State,
)
from allwan_contracts.privacy_intake import (
    PrivacyRequestCancellationRequested,
)
from allwan_privacy.adapters.metrics import OLDEST_DUE, OPEN, OVERDUE, RequestMetrics
from allwan_privacy.domain.request import ExportStatus
from allwan_privacy.handlers.clock import (
    Clock,
    OpenRequest,
    RequestStats,
    note_overdue,
    watch_deadlines,
)
from allwan_privacy.handlers.exporting import download
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint
from structlog.testing import capture_logs

from tests.unit.privacy.conftest import SERVICES, World, make_world
from tests.unit.privacy.fakes import (
    CUSTOMER,
    WHEN,
    FakeLease,
    FakeOverdueLog,
    exported,
    submitted,
    whatsapp_erasure,
)


class ReadModel:
    """``DueRequests`` from the aggregates themselves (the read model mirrors them)."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def open_requests(self) -> list[OpenRequest]:
        found = []
        for request_id in await self.world.deps.requests.ids():
            request = await self.world.request(request_id)
            if request.open and request.receipt and request.state:
                found.append(
                    OpenRequest(
                        request_id,
                        request.receipt.kind,
                        request.state,
                        request.receipt.received_at,
                        request.deadline,
                        request.awaiting_confirmation,
                    )
                )
        return found


def clock_of(world: World, lease: FakeLease | None = None) -> tuple[Clock, list[object]]:
    reports: list[object] = []
    clock = Clock(
        world.deps, ReadModel(world), FakeOverdueLog(), lease or FakeLease(), reports.append
    )
    return clock, reports


async def completed_access(world: World) -> str:
    asked = submitted()
    await world.send(asked)
    for service in SERVICES:
        await world.answer(exported(world.secrets, asked.request_id, service))
    return asked.request_id


async def test_the_export_is_destroyed_7_days_after_completion_and_then_gone(world: World) -> None:
    request_id = await completed_access(world)
    clock, _ = clock_of(world)

    world.clock.advance(days=7, seconds=-1)
    await watch_deadlines(clock)
    assert request_id in world.exports.exports
    world.clock.advance(seconds=1)
    await watch_deadlines(clock)
    await watch_deadlines(clock)

    assert world.types(request_id).count("PrivacyExportDestroyed") == 1
    assert request_id not in world.exports.exports
    gone = await download(request_id, CUSTOMER, "json", world.deps)
    assert gone.status is ExportStatus.GONE


async def test_an_export_past_its_days_is_gone_even_before_the_job_destroys_it(
    world: World,
) -> None:
    request_id = await completed_access(world)
    world.clock.advance(days=7)

    found = await download(request_id, CUSTOMER, "json", world.deps)

    assert found.status is ExportStatus.GONE
    assert found.body is None


async def test_an_unconfirmed_whatsapp_erasure_is_cancelled_after_24_hours(world: World) -> None:
    asked = whatsapp_erasure()
    await world.send(asked, producer="consent")
    clock, _ = clock_of(world)

    world.clock.advance(hours=24)
    await watch_deadlines(clock)
    assert world.types(asked.request_id) == ["PrivacyRequestReceived"]
    world.clock.advance(minutes=11)
    await watch_deadlines(clock)

    cancelled = world.events(asked.request_id)[-1]
    assert type(cancelled).__name__ == "PrivacyRequestCancelled"
    assert cancelled.by == "service:privacy"
    assert world.slots.slots == {}, "a new erasure request can be made"


async def test_a_web_erasure_waits_its_grace_period_verified_and_can_be_cancelled_in_it() -> None:
    world = make_world(erasure_grace=timedelta(minutes=15))
    asked = submitted(kind=PrivacyRequestKind.ERASURE)
    await world.send(asked)
    clock, _ = clock_of(world)

    world.clock.advance(minutes=14)
    await watch_deadlines(clock)
    waiting = world.types(asked.request_id)
    world.clock.advance(minutes=1)
    await watch_deadlines(clock)

    assert waiting == ["PrivacyRequestReceived", "PrivacyRequestIdentityVerified"]
    started = world.events(asked.request_id)[-1]
    assert isinstance(started, PrivacyRequestStarted)
    assert started.at == WHEN + timedelta(minutes=15)


async def test_an_erasure_cancelled_in_its_grace_period_never_starts() -> None:
    world = make_world(erasure_grace=timedelta(minutes=15))
    asked = submitted(kind=PrivacyRequestKind.ERASURE)
    await world.send(asked)
    await world.send(
        PrivacyRequestCancellationRequested(
            request_id=asked.request_id,
            customer_id=asked.customer_id,
            requested_by="customer",
            requested_at=WHEN + timedelta(minutes=5),
        )
    )
    clock, _ = clock_of(world)

    world.clock.advance(hours=1)
    await watch_deadlines(clock)

    assert world.types(asked.request_id)[-1] == "PrivacyRequestCancelled"
    assert "PrivacyRequestStarted" not in world.types(asked.request_id)


async def test_an_access_request_does_not_wait_for_the_erasure_grace_period() -> None:
    world = make_world(erasure_grace=timedelta(minutes=15))
    asked = submitted(kind=PrivacyRequestKind.ACCESS)
    await world.send(asked)

    assert world.types(asked.request_id)[-1] == "PrivacyRequestStarted"


async def test_a_replica_without_the_lease_does_nothing_and_reports_no_counts(
    world: World,
) -> None:
    request_id = await completed_access(world)
    clock, reports = clock_of(world, FakeLease(held=False))
    world.clock.advance(days=8)

    assert await watch_deadlines(clock) is None

    assert request_id in world.exports.exports
    assert reports == [None]


async def test_an_overdue_request_is_logged_as_an_error_once_per_late_day(world: World) -> None:
    asked = submitted(PrivacyRequestKind.ERASURE)
    await world.send(asked)
    clock, reports = clock_of(world)

    with capture_logs() as logs:
        world.clock.advance(days=30)
        await watch_deadlines(clock)
        world.clock.advance(hours=1)
        await watch_deadlines(clock)
        await watch_deadlines(clock)
        world.clock.advance(days=1)
        await watch_deadlines(clock)

    overdue = [line for line in logs if line["event"] == "privacy.request_overdue"]
    assert [(line["log_level"], line["days_overdue"]) for line in overdue] == [
        ("error", 1),
        ("error", 2),
    ]
    assert all(
        set(line) <= {"event", "log_level", "request_id", "days_overdue", "state"}
        for line in overdue
    )
    stats = reports[-1]
    assert isinstance(stats, RequestStats)
    assert stats.overdue == 1
    assert stats.open_by_state[State.IN_PROGRESS] == 1
    assert stats.oldest_deadline == WHEN + timedelta(days=30)


async def test_the_counts_cover_every_open_state_and_the_earliest_deadline() -> None:
    def seen(request_id: str, state: State, deadline: datetime) -> OpenRequest:
        return OpenRequest(request_id, PrivacyRequestKind.ACCESS, state, WHEN, deadline, False)

    stats = await note_overdue(
        FakeOverdueLog(),
        [
            seen("a", State.RECEIVED, WHEN + timedelta(days=30)),
            seen("b", State.IN_PROGRESS, WHEN + timedelta(days=2)),
            seen("c", State.IN_PROGRESS, WHEN + timedelta(days=40)),
        ],
        WHEN + timedelta(days=3),
    )

    assert dict(stats.open_by_state) == {
        State.RECEIVED: 1,
        State.IDENTITY_VERIFIED: 0,
        State.IN_PROGRESS: 2,
    }
    assert stats.oldest_deadline == WHEN + timedelta(days=2)
    assert stats.overdue == 1


def test_the_metrics_report_open_requests_by_state_the_oldest_due_date_and_overdue() -> None:
    reader = InMemoryMetricReader()
    metrics = RequestMetrics(MeterProvider(metric_readers=[reader]).get_meter("test"))
    due = datetime(2026, 4, 1, tzinfo=UTC)
    metrics.report(RequestStats({State.RECEIVED: 2, State.IN_PROGRESS: 1}, due, 1))

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
        (OPEN, "received"): 2,
        (OPEN, "in_progress"): 1,
        (OLDEST_DUE, None): due.timestamp(),
        (OVERDUE, None): 1,
    }


def test_a_replica_that_stopped_counting_reports_no_metrics() -> None:
    reader = InMemoryMetricReader()
    metrics = RequestMetrics(MeterProvider(metric_readers=[reader]).get_meter("test"))
    metrics.report(RequestStats({State.RECEIVED: 2}, WHEN, 0))
    metrics.report(None)

    data = reader.get_metrics_data()

    points = [
        point
        for resource in (data.resource_metrics if data else [])
        for scope in resource.scope_metrics
        for metric in scope.metrics
        for point in metric.data.data_points
    ]
    assert points == []
