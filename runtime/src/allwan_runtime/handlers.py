"""Handlers keyed by event class: the one way every service wires what it consumes.

Every handler has one signature, ``async def handle(event: SomeEvent, envelope: Envelope,
deps: Deps) -> None``: the upcast, validated event first (its class is what the handler is
registered for), the envelope for what the event does not carry (its id as the cause of
what the handler records, its correlation id, its producer), and the service's dependencies
last. A consumer's handlers share one ``Handlers`` registry, bound to one ``deps``::

    intake = Handlers(deps, producers={"gateway"}, retry_conflicts=True)
    intake.on(OrderRequested, place_order)
    intake.on(PaymentReported, report_payment)
    runtime.consume("intake", [ORDER_INTAKE.name], intake, "Orders the gateway recorded.")

mypy checks that ``place_order`` takes an ``OrderRequested`` (``on`` is generic in the event
class); registration checks it again at run time from the handler's annotations, so a wrong
registration fails when the service is built, before any record arrives.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from allwan_contracts.base import Event
from allwan_contracts.envelope import Envelope

from allwan_runtime.guards import only_from, retry_on_conflict

E = TypeVar("E", bound=Event)
D = TypeVar("D")

Bound = Callable[[Envelope, Any], Awaitable[None]]
"""A handler with its dependencies bound: what the dispatcher calls with each record."""


class WrongRegistration(TypeError):
    """A handler registered for an event class its first parameter does not accept."""


@dataclass(frozen=True)
class _Entry:
    handler: Bound
    name: str


class Handlers(Generic[D]):
    """One consumer's handlers by event class, bound to the dependencies ``deps``.

    ``producers``: obey only records of these producers (an intake topic anyone could write
    to); ``retry_conflicts``: run a handler again after it lost a race for a stream
    (``allwan_runtime.guards``). Both apply to every handler of the registry unless ``on``
    says otherwise.
    """

    def __init__(
        self,
        deps: D,
        *,
        producers: Collection[str] | None = None,
        retry_conflicts: bool = False,
    ) -> None:
        self.deps = deps
        self._producers = producers
        self._retry_conflicts = retry_conflicts
        self._entries: dict[type[Event], _Entry] = {}

    def on(
        self,
        event: type[E],
        handler: Callable[[E, Envelope, D], Awaitable[None]],
        *,
        producers: Collection[str] | None = None,
    ) -> None:
        """Call ``handler(event, envelope, deps)`` for every record of ``event``."""
        _check_fits(event, handler)
        if event in self._entries:
            raise WrongRegistration(f"{event.__name__} already has a handler in this registry")
        deps = self.deps

        async def bound(envelope: Envelope, received: Any) -> None:
            await handler(received, envelope, deps)

        wrapped: Bound = bound
        if self._retry_conflicts:
            wrapped = retry_on_conflict(wrapped)
        allowed = producers if producers is not None else self._producers
        if allowed is not None:
            wrapped = only_from(allowed, wrapped)
        self._entries[event] = _Entry(wrapped, getattr(handler, "__qualname__", repr(handler)))

    def on_each(
        self,
        events: Iterable[type[Event]],
        handler: Callable[[Any, Envelope, D], Awaitable[None]],
        *,
        producers: Collection[str] | None = None,
    ) -> None:
        """One handler for several event classes (a projection that reads them all).

        Its event parameter is typically a union of the classes; mypy cannot relate the two,
        so the check that the handler accepts each class happens here, at registration.
        """
        for event in events:
            self.on(event, handler, producers=producers)

    @property
    def event_classes(self) -> tuple[type[Event], ...]:
        """The classes handled, in registration order (they document the consumer)."""
        return tuple(self._entries)

    def bound(self) -> Mapping[type[Event], Bound]:
        """Each event class's handler, ready for ``allwan_runtime.dispatch.Dispatcher``."""
        return {event: entry.handler for event, entry in self._entries.items()}

    def describe(self) -> dict[str, str]:
        """Event type → handler name, for documents and for reading the wiring."""
        return {event.event_type: entry.name for event, entry in self._entries.items()}


def _check_fits(event: type[Event], handler: Callable[..., Awaitable[None]]) -> None:
    parameters = list(inspect.signature(handler).parameters.values())
    if len(parameters) != 3:
        raise WrongRegistration(
            f"{_name(handler)} must take (event, envelope, deps), not {len(parameters)} arguments"
        )
    try:
        hints = typing.get_type_hints(handler)
    except (NameError, TypeError):  # annotations it cannot resolve are mypy's to check
        return
    accepted = hints.get(parameters[0].name)
    if accepted is None or accepted is Any:
        return
    if not any(issubclass(event, option) for option in _classes(accepted)):
        raise WrongRegistration(
            f"{_name(handler)} takes {accepted!r}, so it cannot handle {event.__name__}"
        )


def _classes(annotation: object) -> list[type]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [option for option in typing.get_args(annotation) if isinstance(option, type)]
    return [annotation] if isinstance(annotation, type) else [object]


def _name(handler: object) -> str:
    return str(getattr(handler, "__qualname__", handler))
