"""The runtime guards the consent service puts around its handlers."""

from __future__ import annotations

from typing import Any

import pytest
from allwan_contracts import Envelope
from allwan_contracts.intake import ConsentAction
from allwan_runtime.dispatch import TransientError
from allwan_runtime.eventstore import ConcurrencyConflict
from allwan_runtime.guards import only_from, retry_on_conflict

from tests.unit.consent.fakes import consent_request, envelope

REQUEST = consent_request("cust-1", ConsentAction.WITHDRAW)


class Recorder:
    def __init__(self, conflicts: int = 0) -> None:
        self.calls = 0
        self.conflicts = conflicts

    async def __call__(self, delivered: Envelope, event: Any) -> None:
        self.calls += 1
        if self.calls <= self.conflicts:
            raise ConcurrencyConflict("customer:cust-1", self.calls)


async def test_s1_intake_from_anyone_but_the_gateway_is_not_obeyed() -> None:
    handler = Recorder()
    guarded = only_from(["gateway"], handler)

    await guarded(envelope(REQUEST, producer="intruder"), REQUEST)
    await guarded(envelope(REQUEST, producer="gateway"), REQUEST)

    assert handler.calls == 1


async def test_a_handler_that_lost_a_race_for_its_stream_runs_again() -> None:
    handler = Recorder(conflicts=2)

    await retry_on_conflict(handler)(envelope(REQUEST), REQUEST)

    assert handler.calls == 3


async def test_a_handler_that_keeps_losing_is_left_to_the_dispatchers_backoff() -> None:
    handler = Recorder(conflicts=10)

    with pytest.raises(TransientError):
        await retry_on_conflict(handler, attempts=3)(envelope(REQUEST), REQUEST)
    assert handler.calls == 3
