"""An SMTP server that is down, then defers (451), then is back: every email is delivered, none
twice; an address the server refuses for good (550) is recorded as failed, not retried."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

import pytest

from tests.integration.notifier.conftest import (
    Notifier,
    Producers,
    Run,
    SmtpServer,
    running,
)
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
CUSTOMERS = 12


async def test_pc2_smtp_down_then_up_every_email_delivered_once(
    run: Run, events: Producers
) -> None:
    smtp = SmtpServer()  # nothing listens there yet: connections are refused
    smtp.defer = 3  # and once it listens, it defers its first three messages
    refused = run.address("c011")
    smtp.refused.add(refused)
    async with running(run, events, smtp_host="127.0.0.1", smtp_port=smtp.port) as notifier:
        for n in range(CUSTOMERS):
            await events.order(f"c{n:03d}", "en" if n % 2 else "ar")
        # The mail consumer retries its record, holding later ones back (they would fail too).
        await eventually(lambda: _states(notifier, "receipt", {"sending"}))
        # The notice goes to the customers the address book knows (its own consumer, not the
        # mail one): all twelve, before the notice is scheduled.
        await eventually(lambda: _known(notifier, CUSTOMERS))
        await events.policy(2, material=True)
        await eventually(lambda: _states(notifier, "policy", {"sending"}))

        await smtp.start()
        try:
            await eventually(lambda: notifier.job_done("policy:2"), timeout=60)
            await eventually(lambda: _settled(notifier, "receipt", CUSTOMERS), timeout=60)
        finally:
            await smtp.stop()

        ledger = await _entries(notifier)
        job = await notifier.service.jobs.get("policy:2")
    delivered = Counter((m["Message-ID"], m["To"]) for m in smtp.messages)
    assert all(count == 1 for count in delivered.values()), "a message went out twice"
    assert len(delivered) == 2 * (CUSTOMERS - 1)  # a receipt and a notice each, but one
    assert smtp.to(refused) == []
    assert {(e["kind"], e["state"]) for e in ledger if e["customer_id"] == "c011"} == {
        ("receipt", "failed"),
        ("policy", "failed"),
    }
    assert {e["reason"] for e in ledger if e["state"] == "failed"} == {"smtp_550"}
    sent = [e for e in ledger if e["state"] == "sent"]
    assert len(sent) == 2 * (CUSTOMERS - 1)
    assert max(e["attempts"] for e in sent) > 1  # it did wait out the outage
    assert job is not None
    assert (job.total, job.sent, job.failed, job.tally.pending) == (CUSTOMERS, 11, 1, 0)


async def _entries(notifier: Notifier) -> list[dict[str, Any]]:
    return [
        {**asdict(entry), "kind": entry.kind.value, "state": entry.state.value}
        async for entry in notifier.service.ledger.scan()
    ]


async def _states(notifier: Notifier, kind: str, states: set[str]) -> bool:
    entries = [e for e in await _entries(notifier) if e["kind"] == kind]
    return bool(entries) and any(e["state"] in states for e in entries)


async def _settled(notifier: Notifier, kind: str, count: int) -> bool:
    entries = [e for e in await _entries(notifier) if e["kind"] == kind]
    return len(entries) == count and all(e["state"] in {"sent", "failed"} for e in entries)


async def _known(notifier: Notifier, count: int) -> bool:
    known = [c async for c in notifier.service.book.relationships()]
    return len(set(known)) >= count
