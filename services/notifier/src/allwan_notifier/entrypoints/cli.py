"""``allwan-notifier serve | rebuild | asyncapi | campaign <file.json>``."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from allwan_contracts.fields import utc_now
from allwan_runtime.cli import run

from allwan_notifier.domain.fanout import Phase
from allwan_notifier.domain.marketing import Campaign
from allwan_notifier.entrypoints.app import build, create_app
from allwan_notifier.settings import NotifierSettings

PROG = "allwan-notifier"


async def rebuild(settings: NotifierSettings) -> dict[str, int]:
    """What the notifier derives, made right again: every customer whose key is shredded is
    redacted (an erasure whose event was missed), each finished fan-out's tally is counted
    anew from the ledger, and every tried entry is named among its customer's (entries older
    than that index). The address book and the ledger are the notifier's own
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
        named = await service.ledger.name_customers()
        return {"redacted": redacted, "jobs_recounted": recounted, "entries_named": named}
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


def schedule(settings: NotifierSettings, path: Path | None) -> int:
    """The ``campaign`` command: its file scheduled, the answer printed as JSON."""
    if path is None:
        print(f"{PROG}: campaign needs the campaign's JSON file", file=sys.stderr)
        return 2
    print(json.dumps(asyncio.run(campaign(settings, path))))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # The runtime's parser reads one command word: the campaign's file is taken off first,
    # and any other extra word is left for it to refuse.
    path = Path(args.pop()) if len(args) == 2 and args[0] == "campaign" else None
    return run(
        PROG,
        args,
        settings=NotifierSettings,
        create_app=create_app,
        rebuild=rebuild,
        extra={"campaign": lambda settings: schedule(settings, path)},
        description=__doc__,
    )


if __name__ == "__main__":
    sys.exit(main())
