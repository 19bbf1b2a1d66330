"""``allwan-gateway serve | rebuild | openapi``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Any, ClassVar

from allwan_contracts.envelope import Envelope
from allwan_contracts.topics import CATALOGUE, CONSENT, CUSTOMERS, ORDERS, POLICIES
from allwan_runtime.projection import rebuild
from pydantic import ValidationError

from allwan_gateway.adapters.offsets import rewind
from allwan_gateway.bootstrap import build
from allwan_gateway.entrypoints.app import build_app, create_app
from allwan_gateway.handlers.views import COLLECTIONS, Projector
from allwan_gateway.settings import GatewaySettings

VIEW_GROUPS = {"order-views": (ORDERS.name,)} | {
    "views": (CONSENT.name, CUSTOMERS.name, POLICIES.name, CATALOGUE.name)
}


class PendingOrders:
    """The read models, emptied and refilled with the orders the gateway itself recorded."""

    name: ClassVar[str] = "gateway-read-models"
    collections: ClassVar[tuple[str, ...]] = COLLECTIONS

    def __init__(self, projector: Projector) -> None:
        self._projector = projector

    async def __call__(self, envelope: Envelope, event: Any) -> None:
        await self._projector.intake(envelope, event)


async def rebuild_read_models(settings: GatewaySettings) -> tuple[int, int]:
    """Rebuild the read models; the gateway must be stopped.

    Its own event store holds only intake, which restores pending orders; everything else
    comes from the other services' topics: the consumer groups are rewound to the start, and
    the next ``serve`` reads them again (as far as their retention reaches: 30 days for
    orders and consent, forever for policies and the catalogue). The audit trail and the
    idempotency keys are never dropped. Returns (intake events replayed, partitions rewound).
    """
    gateway, runtime = build(settings)
    try:
        replayed = await rebuild(runtime.store, runtime.db, PendingOrders(gateway.projector))
        rewound = 0
        for name, topics in VIEW_GROUPS.items():
            group = f"{settings.service_name}.{name}"
            rewound += await rewind(
                settings.kafka_bootstrap, group, [runtime.topic(t) for t in topics]
            )
    finally:
        await runtime.mongo.close()
    return replayed, rewound


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="allwan-gateway")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the HTTP API, relay and consumers (uvicorn)")
    commands.add_parser("rebuild", help="rebuild the read models (gateway stopped)")
    commands.add_parser("openapi", help="print the OpenAPI 3.1 document")
    args = parser.parse_args(argv)
    try:
        settings = GatewaySettings()
    except ValidationError as error:
        names = sorted({f"ALLWAN_{str(e['loc'][0]).upper()}" for e in error.errors()})
        print(f"allwan-gateway: settings missing or invalid: {', '.join(names)}", file=sys.stderr)
        return 2
    if args.command == "serve":
        import uvicorn  # noqa: PLC0415 - only the server needs it

        uvicorn.run(
            build_app(settings),
            host=settings.http_host,
            port=settings.http_port,
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            server_header=False,
            # Its lines hold raw paths, queries and client addresses (C2, C3): the app
            # writes its own (``middleware.ServerSpans``).
            access_log=False,
        )
    elif args.command == "rebuild":
        replayed, rewound = asyncio.run(rebuild_read_models(settings))
        print(f"replayed {replayed} intake events; rewound {rewound} partitions")
    else:
        print(json.dumps(create_app(build(settings)[0]).openapi(), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
