"""``allwan-notifier serve | rebuild | asyncapi | campaign <file.json>``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from allwan_contracts.fields import utc_now
from allwan_runtime.access_log import logged
from allwan_runtime.keystore import generate_master_key
from pydantic import SecretStr

from allwan_notifier.domain.fanout import Phase
from allwan_notifier.domain.marketing import Campaign
from allwan_notifier.entrypoints.app import build, create_app
from allwan_notifier.settings import NotifierSettings


def serve(settings: NotifierSettings) -> None:
    import uvicorn  # noqa: PLC0415 - only the server needs it

    # uvicorn's access log writes raw paths, queries and client addresses (C2).
    uvicorn.run(
        logged(create_app(settings)),
        host=settings.http_host,
        port=settings.http_port,
        access_log=False,
    )


async def rebuild(settings: NotifierSettings) -> dict[str, int]:
    """What the notifier derives, made right again: every customer whose key is shredded is
    redacted (an erasure whose event was missed), and each finished fan-out's tally is
    counted anew from the ledger. The address book and the ledger are the notifier's own
    records and are not replayed: the topics they came from expire after 30 days."""
    runtime, service = build(settings)
    try:
        redacted = 0
        async for customer_id in service.book.customers():
            if await service.secrets.is_erased(customer_id):
                await service.book.redact(customer_id)
                redacted += 1
        recounted = 0
        for job in await service.jobs.all():
            if job.phase is Phase.DONE:
                tally = await service.ledger.tally(job.id)
                await service.jobs.save(
                    job.model_copy(
                        update={
                            "total": tally.total,
                            "sent": tally.sent,
                            "failed": tally.failed,
                            "skipped": tally.skipped,
                        }
                    )
                )
                recounted += 1
        return {"redacted": redacted, "jobs_recounted": recounted}
    finally:
        await runtime.mongo.close()


async def campaign(settings: NotifierSettings, path: Path) -> dict[str, object]:
    """Schedule the campaign in ``path`` (JSON: ``Campaign``); the running worker sends it."""
    text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    requested = Campaign.model_validate_json(text)
    runtime, service = build(settings)
    try:
        scheduled = await service.request_campaign(requested)
    finally:
        await runtime.mongo.close()
    return {"campaign_id": requested.campaign_id, "scheduled": scheduled, "at": str(utc_now())}


def asyncapi(settings: NotifierSettings) -> str:
    """The AsyncAPI document of the consumers; it needs no secrets, so throwaway keys do."""
    throwaway = {
        "master_keys": SecretStr(f"doc:{generate_master_key()}"),
        "master_key_id": "doc",
        "blind_index_key": SecretStr(generate_master_key()),
    }
    app = create_app(settings.model_copy(update=throwaway))
    return json.dumps(app.schema.to_specification().to_jsonable(), indent=2, ensure_ascii=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="allwan-notifier", description=__doc__)
    parser.add_argument("command", choices=("serve", "rebuild", "asyncapi", "campaign"))
    parser.add_argument("file", nargs="?", type=Path, help="campaign: the campaign as JSON")
    args = parser.parse_args(argv)
    settings = NotifierSettings()
    if args.command == "serve":
        serve(settings)
    elif args.command == "rebuild":
        print(json.dumps(asyncio.run(rebuild(settings))))
    elif args.command == "campaign":
        if args.file is None:
            parser.error("campaign needs the campaign's JSON file")
        print(json.dumps(asyncio.run(campaign(settings, args.file))))
    else:
        print(asyncapi(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
