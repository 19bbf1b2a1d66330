"""A service that starts while its broker does not answer yet waits for it."""

from __future__ import annotations

import pytest
from aiokafka.errors import NodeNotReadyError, TopicAuthorizationFailedError
from allwan_runtime.dispatch import RetryPolicy
from allwan_runtime.kafka import when_kafka_answers

QUICK = RetryPolicy(max_attempts=4, initial_s=0.001, max_s=0.001)


class Flaky:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "done"


async def test_a_broker_that_answers_after_a_while_is_waited_for() -> None:
    operation = Flaky([NodeNotReadyError("starting"), NodeNotReadyError("starting")])
    assert await when_kafka_answers(operation, "test", QUICK) == "done"
    assert operation.calls == 3


async def test_a_refusal_is_not_retried() -> None:
    operation = Flaky([TopicAuthorizationFailedError("no")])
    with pytest.raises(TopicAuthorizationFailedError):
        await when_kafka_answers(operation, "test", QUICK)
    assert operation.calls == 1


async def test_a_broker_that_never_answers_fails_the_start_after_the_last_attempt() -> None:
    operation = Flaky([NodeNotReadyError("down")] * 10)
    with pytest.raises(NodeNotReadyError):
        await when_kafka_answers(operation, "test", QUICK)
    assert operation.calls == QUICK.max_attempts
