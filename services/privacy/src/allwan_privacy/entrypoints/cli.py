"""``allwan-privacy serve | rebuild | asyncapi``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from allwan_runtime.cli import run
from allwan_runtime.projection import rebuild

from allwan_privacy.entrypoints.app import build, create_app
from allwan_privacy.settings import PrivacySettings


async def rebuild_read_models(settings: PrivacySettings) -> dict[str, int]:
    """Replay the event store into a fresh read model of requests; events replayed."""
    runtime, service = build(settings)
    try:
        projection = service.projection
        return {projection.name: await rebuild(runtime.store, runtime.db, projection)}
    finally:
        await runtime.mongo.close()


def main(argv: Sequence[str] | None = None) -> int:
    return run(
        "allwan-privacy",
        argv,
        settings=PrivacySettings,
        create_app=create_app,
        rebuild=rebuild_read_models,
        description=__doc__,
    )


if __name__ == "__main__":
    sys.exit(main())
