"""Place-order requests per second through the gateway, against a bare FastAPI endpoint.

Both apps run in this process behind ``httpx.AsyncClient`` with ``ASGITransport`` (no sockets),
driven by the same number of concurrent clients with the same bodies. The bare endpoint only
validates the body with the gateway's own ``PlaceOrder`` model. The gateway does the whole
intake: authentication (JWT), rate limit, body rules (JSON, operator keys, card scan), sealing
of four personal fields under the customer's key, the idempotency claim, the pending order
and its customer index, the ``OrderRequested`` append (outbox entry and commit) in MongoDB
or FerretDB, and its relay publishes to Kafka meanwhile. It answers 202 at once
(``decision_wait_s = 0``): no orders service runs, and the bound would only measure the wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import statistics
import time
import uuid
from typing import Any

import httpx
from allwan_devstack import Endpoints
from allwan_gateway.domain.auth import Role
from allwan_gateway.entrypoints.app import build, create_app
from allwan_gateway.entrypoints.schemas.requests import PlaceOrder
from allwan_gateway.settings import GatewaySettings
from allwan_runtime.keystore import generate_master_key
from fastapi import FastAPI
from pydantic import SecretStr
from pymongo import AsyncMongoClient


class _Discard(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


def body(n: int) -> dict[str, Any]:
    return {
        "plan_id": "shahid-vip-1m",
        "quantity": 1,
        "contact": {
            "name": f"Noura Alqahtani {n}",
            "email": f"noura.{n}@example.com",
            "phone": f"+9665{n % 100_000_000:08d}",
            "billing_address": f"{n} Prince Sultan St, Jeddah",
        },
        "age_attestation": "legal_age",
        "payment_token": f"tok_{n:012d}",
        "locale": "ar",
    }


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/orders", status_code=202)
    async def place(order: PlaceOrder) -> dict[str, str]:
        return {"status": "accepted"}

    return app


async def drive(
    app: Any, count: int, concurrency: int, headers: list[dict[str, str]]
) -> dict[str, Any]:
    """``count`` requests from ``concurrency`` clients; throughput and latency."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    next_n = iter(range(count))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://bench") as http:

        async def client(k: int) -> None:
            for n in next_n:
                sent = time.perf_counter()
                answer = await http.post(
                    "/v1/orders",
                    json=body(n),
                    headers=headers[k] | {"Idempotency-Key": f"bench-{uuid.uuid4()}"},
                )
                latencies.append(time.perf_counter() - sent)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(client(k) for k in range(concurrency)))
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests_per_s": round(count / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
        "statuses": statuses,
    }


async def run(servers: Endpoints, count: int, concurrency: int) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:8]
    secret = SecretStr(generate_master_key())
    settings = GatewaySettings(
        gateway_jwt_secret=secret,
        gateway_storefront_api_key=secret,
        gateway_staff_api_key=secret,
        salla_webhook_secret=secret,
        whatsapp_app_secret=secret,
        whatsapp_verify_token=secret,
        ip_hash_key=secret,
        service_name=f"bench-gw-{run_id}",
        kafka_bootstrap=servers.kafka_bootstrap,
        kafka_topic_prefix=f"bench{run_id}.",
        mongo_url=SecretStr(servers.mongo_url),
        keys_db=f"bench_keys_{run_id}",
        master_keys=SecretStr(f"k1:{generate_master_key()}"),
        blind_index_key=SecretStr(generate_master_key()),
        decision_wait_s=0.0,
        rate_limit_per_s=1e9,
        rate_limit_burst=10**9,
    )
    gateway, _ = build(settings)
    tokens = [
        {
            "Authorization": "Bearer "
            + gateway.tokens.issue(Role.CUSTOMER, f"bench-{k}", "storefront", gateway.clock())
        }
        for k in range(concurrency)
    ]
    warmup = max(concurrency, count // 20)
    try:
        await drive(bare_app(), warmup, concurrency, tokens)
        bare = await drive(bare_app(), count, concurrency, tokens)
        # The gateway logs each request (a real cost, kept) to stdout: not onto the result.
        with contextlib.redirect_stdout(_Discard()):
            async with gateway.lifespan():
                app = create_app(gateway)
                await drive(app, warmup, concurrency, tokens)
                allwan = await drive(app, count, concurrency, tokens)
    finally:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(servers.mongo_url)
        await client.drop_database(settings.database_name)
        await client.drop_database(settings.keys_db)
        await client.close()
    return {
        "benchmark": "gateway",
        "requests": count,
        "concurrency": concurrency,
        "transport": "in-process ASGI (httpx.ASGITransport)",
        "bare_fastapi_validation_only": bare,
        "gateway_place_order_intake": allwan,
        "ratio_gateway_to_bare_throughput": round(
            allwan["requests_per_s"] / bare["requests_per_s"], 4
        ),
    }
