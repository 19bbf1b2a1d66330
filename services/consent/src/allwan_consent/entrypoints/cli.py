"""``allwan-consent serve | rebuild | asyncapi``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from allwan_runtime.cli import run
from allwan_runtime.projection import rebuild

from allwan_consent.entrypoints.app import build, create_app
from allwan_consent.settings import ConsentSettings


async def rebuild_read_models(settings: ConsentSettings) -> dict[str, int]:
    """Replay the event store into fresh read models; events replayed per projection."""
    runtime, service = build(settings)
    models = service.read_models
    try:
        return {
            projection.name: await rebuild(runtime.store, runtime.db, projection)
            for projection in (models.consents, models.policies)
        }
    finally:
        await runtime.mongo.close()


def main(argv: Sequence[str] | None = None) -> int:
    return run(
        "allwan-consent",
        argv,
        settings=ConsentSettings,
        create_app=create_app,
        rebuild=rebuild_read_models,
        description=__doc__,
    )


if __name__ == "__main__":
    sys.exit(main())
