"""Operators replay dead letters once the cause is fixed: each reaches its group again, once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from allwan_contracts import ConsentGranted, encode
from allwan_contracts.envelope import Envelope
from allwan_runtime import dead_letters
from allwan_runtime.settings import RuntimeSettings

from tests.integration.harness import grant, prepare_topics, running_consumer
from tests.integration.test_consumer import produce
from tests.waiting import eventually

pytestmark = pytest.mark.integration


class BrokenUntilFixed:
    """A handler with a bug (a deploy fixes it): it fails every record until ``fixed``."""

    def __init__(self) -> None:
        self.fixed = False
        self.handled: list[str] = []

    async def __call__(self, envelope: Envelope, event: Any) -> None:
        if not self.fixed:
            raise RuntimeError("a bug")
        self.handled.append(envelope.aggregate_id)


async def test_dead_letters_replayed_after_the_fix_are_handled_and_never_replayed_twice(
    settings: RuntimeSettings,
) -> None:
    group = f"itest-{uuid.uuid4().hex[:8]}"
    await prepare_topics(settings, group)
    customers = [f"c-{uuid.uuid4().hex}" for _ in range(3)]
    handler = BrokenUntilFixed()
    async with running_consumer(settings, group, {ConsentGranted: handler}):
        await produce(settings, [(c, encode(grant(c, 1))) for c in customers])

        async def all_dead_lettered() -> bool:
            return (await dead_letters.summarise(settings, group)).total == len(customers)

        await eventually(all_dead_lettered, timeout=60)
        listed = await dead_letters.summarise(settings, group)
        assert listed.reasons == {"handler_error": 3}
        assert listed.event_types == {"ConsentGranted": 3}
        assert listed.pending == 3

        dry = await dead_letters.replay(settings, group, dry_run=True)
        assert (dry.pending, dry.replayed) == (3, 0)
        assert handler.handled == []

        handler.fixed = True
        done = await dead_letters.replay(settings, group, ["handler_error"])
        assert done.replayed == 3

        async def all_handled() -> bool:
            return sorted(handler.handled) == sorted(customers)

        await eventually(all_handled, timeout=60)
        again = await dead_letters.replay(settings, group)
        assert again.replayed == 0
        after = await dead_letters.summarise(settings, group)
        assert (after.total, after.replayed, after.pending) == (3, 3, 0)


async def test_listing_a_group_without_dead_letters_says_so(settings: RuntimeSettings) -> None:
    with pytest.raises(LookupError):
        await dead_letters.summarise(settings, f"itest-none-{uuid.uuid4().hex[:8]}")
