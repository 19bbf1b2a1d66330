"""A consumer that stopped reading is restarted in process, and what it had not committed is
delivered again: after a broker restart the Kafka client could stay stuck for good (an offset
commit that never returned; group coordination that died on an error it did not expect)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiokafka import AIOKafkaConsumer
from allwan_contracts import ConsentGranted, Envelope
from allwan_contracts.topics import CONSENT
from allwan_runtime.handlers import Handlers
from allwan_runtime.logs import FASTSTREAM_LOGGER
from allwan_runtime.service import ServiceRuntime
from allwan_runtime.settings import RuntimeSettings
from allwan_runtime.supervisor import ConsumerSupervisor

from tests.integration.harness import consumers_joined, grant
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


async def note(event: ConsentGranted, envelope: Envelope, seen: list[int]) -> None:
    seen.append(envelope.aggregate_version)


def handled(seen: list[int], *versions: int) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return set(versions) <= set(seen)

    return probe


def restarted(supervisor: ConsumerSupervisor) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return supervisor.restarts >= 1

    return probe


@pytest.fixture
async def running(settings: RuntimeSettings) -> AsyncIterator[tuple[ServiceRuntime, list[int]]]:
    tuned = settings.model_copy(
        update={
            "service_name": f"sup{uuid.uuid4().hex[:8]}",
            "consumer_restart_after_s": 3.0,
            "consumer_check_interval_s": 0.5,
        }
    )
    runtime = ServiceRuntime(tuned, relay=False)
    seen: list[int] = []
    handlers = Handlers(seen)
    handlers.on(ConsentGranted, note)
    runtime.consume("probe", [CONSENT.name], handlers)
    async with runtime.running():
        await consumers_joined(runtime.broker)
        yield runtime, seen


async def publish(runtime: ServiceRuntime, customer: str, version: int) -> None:
    envelope = grant(customer, version)
    await runtime.broker.publish(
        envelope.model_dump_json().encode(),
        topic=runtime.topic(CONSENT.name),
        key=customer.encode(),
    )


async def state_of(consumer: AIOKafkaConsumer) -> dict[str, object]:
    """Each assigned partition's position (if known within a second) and high watermark."""
    state: dict[str, object] = {}
    for tp in sorted(consumer.assignment()):
        try:
            position: object = await asyncio.wait_for(consumer.position(tp), 1)
        except Exception as error:
            position = type(error).__name__
        state[f"{tp.topic}[{tp.partition}]"] = (position, consumer.highwater(tp))
    return state


def live_consumer(runtime: ServiceRuntime) -> AIOKafkaConsumer:
    consumer = runtime.broker.subscribers[0].consumer  # type: ignore[attr-defined]
    assert isinstance(consumer, AIOKafkaConsumer)
    return consumer


async def test_a_consumer_wedged_in_an_offset_commit_is_restarted_and_reads_on(
    running: tuple[ServiceRuntime, list[int]],
) -> None:
    runtime, seen = running
    customer = f"c-{uuid.uuid4().hex}"
    await publish(runtime, customer, 1)
    await eventually(handled(seen, 1), what="the first record handled")

    wedged = live_consumer(runtime)

    async def never_returns(*args: object, **kwargs: object) -> None:
        await asyncio.Event().wait()

    wedged.commit = never_returns
    await publish(runtime, customer, 2)
    await eventually(handled(seen, 2), what="the record whose commit hangs handled")
    # Published only now: the client, no longer polled, fetches nothing more, so only the
    # broker knows this record is waiting.
    await publish(runtime, customer, 3)

    try:
        await eventually(handled(seen, 2, 3), timeout=60, what="records after the wedge handled")
    except BaseException:
        print("wedged consumer:", await state_of(wedged), "handled:", seen)
        raise
    [supervisor] = runtime.supervision.supervisors
    await eventually(restarted(supervisor), what="the restart finished")
    assert live_consumer(runtime) is not wedged
    assert seen.count(2) >= 1  # handled before the commit hung, maybe again after: at least once


async def test_a_consumer_whose_group_coordination_died_is_restarted_and_reads_on(
    running: tuple[ServiceRuntime, list[int]],
) -> None:
    runtime, seen = running
    customer = f"c-{uuid.uuid4().hex}"
    await publish(runtime, customer, 1)
    await eventually(handled(seen, 1), what="the first record handled")

    broken = live_consumer(runtime)
    broken._coordinator._coordination_task.cancel()
    await publish(runtime, customer, 2)

    await eventually(handled(seen, 2), timeout=60, what="the record after the failure handled")
    [supervisor] = runtime.supervision.supervisors
    await eventually(restarted(supervisor), what="the restart finished")
    assert supervisor.restarts == 1
    assert live_consumer(runtime) is not broken


async def test_a_consume_loop_that_fails_at_once_is_logged_and_restarted_with_a_new_client(
    running: tuple[ServiceRuntime, list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    """A client whose every poll fails at once (seen: its transport closed for good). FastStream
    restarted the loop at once with the same client, again and again, and kept every task: the
    process burned its CPU and its MongoDB calls timed out. Now the loop is restarted a second
    later at most, it is logged, and the supervisor restarts the subscriber with a new client."""
    runtime, seen = running
    subscriber = runtime.broker.subscribers[0]
    broken = live_consumer(runtime)
    polls: list[int] = []

    async def fails(*args: object, **kwargs: object) -> object:
        polls.append(1)
        raise RuntimeError("unable to perform operation on a closed transport")

    capsys.readouterr()
    broken.getmany = fails
    customer = f"c-{uuid.uuid4().hex}"
    await publish(runtime, customer, 1)

    await eventually(handled(seen, 1), timeout=60, what="the record after the failure handled")
    [supervisor] = runtime.supervision.supervisors
    await eventually(restarted(supervisor), what="the restart finished")
    assert live_consumer(runtime) is not broken
    assert 1 <= len(polls) <= 3  # a paced restart or two before the supervisor's, not a spin
    assert len(subscriber.tasks) == 1  # type: ignore[attr-defined]

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line[:1] == "{"]
    failed = [line for line in lines if line.get("logger") == FASTSTREAM_LOGGER]
    assert [line["level"] for line in failed] == ["error"]
    assert "raised an exception" in failed[0]["event"]
    assert "RuntimeError" in failed[0]["exception"]
    [restart] = [line for line in lines if line.get("event") == "consumer.restarting"]
    assert restart["reason"] == "consume loop failed: RuntimeError"
