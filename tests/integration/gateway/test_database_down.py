"""The gateway on a FerretDB that freezes, then dies: every request is answered 503 with
``Retry-After`` within the request's database budget, never 500 and never hanging, and the
gateway serves again once the database is back.

The FerretDB is this test's own: the shared one must not feel it. No Kafka: a request only
reaches the database (the relay publishes what it recorded later), so the gateway's relay and
consumers are not started.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from allwan_devstack.cache import cache_root
from allwan_devstack.ferretdb import mongo_ready, provision_ferretdb, server_command
from allwan_gateway.bootstrap import Gateway
from allwan_gateway.domain.auth import Role
from allwan_gateway.entrypoints.app import build, create_app
from allwan_gateway.entrypoints.limits import DATABASE_BUDGET_S
from allwan_gateway.settings import GatewaySettings
from allwan_runtime.keystore import generate_master_key
from pydantic import SecretStr

from tests.integration.ports import ReservedPort
from tests.unit.gateway.fakes import SECRETS
from tests.unit.gateway.test_orders import FULL_ORDER
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

# The answer may come this much after the budget on a loaded 2-core machine.
SLACK_S = 1.5


@dataclass
class GatewayOnItsOwnDatabase:
    gateway: Gateway
    http: httpx.AsyncClient
    ferretdb: subprocess.Popen[bytes]

    def customer(self, subject: str) -> dict[str, str]:
        token = self.gateway.tokens.issue(
            Role.CUSTOMER, subject, "storefront", self.gateway.clock()
        )
        return {"Authorization": f"Bearer {token}"}


def start_ferretdb(state: Path, port: int) -> subprocess.Popen[bytes]:
    install = provision_ferretdb(cache_root())  # built once, then cached
    data = state / "ferretdb"
    data.mkdir()
    with (state / "ferretdb.log").open("ab") as log:
        return subprocess.Popen(
            server_command(install, port=port, data_dir=data),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.fixture
async def on_own_ferretdb(tmp_path: Path) -> AsyncIterator[GatewayOnItsOwnDatabase]:
    port = ReservedPort()
    ferretdb = await asyncio.to_thread(start_ferretdb, tmp_path, port.port)
    try:
        await eventually(
            lambda: asyncio.to_thread(mongo_ready, port.port, 1.0), 60, "FerretDB answers"
        )
        run = uuid.uuid4().hex[:10]
        secrets: dict[str, Any] = {name: SecretStr(value) for name, value in SECRETS.items()}
        settings = GatewaySettings(
            **secrets,
            service_name=f"gw-{run}",
            mongo_url=SecretStr(f"mongodb://127.0.0.1:{port.port}/"),
            master_keys=SecretStr(f"k1:{generate_master_key()}"),
            blind_index_key=SecretStr(generate_master_key()),
            decision_wait_s=0.2,
        )
        gateway, runtime = build(settings)
        transport = httpx.ASGITransport(app=create_app(gateway))
        try:
            async with httpx.AsyncClient(
                transport=transport, base_url="https://gateway.test", timeout=30
            ) as http:
                yield GatewayOnItsOwnDatabase(gateway, http, ferretdb)
        finally:
            await runtime.mongo.close()
    finally:
        ferretdb.kill()
        await asyncio.to_thread(ferretdb.wait, 30)
        port.release()


async def assert_unavailable_within_the_budget(
    running: GatewayOnItsOwnDatabase, order_id: str
) -> None:
    storefront = {"X-API-Key": SECRETS["gateway_storefront_api_key"]}
    payment = {"payment_reference": "pay_it_1", "amount_halalas": 2990, "card_last4": "4242"}
    customer = running.customer("cust-down-1")
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"/v1/orders/{order_id}", {"headers": customer}),
        ("POST", f"/v1/orders/{order_id}/payments", {"json": payment, "headers": storefront}),
        ("POST", "/v1/orders", {"json": FULL_ORDER, "headers": customer}),
        ("GET", "/v1/customers/cust-down-1/consents", {"headers": customer}),
    ]
    for method, path, kwargs in requests:
        started = time.monotonic()
        answer = await running.http.request(method, path, **kwargs)
        took = time.monotonic() - started

        assert answer.status_code == 503, f"{method} {path}: {answer.text}"
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"] == "urn:allwan:problem:unavailable"
        assert int(answer.headers["retry-after"]) >= 1
        assert took < DATABASE_BUDGET_S + SLACK_S, f"{method} {path} took {took:.1f}s"


async def test_a_frozen_then_stopped_database_is_a_quick_503_and_the_gateway_recovers(
    on_own_ferretdb: GatewayOnItsOwnDatabase,
) -> None:
    running = on_own_ferretdb
    headers = running.customer("cust-down-1") | {"Idempotency-Key": "checkout-down-0001"}
    placed = await running.http.post("/v1/orders", json=FULL_ORDER, headers=headers)
    assert placed.status_code == 202, placed.text
    order_id = placed.json()["order_id"]

    os.kill(running.ferretdb.pid, signal.SIGSTOP)
    try:
        await assert_unavailable_within_the_budget(running, order_id)
    finally:
        os.kill(running.ferretdb.pid, signal.SIGCONT)

    async def served_again() -> bool:
        answer = await running.http.get(
            f"/v1/orders/{order_id}", headers=running.customer("cust-down-1")
        )
        return answer.status_code == 200

    await eventually(served_again, 60, "the order served again after the database thawed")

    running.ferretdb.kill()
    await asyncio.to_thread(running.ferretdb.wait, 30)
    await assert_unavailable_within_the_budget(running, order_id)
