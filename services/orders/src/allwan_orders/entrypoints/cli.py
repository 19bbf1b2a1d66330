"""``allwan-orders serve | asyncapi | rebuild``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from allwan_runtime.cli import run
from allwan_runtime.projection import rebuild

from allwan_orders.domain.catalogue import CatalogueError
from allwan_orders.entrypoints.app import build_app, build_service
from allwan_orders.settings import OrdersSettings


async def rebuild_read_models(settings: OrdersSettings) -> dict[str, int]:
    """Replay the event store into fresh read models, then redact erased customers again
    (their erasure is the consent service's event, not in this event store).

    Returns how many events were replayed and how many customers redacted.
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
    return {"replayed": replayed, "redacted": redacted}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a catalogue that cannot be used stops any of them with exit code 2."""
    try:
        return run(
            "allwan-orders",
            argv,
            settings=OrdersSettings,
            create_app=build_app,
            rebuild=rebuild_read_models,
            description="Orders of digital subscriptions: serve, print /asyncapi, rebuild.",
        )
    except CatalogueError as error:
        print(f"allwan-orders: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
