"""Each service's AsyncAPI document names the events it consumes and publishes, with schemas.

The consumers decode records themselves (``allwan_runtime.dispatch``: poison goes to a
dead-letter topic rather than failing FastStream's validation), so FastStream cannot learn the
payloads from a handler's signature; and the outbox relay publishes, not FastStream. Both are
documented here from the event classes themselves, the same classes the handlers are
registered for (``allwan_runtime.handlers``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from allwan_contracts.base import Event
from faststream.specification.asyncapi.message import get_model_schema
from faststream.specification.asyncapi.utils import resolve_payloads


def payloads(events: Sequence[type[Event]]) -> list[tuple[dict[str, Any], str]]:
    """FastStream's payload list for ``events``: one JSON schema per event class.

    Each is titled by its event type: FastStream titles any such model ``:Payload``, so the
    channels with a single event would share, and overwrite, one schema.
    """
    return [
        ({**get_model_schema(event), "title": f"{event.event_type}:Payload"}, event.event_type)
        for event in events
    ]


def describe_payloads(endpoint: Any, events: Sequence[type[Event]]) -> None:
    """Make a FastStream subscriber's or publisher's document list ``events`` as its payloads.

    A consumer reading several topics lists, on each topic's channel, only the events that
    travel on that topic (``Event.topic``).
    """
    if not events:
        return
    specification = endpoint.specification
    documented = list(zip(payloads(events), events, strict=True))
    base = type(specification)

    def get_payloads(_self: Any) -> list[tuple[dict[str, Any], str]]:
        return [(dict(body), name) for (body, name), _ in documented]

    def get_schema(self: Any) -> dict[str, Any]:
        channels: dict[str, Any] = base.get_schema(self)
        for channel in channels.values():
            on_topic = [
                (dict(body), name)
                for (body, name), event in documented
                if channel.address.endswith(event.topic)
            ]
            message = getattr(getattr(channel, "operation", None), "message", None)
            if on_topic and message is not None:
                message.payload = resolve_payloads(on_topic)
        return channels

    typed = type(
        f"Typed{base.__name__}",
        (base,),
        {"__slots__": (), "get_payloads": get_payloads, "get_schema": get_schema},
    )
    specification.__class__ = typed
