"""``allwan-orders serve | rebuild | asyncapi``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from allwan_runtime.access_log import logged
from allwan_runtime.projection import rebuild

from allwan_orders.domain.catalogue import CatalogueError
from allwan_orders.entrypoints.app import build_app, build_service
from allwan_orders.settings import OrdersSettings


async def rebuild_read_models(settings: OrdersSettings) -> tuple[int, int]:
    """Replay the event store into fresh read models, then redact erased customers again.

    Returns (events replayed, customers redacted).
    """
    runtime, service = build_service(settings)
    try:
        replayed = await rebuild(runtime.store, runtime.db, service.read_models)
        redacted = await service.read_models.customers.redact_erased(
            service.keys.is_erased, datetime.now(UTC)
        )
        await service.read_models.orders.ensure_indexes()
    finally:
        await runtime.mongo.close()
    return replayed, redacted


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="allwan-orders")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the service (consumers, relay, health) with uvicorn")
    commands.add_parser("rebuild", help="rebuild the read models from the event store")
    commands.add_parser("asyncapi", help="print the AsyncAPI document")
    args = parser.parse_args(argv)
    settings = OrdersSettings()
    try:
        if args.command == "serve":
            import uvicorn  # noqa: PLC0415 - only the server needs it

            # uvicorn's access log writes raw paths, queries and client addresses (C2).
            uvicorn.run(
                logged(build_app(settings)),
                host=settings.http_host,
                port=settings.http_port,
                access_log=False,
            )
        elif args.command == "rebuild":
            replayed, redacted = asyncio.run(rebuild_read_models(settings))
            print(f"replayed {replayed} events; redacted {redacted} erased customers")
        else:
            app = build_app(settings)
            print(app.schema.to_specification().to_json())
    except CatalogueError as error:
        print(f"allwan-orders: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
