"""``allwan-gateway serve | asyncapi | rebuild | openapi`` (``allwan_runtime.cli``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, ClassVar

from allwan_contracts import Event
from allwan_contracts.envelope import Envelope
from allwan_runtime import cli
from allwan_runtime.projection import rebuild
from pydantic import ValidationError

from allwan_gateway.adapters.offsets import rewind
from allwan_gateway.adapters.order_views import OrderViews, project_intake
from allwan_gateway.adapters.views import COLLECTIONS
from allwan_gateway.entrypoints.app import asyncapi, build, build_app, create_app
from allwan_gateway.settings import GatewaySettings


class SettingsInvalid(Exception):
    """Settings missing or invalid; the message names the variables, never their values."""


class IntakeReplay:
    """The read models, emptied and refilled with the orders the gateway itself recorded."""

    name: ClassVar[str] = "gateway-read-models"
    collections: ClassVar[tuple[str, ...]] = COLLECTIONS

    def __init__(self, views: OrderViews) -> None:
        self._views = views

    async def __call__(self, envelope: Envelope, event: Event) -> None:
        await project_intake(event, envelope, self._views)


async def rebuild_read_models(settings: GatewaySettings) -> dict[str, int]:
    """Rebuild the read models; the gateway must be stopped.

    Its own event store holds only intake, which restores pending orders; everything else
    comes from the other services' topics: the consumer groups are rewound to the start, and
    the next ``serve`` reads them again (as far as their retention reaches: 30 days for
    orders and consent, forever for policies and the catalogue). The audit trail, the
    idempotency keys and the privacy views (a request's proof, kept beyond the 30 days of
    ``allwan.privacy``) are never dropped.
    """
    gateway, runtime = build(settings)
    try:
        replayed = await rebuild(runtime.store, runtime.db, IntakeReplay(gateway.orders))
        rewound = 0
        for group, topics in runtime.consumer_groups.items():
            rewound += await rewind(settings.kafka_bootstrap, group, topics)
    finally:
        await runtime.mongo.close()
    return {"intake_events_replayed": replayed, "partitions_rewound": rewound}


def serve(settings: GatewaySettings) -> None:
    """The API, the relay and the consumers, under uvicorn."""
    import uvicorn  # noqa: PLC0415 - only the server needs it

    uvicorn.run(
        build_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
        # Its lines hold raw paths, queries and client addresses (C2, C3): the app writes
        # its own (``allwan_runtime.server_spans.ServerSpans``), so ``allwan_runtime.cli.serve``
        # does not fit.
        access_log=False,
    )


def _print_json(document: Any) -> None:
    print(json.dumps(document, indent=2, ensure_ascii=False))


def _settings() -> GatewaySettings:
    try:
        return GatewaySettings()
    except ValidationError as error:
        raise SettingsInvalid(", ".join(_refusals(error))) from None


def _refusals(error: ValidationError) -> list[str]:
    """Each variable refused, with why when the reason is ours (``ValueError`` messages of
    the settings' validators name what is wrong, never a value); pydantic's own messages
    are left out, as a few quote what they were given."""
    found: dict[str, None] = {}
    for refusal in error.errors(include_input=False, include_url=False):
        where = refusal["loc"]
        # A check of several settings together has no location: its message names them.
        name = f"ALLWAN_{str(where[0]).upper()}" if where else "settings"
        if refusal["type"] == "value_error":
            name += f" ({refusal['msg'].removeprefix('Value error, ')})"
        elif len(where) > 1:
            name += f" ({'.'.join(str(part) for part in where[1:])}: {refusal['type']})"
        found[name] = None
    return list(found)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return cli.run(
            "allwan-gateway",
            argv,
            settings=_settings,
            create_app=build_app,
            rebuild=rebuild_read_models,
            extra={
                "serve": serve,
                "asyncapi": lambda s: _print_json(
                    asyncapi(build(s)[1]).to_specification().to_jsonable()
                ),
                "openapi": lambda s: _print_json(create_app(build(s)[0]).openapi()),
            },
            description="The gateway: the public HTTP API, its relay and its read models.",
        )
    except SettingsInvalid as error:
        print(f"allwan-gateway: settings missing or invalid: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
