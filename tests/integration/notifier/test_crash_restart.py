"""PC2 across a real crash: the notifier, as its own process, is SIGKILLed in the middle of a
fan-out and started again; every customer still gets exactly one notice.

The test's SMTP server lets eight messages through and then holds the next ones in DATA, so
the kill lands while each lane waits for the server's answer: every message the server
accepted was recorded ``sent`` (a lane records one before it takes the next), the held ones
are ``sending``, never accepted (their client died before any 250), and must go out again.
What no test can make safe is a kill between the server's 250 and the record of its
disclosure: that window is documented in ``allwan_notifier.domain.deliveries`` (a kill after
the record is marked sent on restart, never resent: ``tests/unit/notifier/test_disclosures``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from allwan_notifier.adapters.address_book import ADDRESSES
from allwan_notifier.adapters.ledger import MongoLedger
from allwan_notifier.settings import NotifierSettings
from pydantic import SecretStr
from pymongo import AsyncMongoClient

from tests.integration.notifier.conftest import Producers, Run, SmtpServer
from tests.integration.ports import ReservedPort
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
CUSTOMERS, LET_THROUGH, LANES = 30, 8, 2
REPO = Path(__file__).resolve().parents[3]


class NotifierProcess:
    """``python -m allwan_notifier.entrypoints.cli serve``, configured by environment only."""

    def __init__(self, settings: NotifierSettings, log: Path) -> None:
        self.settings = settings
        self.url = f"http://127.0.0.1:{settings.http_port}"
        self._log = log
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self._log.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "allwan_notifier.entrypoints.cli",
                "serve",
                cwd=REPO,
                env=environment(self.settings),
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        await eventually(self._ready, timeout=60)

    async def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, the lease is not given back."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        await self._process.wait()

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self._process.wait(), 20)
            except TimeoutError:
                await self.kill()

    async def counts(self, version: int) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.url) as client:
            answer = await client.get("/ledger/policies/counts", params={"version": version})
        return dict(answer.json()) if answer.status_code == 200 else {}

    async def _ready(self) -> bool:
        assert self._process is not None
        if self._process.returncode is not None:
            pytest.fail(f"the notifier exited: {self._log.read_text()[-3000:]}")
        try:
            async with httpx.AsyncClient(base_url=self.url) as client:
                return (await client.get("/health/ready")).status_code == 200
        except httpx.TransportError:
            return False


def environment(settings: NotifierSettings) -> dict[str, str]:
    """The ``ALLWAN_*`` variables that make ``NotifierSettings()`` equal to ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLWAN_")}
    for name, value in settings.model_dump().items():
        if value is not None:
            plain = value.get_secret_value() if isinstance(value, SecretStr) else value
            env[f"ALLWAN_{name.upper()}"] = str(plain)
    env |= {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none"}
    return env


async def test_pc2_a_notifier_killed_mid_fanout_resumes_with_no_loss_and_no_duplicate(
    run: Run, events: Producers, tmp_path: Path
) -> None:
    smtp = SmtpServer()
    smtp.hold_after = LET_THROUGH
    await smtp.start()
    http_port = ReservedPort()  # both processes serve on it, one after the other
    settings = run.settings(
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_connections=LANES,
        fanout_lanes=LANES,
        http_host="127.0.0.1",
        http_port=http_port.port,
    )
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(run.servers.mongo_url)
    db = mongo[run.database]
    ledger = MongoLedger(db)
    first = NotifierProcess(settings, tmp_path / "notifier.log")
    second = NotifierProcess(settings, tmp_path / "notifier.log")
    try:
        await first.start()  # it creates the run's topics
        for n in range(CUSTOMERS):
            await events.contact_changed(f"c{n:03d}")
        await eventually(lambda: _at_least(db[ADDRESSES].count_documents({}), CUSTOMERS))
        await events.policy(2, material=True)
        await eventually(lambda: _at_least(_held(smtp), LANES))  # every lane waits in DATA

        await first.kill()

        states = Counter([entry.state.value async for entry in ledger.of_job("policy:2")])
        assert states["sent"] == LET_THROUGH  # every accepted message was recorded
        assert states["sending"] == LANES  # the ones the server held, never accepted
        assert states["pending"] == CUSTOMERS - LET_THROUGH - LANES
        smtp.release(drop=True)

        await second.start()
        counts = await eventually(lambda: _done(second), timeout=60)
    finally:
        await first.stop()
        await second.stop()
        await smtp.stop()
        http_port.release()
        await mongo.close()

    assert (counts["total"], counts["sent"], counts["pending"]) == (CUSTOMERS, CUSTOMERS, 0)
    received = Counter(message["To"] for message in smtp.messages)
    assert len(received) == CUSTOMERS  # nobody lost
    assert set(received.values()) == {1}  # nobody twice
    message_ids = {message["Message-ID"] for message in smtp.messages}
    assert message_ids == {f"<policy.2.c{n:03d}@allwanstores.com>" for n in range(CUSTOMERS)}


async def _at_least(count: Any, expected: int) -> bool:
    return bool(await count >= expected)


async def _held(smtp: SmtpServer) -> int:
    return smtp.held


async def _done(process: NotifierProcess) -> dict[str, Any] | None:
    counts = await process.counts(2)
    return counts if counts.get("phase") == "done" else None
