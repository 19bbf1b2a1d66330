"""``allwan-consent serve | rebuild | asyncapi``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

from allwan_runtime.access_log import logged
from allwan_runtime.keystore import generate_master_key
from allwan_runtime.projection import rebuild
from pydantic import SecretStr

from allwan_consent.entrypoints.app import build, create_app
from allwan_consent.settings import ConsentSettings


def serve(settings: ConsentSettings) -> None:
    import uvicorn  # noqa: PLC0415 - only the server needs it

    # uvicorn's access log writes raw paths, queries and client addresses (C2).
    uvicorn.run(
        logged(create_app(settings)),
        host=settings.http_host,
        port=settings.http_port,
        access_log=False,
    )


async def rebuild_read_models(settings: ConsentSettings) -> dict[str, int]:
    """Replay the event store into fresh read models; events replayed per projection."""
    runtime, service = build(settings)
    try:
        return {
            projection.name: await rebuild(runtime.store, runtime.db, projection)
            for projection in (service.consent_projection, service.policy_projection)
        }
    finally:
        await runtime.mongo.close()


def asyncapi(settings: ConsentSettings) -> str:
    """The AsyncAPI document of the consumers; it needs no secrets, so throwaway keys do."""
    throwaway = {
        "master_keys": SecretStr(f"doc:{generate_master_key()}"),
        "master_key_id": "doc",
        "blind_index_key": SecretStr(generate_master_key()),
    }
    app = create_app(settings.model_copy(update=throwaway))
    return json.dumps(app.schema.to_specification().to_jsonable(), indent=2, ensure_ascii=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="allwan-consent", description=__doc__)
    parser.add_argument("command", choices=("serve", "rebuild", "asyncapi"))
    args = parser.parse_args(argv)
    settings = ConsentSettings()
    if args.command == "serve":
        serve(settings)
    elif args.command == "rebuild":
        counts = asyncio.run(rebuild_read_models(settings))
        print(json.dumps(counts))
    else:
        print(asyncapi(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
