"""The consumer supervisor's rules, without servers: when a stalled consumer is restarted, and
that time without the broker is not counted as time without progress."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import pytest
from aiokafka import TopicPartition
from allwan_runtime import supervisor as supervision
from allwan_runtime.client_state import suspended_at
from allwan_runtime.supervisor import ConsumerSupervisor

TP = TopicPartition("allwan.orders.intake", 0)
RESTART_AFTER_S = 0.2


@dataclass
class FakeCoordinator:
    """aiokafka's group coordinator as the supervisor reads it: a new "dead" future each time
    the coordinator is found."""

    coordinator_id: int | None = 1
    _coordinator_dead_fut: object = field(default_factory=object)

    def lose(self) -> None:
        self.coordinator_id = None

    def find(self) -> None:
        self.coordinator_id = 1
        self._coordinator_dead_fut = object()


@dataclass
class FakeClient:
    """aiokafka's client as the supervisor reads it: the task that refreshes its metadata."""

    _sync_task: asyncio.Task[object]


@dataclass
class FakeConsumer:
    """What the supervisor's probe reads of an AIOKafkaConsumer: records waiting at 10..15."""

    position_at: int = 10
    end: int = 15
    _coordinator: FakeCoordinator = field(default_factory=FakeCoordinator)
    _client: FakeClient | None = None

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    async def position(self, tp: TopicPartition) -> int:
        return self.position_at

    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return dict.fromkeys(tps, self.end)

    def highwater(self, tp: TopicPartition) -> int:
        return self.end


@dataclass
class FakeSubscriber:
    """FastStream's subscriber as the supervisor sees it; ``tasks`` holds its consume loop."""

    consumer: FakeConsumer | None = field(default_factory=FakeConsumer)
    running: bool = True
    starts: int = 0
    tasks: list[asyncio.Task[object]] = field(default_factory=list)

    async def start(self) -> None:
        self.starts += 1
        self.consumer = FakeConsumer(end=10)
        self.tasks = [asyncio.create_task(asyncio.Event().wait())]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        self.tasks.clear()
        self.consumer = None


async def checked(supervisor: ConsumerSupervisor, broker_answers: bool = True) -> None:
    """One check, and the restart it started (if any) through."""
    await supervisor.check(broker_answers)
    await supervisor.settled()


def idle_group(
    monkeypatch: pytest.MonkeyPatch, group: str
) -> tuple[ConsumerSupervisor, FakeCoordinator]:
    """A consumer with nothing waiting (so no stall) and its coordinator, lost after 0.1 s."""
    monkeypatch.setattr(supervision, "COORDINATOR_LOST_S", 0.1)
    consumer = FakeConsumer(end=10)
    supervisor = ConsumerSupervisor(group, FakeSubscriber(consumer=consumer), lambda: 0.0, 60.0)
    return supervisor, consumer._coordinator


def supervised() -> tuple[ConsumerSupervisor, FakeSubscriber]:
    subscriber = FakeSubscriber()
    return ConsumerSupervisor("orders.intake", subscriber, lambda: 0.0, RESTART_AFTER_S), subscriber


async def test_a_consumer_with_records_waiting_that_moves_on_none_is_restarted() -> None:
    supervisor, subscriber = supervised()
    await checked(supervisor)
    await asyncio.sleep(RESTART_AFTER_S * 1.5)
    await checked(supervisor)
    assert supervisor.restarts == 1
    assert subscriber.starts == 1


async def test_a_consumer_that_moves_is_left_alone() -> None:
    supervisor, subscriber = supervised()
    await checked(supervisor)
    await asyncio.sleep(RESTART_AFTER_S * 1.5)
    assert subscriber.consumer is not None
    subscriber.consumer.position_at = 11
    await checked(supervisor)
    assert supervisor.restarts == 0


async def test_time_without_the_broker_does_not_count_as_a_stall() -> None:
    supervisor, _ = supervised()
    await checked(supervisor)
    # The broker is away for longer than the stall limit: nothing can move, nothing restarts.
    for _ in range(3):
        await asyncio.sleep(RESTART_AFTER_S * 0.6)
        await checked(supervisor, broker_answers=False)
    assert supervisor.restarts == 0
    # Back: the client gets its full time to move from now on...
    await checked(supervisor)
    assert supervisor.restarts == 0
    # ...and is restarted once it has not used it.
    await asyncio.sleep(RESTART_AFTER_S * 1.5)
    await checked(supervisor)
    assert supervisor.restarts == 1


async def test_a_busy_handler_is_not_taken_for_a_stall() -> None:
    subscriber = FakeSubscriber()
    supervisor = ConsumerSupervisor("orders.intake", subscriber, lambda: 1.0, RESTART_AFTER_S)
    await checked(supervisor)
    await asyncio.sleep(RESTART_AFTER_S * 1.5)
    await checked(supervisor)
    assert supervisor.restarts == 0


async def test_a_group_without_a_coordinator_while_the_broker_answers_is_restarted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # After a Kafka restart one group's coordination never looked for its coordinator again.
    supervisor, coordinator = idle_group(monkeypatch, "orders.views")
    coordinator.lose()
    await checked(supervisor)  # lost just now: it may be looking for it
    assert supervisor.restarts == 0
    await asyncio.sleep(0.15)
    await checked(supervisor)
    assert supervisor.restarts == 1


async def test_a_consumer_whose_metadata_refresh_ended_is_restarted_at_once() -> None:
    # Its coordinator lookups wait for a refresh that never comes: no point waiting for
    # COORDINATOR_LOST_S to say so.
    async def refresh_failed() -> None:
        raise RuntimeError("unable to perform operation on <TCPTransport closed=True>")

    refreshing = asyncio.create_task(refresh_failed())
    with contextlib.suppress(RuntimeError):
        await refreshing
    consumer = FakeConsumer(end=10, _client=FakeClient(refreshing))
    subscriber = FakeSubscriber(consumer=consumer)
    supervisor = ConsumerSupervisor("gateway.order-views", subscriber, lambda: 0.0, 60.0)

    await checked(supervisor)

    assert (supervisor.restarts, subscriber.starts) == (1, 1)
    assert subscriber.consumer is not consumer


async def test_a_consumer_whose_metadata_refresh_runs_is_left_alone() -> None:
    refreshing = asyncio.create_task(asyncio.Event().wait())
    consumer = FakeConsumer(end=10, _client=FakeClient(refreshing))
    supervisor = ConsumerSupervisor(
        "gateway.order-views", FakeSubscriber(consumer), lambda: 0.0, 60.0
    )
    await checked(supervisor)
    assert supervisor.restarts == 0
    refreshing.cancel()


async def test_a_coordinator_lost_while_the_broker_is_away_and_found_again_is_no_fault(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    supervisor, coordinator = idle_group(monkeypatch, "orders.views")
    coordinator.lose()
    for _ in range(3):  # the broker is away: a group cannot find its coordinator
        await checked(supervisor, broker_answers=False)
        await asyncio.sleep(0.06)
    await checked(supervisor)  # back: the clock starts now
    coordinator.find()  # found within the limit
    await asyncio.sleep(0.15)
    await checked(supervisor)
    assert supervisor.restarts == 0


async def test_a_group_that_keeps_finding_its_coordinator_and_losing_it_is_left_to_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A broker still loading its groups answers "not the coordinator": the group looks for it
    # again and again. It is not stuck, and a new client would meet the same broker.
    supervisor, coordinator = idle_group(monkeypatch, "consent.whatsapp")
    for _ in range(4):
        coordinator.lose()
        await checked(supervisor)
        await asyncio.sleep(0.06)
        coordinator.find()
        coordinator.lose()
        await asyncio.sleep(0.06)
    assert supervisor.restarts == 0


async def test_a_restart_that_hangs_does_not_hold_up_the_other_consumers() -> None:
    hanging = FakeSubscriber()
    started = asyncio.Event()

    async def never_starts() -> None:
        started.set()
        await asyncio.Event().wait()

    hanging.start = never_starts  # type: ignore[method-assign]
    stuck = ConsumerSupervisor("orders.intake", hanging, lambda: 0.0, RESTART_AFTER_S)
    other = ConsumerSupervisor("orders.views", FakeSubscriber(), lambda: 0.0, RESTART_AFTER_S)
    for supervisor in (stuck, other):
        await supervisor.check()
    await asyncio.sleep(RESTART_AFTER_S * 1.5)
    async with asyncio.timeout(1.0):  # the hanging start is not waited for
        await asyncio.gather(stuck.check(), other.check())
    await started.wait()
    await other.settled()
    assert other.restarts == 1
    await stuck.close()


def unstoppable(
    monkeypatch: pytest.MonkeyPatch, *, static_member: bool, dynamic_s: float, static_s: float
) -> tuple[ConsumerSupervisor, FakeSubscriber]:
    """A subscriber whose client cannot close (it lost its coordinator: aiokafka waits for its
    coordination to end), stopped within ``dynamic_s`` as a dynamic member, ``static_s`` as
    a static one."""
    monkeypatch.setattr(supervision, "_STOP_TIMEOUT_S", dynamic_s)
    monkeypatch.setattr(supervision, "_STATIC_STOP_TIMEOUT_S", static_s)
    subscriber = FakeSubscriber()

    async def never_stops() -> None:
        await asyncio.Event().wait()

    subscriber.stop = never_stops  # type: ignore[method-assign]
    supervisor = ConsumerSupervisor(
        "orders.intake", subscriber, lambda: 0.0, RESTART_AFTER_S, static_member=static_member
    )
    return supervisor, subscriber


async def test_a_static_member_that_cannot_stop_is_replaced_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its successor takes its place under the same instance id: nothing to wait for."""
    static, subscriber = unstoppable(monkeypatch, static_member=True, dynamic_s=30.0, static_s=0.05)

    async with asyncio.timeout(5.0):
        await static.restart("no group coordinator")

    assert (static.restarts, subscriber.starts) == (1, 1)


async def test_a_dynamic_member_that_cannot_stop_is_given_the_time_to_leave_its_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Dropped while still open, it would stay a member and hold partitions it never reads."""
    dynamic, subscriber = unstoppable(
        monkeypatch, static_member=False, dynamic_s=0.5, static_s=0.01
    )

    restarting = asyncio.create_task(dynamic.restart("no group coordinator"))
    await asyncio.sleep(0.2)
    assert subscriber.starts == 0  # still waiting for the client to close
    await restarting
    assert (dynamic.restarts, subscriber.starts) == (1, 1)


async def ended(loop: object) -> asyncio.Task[object]:
    """A consume-loop task that has ended the way ``loop`` says: failed with it, or returned."""

    async def run() -> object:
        if isinstance(loop, BaseException):
            raise loop
        return None

    task = asyncio.create_task(run())
    with contextlib.suppress(BaseException):
        await task
    return task


@pytest.mark.parametrize("loop", [RuntimeError("transport closed"), None])
async def test_a_subscriber_whose_consume_loop_ended_is_restarted_at_the_next_check(
    loop: object,
) -> None:
    """FastStream restarted a failed loop at once, with the same broken client, in a loop that
    starved the process; the loop is left ended and the subscriber restarted, once per check."""
    consumer = FakeConsumer(end=10)  # nothing waiting: no stall
    subscriber = FakeSubscriber(consumer=consumer, tasks=[await ended(loop)])
    supervisor = ConsumerSupervisor("gateway.views", subscriber, lambda: 0.0, 60.0)

    await checked(supervisor)

    assert (supervisor.restarts, subscriber.starts) == (1, 1)
    assert subscriber.consumer is not consumer
    [running] = subscriber.tasks
    assert not running.done()
    await checked(supervisor)  # its new loop runs: nothing more to do
    assert supervisor.restarts == 1
    await subscriber.stop()


async def test_the_log_of_a_restart_says_where_the_client_waited() -> None:
    gate = asyncio.Event()

    async def lookup() -> None:
        await gate.wait()

    async def coordination() -> None:
        await lookup()

    waiting = asyncio.create_task(coordination())
    await asyncio.sleep(0)
    where = suspended_at(waiting)
    assert where.startswith("coordination:")
    assert " > lookup:" in where
    assert " > wait:" in where
    gate.set()
    await waiting
    assert suspended_at(waiting) == "done"
    assert suspended_at(None) == "no task"

    async def refresh() -> None:
        raise RuntimeError("the handler is closed")

    failed = asyncio.create_task(refresh())
    with contextlib.suppress(RuntimeError):
        await failed
    assert suspended_at(failed) == "failed: RuntimeError"
