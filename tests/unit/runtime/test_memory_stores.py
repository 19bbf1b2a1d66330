"""The in-memory event store, key store and repository keep the real ones' contract.

The same rules are proven on a real server in tests/integration/test_eventstore.py and
test_keystore.py (key generations included); unit tests of every service run their handlers on
these.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from allwan_contracts import OrderPaid, OrderPlaced
from allwan_contracts.sealed import subject_of
from allwan_runtime.aggregate import Aggregate
from allwan_runtime.eventstore import ConcurrencyConflict, stream_id
from allwan_runtime.keystore import ERASED, InMemoryKeyStore, Purpose, PurposeNotGranted
from allwan_runtime.memory import InMemoryEventStore
from allwan_runtime.recorder import EventRecorder
from allwan_runtime.repository import AggregateRepository

from tests.builders import probe_envelopes
from tests.unit.contracts.factories import SAMPLES

PAID = SAMPLES[OrderPaid]
ORDER = PAID.aggregate_id()


class Tally(Aggregate):
    """An order-typed aggregate that counts the events it recorded."""

    aggregate_type = "order"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.count = 0

    def apply(self, event: Any) -> None:
        self.count += 1

    def add(self) -> None:
        self.record(PAID)


async def test_a_new_stream_race_has_one_winner() -> None:
    store = InMemoryEventStore()
    results = await asyncio.gather(
        *(store.append(probe_envelopes("p", 1, 1), expected_version=0) for _ in range(5)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, int) for r in results) == 1
    assert sum(isinstance(r, ConcurrencyConflict) for r in results) == 4


async def test_a_stale_writer_inside_a_commit_or_beyond_the_head_is_refused() -> None:
    store = InMemoryEventStore()
    await store.append(probe_envelopes("p", 1, 3), expected_version=0)
    with pytest.raises(ConcurrencyConflict):
        await store.append(probe_envelopes("p", 2, 1), expected_version=1)
    with pytest.raises(ConcurrencyConflict):
        await store.append(probe_envelopes("p", 6, 1), expected_version=5)
    assert [e.aggregate_version for e in await store.load("probe:p")] == [1, 2, 3]


async def test_events_out_of_sequence_are_rejected_before_writing() -> None:
    store = InMemoryEventStore()
    with pytest.raises(ValueError, match="does not follow"):
        await store.append(probe_envelopes("p", 2, 1), expected_version=0)
    assert await store.load("probe:p") == []


async def test_stream_ids_lists_one_aggregate_type_only() -> None:
    store = InMemoryEventStore()
    await store.append(probe_envelopes("b", 1, 1), expected_version=0)
    await store.append(probe_envelopes("a", 1, 2), expected_version=0)
    repository = AggregateRepository(store, Tally, "test")
    assert await store.stream_ids("probe") == ["a", "b"]
    assert await repository.ids() == []  # the orders' type has no stream yet


async def test_a_lost_race_leaves_the_aggregate_untouched_and_a_reload_wins() -> None:
    store = InMemoryEventStore()
    tallies = AggregateRepository(store, Tally, "test")
    tally = await tallies.get(ORDER)
    tally.add()
    store.conflicts_to_raise = 1

    with pytest.raises(ConcurrencyConflict):
        await tallies.save(tally, correlation_id=uuid.uuid4())
    assert (tally.version, len(tally.pending), tally.count) == (0, 1, 1)

    assert await tallies.save(tally, correlation_id=uuid.uuid4()) == 1
    assert (tally.version, tally.pending) == (1, ())
    reloaded = await tallies.get(ORDER)
    assert (reloaded.version, reloaded.count) == (1, 1)


async def test_the_repository_knows_which_input_a_stream_already_handled() -> None:
    store = InMemoryEventStore()
    tallies = AggregateRepository(store, Tally, "test")
    cause, other = uuid.uuid4(), uuid.uuid4()
    tally = await tallies.get(ORDER)
    tally.add()
    await tallies.save(tally, correlation_id=uuid.uuid4(), causation_id=cause)
    assert await tallies.handled(ORDER, cause)
    assert not await tallies.handled(ORDER, other)
    assert await tallies.ids() == [ORDER]
    assert store.events("order", ORDER) == [PAID]


async def test_the_recorder_records_a_streams_first_event_once_and_appends_the_next() -> None:
    store = InMemoryEventStore()
    recorder = EventRecorder(store, "gateway")
    placed, paid = SAMPLES[OrderPlaced], SAMPLES[OrderPaid]
    assert await recorder.first(placed, uuid.uuid4())
    assert not await recorder.first(placed, uuid.uuid4())  # a retry of the same request
    store.conflicts_to_raise = 2  # two rival writers got there first
    assert await recorder.next(paid, uuid.uuid4()) == 2
    stream = stream_id(placed.aggregate_type, placed.aggregate_id())
    assert [e.event_type for e in await store.load(stream)] == ["OrderPlaced", "OrderPaid"]


async def test_the_recorder_gives_up_after_its_attempts() -> None:
    store = InMemoryEventStore()
    store.conflicts_to_raise = 3
    with pytest.raises(ConcurrencyConflict):
        await EventRecorder(store, "gateway", attempts=3).next(SAMPLES[OrderPaid], uuid.uuid4())


async def test_c4_the_in_memory_key_store_opens_only_for_a_held_purpose() -> None:
    keys = InMemoryKeyStore({Purpose.ORDER_RECEIPTS})
    sealed = await keys.seal("c1", "email", "sara@example.com")
    assert sealed.kid == "c1"
    assert "sara" not in sealed.ct
    assert await keys.open(sealed, field="email", purpose=Purpose.ORDER_RECEIPTS) == (
        "sara@example.com"
    )
    with pytest.raises(PurposeNotGranted):
        await keys.open(sealed, field="email", purpose=Purpose.MARKETING)
    with pytest.raises(ValueError, match="does not open"):
        await keys.open(sealed, field="phone", purpose=Purpose.ORDER_RECEIPTS)


async def test_shredding_erases_one_customer_for_good() -> None:
    keys = InMemoryKeyStore({Purpose.SUPPORT})
    gone, kept = keys.seal_now("c1", "email", "a@example.com"), keys.seal_now("c2", "email", "b")
    assert await keys.shred("c1") is True
    assert await keys.shred("c1") is False
    assert await keys.open(gone, field="email", purpose=Purpose.SUPPORT) == ERASED
    assert await keys.open(kept, field="email", purpose=Purpose.SUPPORT) == "b"
    assert await keys.is_erased("c1")
    assert not await keys.is_erased("c2")
    assert keys.shredded == {"c1"}
    with pytest.raises(LookupError):
        await keys.seal("c1", "email", "new@example.com")


async def test_a_value_sealed_before_a_rotation_opens_until_its_generation_is_retired() -> None:
    keys = InMemoryKeyStore({Purpose.DATA_CORRECTION})
    old = await keys.seal("c1", "email", "old@example.com")
    kid = await keys.rotate("c1")
    new = await keys.seal("c1", "email", "new@example.com")
    assert (old.kid, kid, new.kid, subject_of(new.kid)) == ("c1", "c1.2", "c1.2", "c1")
    assert await keys.current_kid("c1") == "c1.2"
    assert await keys.open(old, field="email", purpose=Purpose.DATA_CORRECTION) == (
        "old@example.com"
    )

    assert await keys.retire("c1", kid) == 1
    assert await keys.retire("c1", kid) == 0
    assert await keys.open(old, field="email", purpose=Purpose.DATA_CORRECTION) == ERASED
    assert await keys.open(new, field="email", purpose=Purpose.DATA_CORRECTION) == (
        "new@example.com"
    )
    assert not await keys.is_erased("c1")
    assert (await keys.seal("c1", "name", "Sara")).kid == "c1.2"


async def test_each_rotation_makes_one_more_generation_and_retire_destroys_all_older() -> None:
    keys = InMemoryKeyStore({Purpose.SUPPORT})
    first = keys.seal_now("c1", "name", "one")
    assert [await keys.rotate("c1"), await keys.rotate("c1")] == ["c1.2", "c1.3"]
    third = keys.seal_now("c1", "name", "three")
    assert await keys.retire("c1", "c1.3") == 2
    assert await keys.open(first, field="name", purpose=Purpose.SUPPORT) == ERASED
    assert await keys.open(third, field="name", purpose=Purpose.SUPPORT) == "three"


async def test_rotating_a_subject_without_a_key_makes_its_first_generation() -> None:
    keys = InMemoryKeyStore()
    assert await keys.current_kid("c1") is None
    assert await keys.rotate("c1") == "c1"
    assert (await keys.seal("c1", "name", "Sara")).kid == "c1"


async def test_retire_refuses_a_key_id_that_is_not_the_subjects_or_not_a_live_key() -> None:
    keys = InMemoryKeyStore()
    keys.seal_now("c1", "name", "Sara")
    keys.seal_now("c2", "name", "Noura")
    await keys.rotate("c2")
    for foreign in ("c2.2", "c1.x", "c1.1", "c1.02"):
        with pytest.raises(ValueError, match="does not belong"):
            await keys.retire("c1", foreign)
    with pytest.raises(LookupError):
        await keys.retire("c1", "c1.5")  # would destroy the newest key
    assert await keys.current_kid("c1") == "c1"


async def test_shredding_destroys_every_generation_and_refuses_a_rotation() -> None:
    keys = InMemoryKeyStore({Purpose.SUPPORT})
    first = keys.seal_now("c1", "email", "a@example.com")
    kid = await keys.rotate("c1")
    second = keys.seal_now("c1", "email", "b@example.com")
    assert await keys.shred("c1") is True
    for sealed in (first, second):
        assert await keys.open(sealed, field="email", purpose=Purpose.SUPPORT) == ERASED
    with pytest.raises(LookupError):
        await keys.rotate("c1")
    assert await keys.retire("c1", kid) == 0
    assert await keys.current_kid("c1") is None


@pytest.mark.parametrize("subject", ["c1.2", "", "c1."])
async def test_a_subject_that_could_pass_for_a_key_generation_is_refused(subject: str) -> None:
    keys = InMemoryKeyStore()
    with pytest.raises(ValueError, match="no '\\.'"):
        await keys.seal(subject, "name", "Sara")
    with pytest.raises(ValueError, match="no '\\.'"):
        await keys.rotate(subject)
    assert keys.subjects == set()


async def test_several_fields_seal_together_under_one_generation_and_open_by_field() -> None:
    keys = InMemoryKeyStore((Purpose.SUPPORT,))
    await keys.seal("c1", "name", "Sara")
    newest = await keys.rotate("c1")

    sealed = await keys.seal_many("c1", {"name": "Sara", "email": "sara@example.com"})

    assert {value.kid for value in sealed.values()} == {newest}
    assert await keys.open(sealed["email"], field="email", purpose=Purpose.SUPPORT) == (
        "sara@example.com"
    )
    with pytest.raises(ValueError, match="does not open"):
        await keys.open(sealed["email"], field="name", purpose=Purpose.SUPPORT)


def test_two_in_memory_key_stores_agree_on_blind_indexes() -> None:
    assert InMemoryKeyStore().blind_index("phone", "+966500000000") == (
        InMemoryKeyStore().blind_index("phone", "+966500000000")
    )
    assert InMemoryKeyStore().blind_index("phone", "+966500000000") != (
        InMemoryKeyStore().blind_index("phone", "+966500000001")
    )
