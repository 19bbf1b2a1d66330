"""Dispatch rules, without a broker: route, retry transient failures, dead-letter poison."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from allwan_contracts import ConsentGranted, encode, new_envelope
from allwan_contracts.consent import ConsentEvidence, ConsentPurpose
from allwan_contracts.envelope import Envelope
from allwan_contracts.fields import Channel
from allwan_runtime.dispatch import (
    DeadLetter,
    Dispatcher,
    Outcome,
    RetryPolicy,
    StillFailing,
    TransientError,
    is_transient,
)
from pymongo.errors import AutoReconnect, OperationFailure


def granted() -> Envelope:
    event = ConsentGranted(
        customer_id="c-1",
        purpose=ConsentPurpose.MARKETING,
        channel=Channel.WEB,
        policy_version=1,
        recorded_by="customer",
        evidence=ConsentEvidence(),
    )
    return new_envelope(event, aggregate_version=1, producer="test", correlation_id=uuid.uuid4())


class Letters:
    def __init__(self) -> None:
        self.received: list[DeadLetter] = []

    async def __call__(self, letter: DeadLetter) -> None:
        self.received.append(letter)


FAST = RetryPolicy(max_attempts=3, initial_s=0.001, max_s=0.002)


async def test_a_known_event_reaches_its_handler_validated() -> None:
    seen: list[Any] = []

    async def handler(envelope: Envelope, event: Any) -> None:
        seen.append(event)

    letters = Letters()
    outcome = await Dispatcher({ConsentGranted: handler}).dispatch(encode(granted()), letters)
    assert outcome is Outcome.HANDLED
    assert isinstance(seen[0], ConsentGranted)
    assert letters.received == []


async def test_an_event_without_handler_is_ignored_not_dead_lettered() -> None:
    letters = Letters()
    outcome = await Dispatcher({}).dispatch(encode(granted()), letters)
    assert outcome is Outcome.IGNORED
    assert letters.received == []


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\x00\x01", "not_json"),
        (b"[]", "invalid_envelope"),
    ],
)
async def test_bad_bytes_are_dead_lettered_with_their_reason(raw: bytes, reason: str) -> None:
    letters = Letters()

    async def handler(envelope: Envelope, event: Any) -> None:
        raise AssertionError("must not be called")

    outcome = await Dispatcher({ConsentGranted: handler}).dispatch(raw, letters)
    assert outcome is Outcome.DEAD_LETTERED
    assert [letter.reason for letter in letters.received] == [reason]


async def test_transient_failures_are_retried_then_succeed_once() -> None:
    calls = 0

    async def flaky(envelope: Envelope, event: Any) -> None:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise AutoReconnect("primary stepped down")

    letters = Letters()
    dispatcher = Dispatcher({ConsentGranted: flaky}, retry=FAST)
    assert await dispatcher.dispatch(encode(granted()), letters) is Outcome.HANDLED
    assert calls == 3
    assert letters.received == []


async def test_transient_failures_beyond_the_retries_leave_the_record_unacknowledged() -> None:
    async def down(envelope: Envelope, event: Any) -> None:
        raise TransientError("mongo unreachable")

    letters = Letters()
    with pytest.raises(StillFailing):
        await Dispatcher({ConsentGranted: down}, retry=FAST).dispatch(encode(granted()), letters)
    assert letters.received == []  # not dead-lettered: it will be delivered again


async def test_a_handler_bug_is_dead_lettered_without_the_error_text() -> None:
    async def broken(envelope: Envelope, event: Any) -> None:
        raise ValueError("customer email is someone@example.com")

    letters = Letters()
    outcome = await Dispatcher({ConsentGranted: broken}).dispatch(encode(granted()), letters)
    assert outcome is Outcome.DEAD_LETTERED
    assert letters.received == [DeadLetter(reason="handler_error", detail="ValueError")]


def test_backoff_grows_exponentially_up_to_its_cap() -> None:
    policy = RetryPolicy(max_attempts=10, initial_s=0.5, max_s=3.0)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


async def test_an_event_type_no_contract_defines_is_dead_lettered() -> None:
    letters = Letters()
    unknown = granted().model_copy(update={"event_type": "NoSuchEvent"})
    outcome = await Dispatcher({}).dispatch(encode(unknown), letters)
    assert outcome is Outcome.DEAD_LETTERED
    assert [letter.reason for letter in letters.received] == ["unknown_event_type"]


INTERRUPTED = OperationFailure(
    "[msg_find.go:344 handler.handleMaxTimeMSError] [collection.go:94"
    " sqlite.(*collection).Query] interrupted (9)",
    code=1,
)


async def test_a_query_the_store_interrupted_under_load_is_retried_not_dead_lettered() -> None:
    calls = 0

    async def slow_store(envelope: Envelope, event: Any) -> None:
        nonlocal calls
        calls += 1
        if calls < 2:
            raise INTERRUPTED

    letters = Letters()
    dispatcher = Dispatcher({ConsentGranted: slow_store}, retry=FAST)
    assert await dispatcher.dispatch(encode(granted()), letters) is Outcome.HANDLED
    assert (calls, letters.received) == (2, [])


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (INTERRUPTED, True),
        (AutoReconnect("closed"), True),
        (OperationFailure("E11000 duplicate key", code=11000), False),
        (OperationFailure("unknown operator: $where", code=2), False),
        (ValueError("bad data"), False),
    ],
)
def test_only_failures_a_retry_may_cure_are_transient(
    error: BaseException, *, transient: bool
) -> None:
    assert is_transient(error) is transient
