"""What a Kafka client is doing inside, read from aiokafka's and FastStream's own state.

aiokafka exposes no public view of its group coordination or its metadata task; these
readers take what the supervisor needs (``allwan_runtime.supervisor``) from its private
attributes, each read defensively (``getattr`` with a default), so a change of those
internals makes a reader see nothing rather than fail: a consumer is then restarted only
for stalls the supervisor's lag probe sees.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer


def coordinator_search(consumer: AIOKafkaConsumer) -> object | None:
    """None while the consumer's group has a coordinator (aiokafka's own view); otherwise a
    token of the coordinator it last found, which changes whenever it finds one again."""
    coordinator = getattr(consumer, "_coordinator", None)
    if coordinator is None or getattr(coordinator, "coordinator_id", 0) is not None:
        return None
    # aiokafka makes a new "coordinator dead" future each time it discovers the coordinator.
    token: object = getattr(coordinator, "_coordinator_dead_fut", None) or coordinator
    return token


def consume_loop_ended(subscriber: Any) -> str | None:
    """Why the subscriber's consume loop ended while the subscriber runs, if it did.

    FastStream restarts a failed loop (a second later: ``consumer._PromptBatchSubscriber``)
    with the same client, which may be broken for good; the supervisor restarts the
    subscriber with a new one at its next check.
    """
    for task in getattr(subscriber, "tasks", ()):
        if not task.done():
            continue
        if task.cancelled():
            return "consume loop cancelled"
        error = task.exception()
        return (
            "consume loop ended"
            if error is None
            else f"consume loop failed: {type(error).__name__}"
        )
    return None


def suspended_at(task: asyncio.Task[Any] | None) -> str:
    """Where ``task`` waits, innermost last (``function:line`` of each coroutine it awaits
    through): what a stuck client was waiting for, for the log of its restart."""
    if task is None:
        return "no task"
    if task.done():
        if task.cancelled():
            return "cancelled"
        error = task.exception()
        return "done" if error is None else f"failed: {type(error).__name__}"
    where: list[str] = []
    awaited: Any = task.get_coro()
    while awaited is not None and len(where) < 12:
        frame = getattr(awaited, "cr_frame", None)
        if frame is None:
            where.append(type(awaited).__name__)
            break
        where.append(f"{frame.f_code.co_name}:{frame.f_lineno}")
        awaited = getattr(awaited, "cr_await", None)
    return " > ".join(where)


def coordination_state(consumer: AIOKafkaConsumer) -> dict[str, Any]:
    """What aiokafka's group coordination of ``consumer`` is doing, for a restart's log."""
    coordinator = getattr(consumer, "_coordinator", None)
    if coordinator is None:
        return {}
    lock = getattr(coordinator, "_coordinator_lookup_lock", None)
    return {
        "coordination": suspended_at(getattr(coordinator, "_coordination_task", None)),
        "heartbeat": suspended_at(getattr(coordinator, "_heartbeat_task", None)),
        "lookup_locked": bool(lock is not None and lock.locked()),
        "metadata": suspended_at(_metadata_task(consumer)),
    }


def _metadata_task(consumer: AIOKafkaConsumer) -> asyncio.Task[Any] | None:
    task: asyncio.Task[Any] | None = getattr(getattr(consumer, "_client", None), "_sync_task", None)
    return task


def metadata_refresh_ended(consumer: AIOKafkaConsumer) -> str | None:
    """Why the consumer can never refresh its metadata again, if it cannot.

    aiokafka's client refreshes metadata in one task for its whole life; once that task has
    ended, every wait for a refresh (each coordinator lookup among them) waits forever. Seen
    with uvloop until ``allwan_runtime.kafka`` guarded the connection's writes.
    """
    task = _metadata_task(consumer)
    if task is None or not task.done() or getattr(consumer, "_closed", False):
        return None
    return "metadata refresh ended"


def coordination_failed(consumer: AIOKafkaConsumer) -> BaseException | None:
    """The error that ended the consumer's group coordination, if it ended."""
    coordinator = getattr(consumer, "_coordinator", None)
    task: asyncio.Task[Any] | None = getattr(coordinator, "_coordination_task", None)
    if task is None or not task.done() or getattr(consumer, "_closed", False):
        return None
    if task.cancelled():
        return asyncio.CancelledError()
    return task.exception() or RuntimeError("group coordination ended")
