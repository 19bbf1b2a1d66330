"""Handlers keyed by event class: one signature, checked by mypy and again at registration."""

from __future__ import annotations

import textwrap
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from allwan_contracts import Envelope, OrderPaid, OrderPlaced, encode, new_envelope
from allwan_contracts.base import Event
from allwan_runtime.dispatch import DeadLetter, Dispatcher, Outcome
from allwan_runtime.eventstore import ConcurrencyConflict
from allwan_runtime.handlers import Handlers, WrongRegistration

from tests.unit.contracts.factories import SAMPLES

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Seen:
    events: list[tuple[str, Event, uuid.UUID]] = field(default_factory=list)
    conflicts: int = 0


async def on_paid(event: OrderPaid, envelope: Envelope, deps: Seen) -> None:
    deps.events.append(("paid", event, envelope.event_id))


async def on_order_event(event: OrderPlaced | OrderPaid, envelope: Envelope, deps: Seen) -> None:
    deps.events.append(("either", event, envelope.event_id))


async def racing(event: OrderPaid, envelope: Envelope, deps: Seen) -> None:
    if deps.conflicts:
        deps.conflicts -= 1
        raise ConcurrencyConflict("order:1", 0)
    deps.events.append(("won", event, envelope.event_id))


def record(event: Event, producer: str = "orders") -> bytes:
    envelope = new_envelope(
        event, aggregate_version=1, producer=producer, correlation_id=uuid.uuid4()
    )
    return encode(envelope)


async def dispatch(handlers: Handlers[Seen], raw: bytes) -> Outcome:
    letters: list[DeadLetter] = []

    async def keep(letter: DeadLetter) -> None:
        letters.append(letter)

    outcome = await Dispatcher(handlers.bound()).dispatch(raw, keep)
    assert not letters, letters
    return outcome


async def test_a_record_reaches_the_handler_registered_for_its_class_with_envelope_and_deps() -> (
    None
):
    seen = Seen()
    handlers = Handlers(seen)
    handlers.on(OrderPaid, on_paid)
    paid = SAMPLES[OrderPaid]

    assert await dispatch(handlers, record(paid)) is Outcome.HANDLED
    assert await dispatch(handlers, record(SAMPLES[OrderPlaced])) is Outcome.IGNORED
    [(name, event, _)] = seen.events
    assert (name, event) == ("paid", paid)


async def test_one_handler_may_take_a_union_of_the_classes_it_is_registered_for() -> None:
    seen = Seen()
    handlers = Handlers(seen)
    handlers.on_each([OrderPlaced, OrderPaid], on_order_event)
    await dispatch(handlers, record(SAMPLES[OrderPlaced]))
    await dispatch(handlers, record(SAMPLES[OrderPaid]))
    assert [type(event) for _, event, _ in seen.events] == [OrderPlaced, OrderPaid]
    assert handlers.event_classes == (OrderPlaced, OrderPaid)


def test_registering_a_handler_for_a_class_it_does_not_take_fails_at_once() -> None:
    handlers = Handlers(Seen())
    with pytest.raises(WrongRegistration, match="cannot handle OrderPlaced"):
        handlers.on(OrderPlaced, on_paid)  # type: ignore[arg-type]
    assert handlers.event_classes == ()


def test_a_class_gets_one_handler_per_registry() -> None:
    handlers = Handlers(Seen())
    handlers.on(OrderPaid, on_paid)
    with pytest.raises(WrongRegistration, match="already has a handler"):
        handlers.on(OrderPaid, on_order_event)


async def test_records_of_other_producers_are_skipped_when_the_registry_names_its_producers() -> (
    None
):
    seen = Seen()
    handlers = Handlers(seen, producers={"gateway"})
    handlers.on(OrderPaid, on_paid)
    await dispatch(handlers, record(SAMPLES[OrderPaid], producer="someone-else"))
    assert seen.events == []
    await dispatch(handlers, record(SAMPLES[OrderPaid], producer="gateway"))
    assert len(seen.events) == 1


async def test_a_handler_that_lost_a_race_runs_again_when_the_registry_retries_conflicts() -> None:
    seen = Seen(conflicts=2)
    handlers = Handlers(seen, retry_conflicts=True)
    handlers.on(OrderPaid, racing)
    assert await dispatch(handlers, record(SAMPLES[OrderPaid])) is Outcome.HANDLED
    assert [name for name, _, _ in seen.events] == ["won"]


def test_mypy_rejects_a_handler_registered_for_an_event_it_does_not_take(tmp_path: Path) -> None:
    from mypy import api

    wiring = tmp_path / "wiring.py"
    wiring.write_text(
        textwrap.dedent(
            """
            from allwan_contracts import Envelope, OrderPaid, OrderPlaced
            from allwan_runtime.handlers import Handlers

            async def on_paid(event: OrderPaid, envelope: Envelope, deps: int) -> None: ...

            handlers = Handlers(1)
            handlers.on(OrderPaid, on_paid)
            handlers.on(OrderPlaced, on_paid)
            """
        )
    )
    stdout, _, status = api.run(
        ["--config-file", str(ROOT / "pyproject.toml"), "--no-error-summary", str(wiring)]
    )
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert status == 1
    assert len(errors) == 1, stdout
    assert "wiring.py:9:" in errors[0], stdout  # the wrong line, not the right one above it
    assert 'Argument 2 to "on"' in errors[0], stdout
    assert "OrderPlaced" in errors[0], stdout
