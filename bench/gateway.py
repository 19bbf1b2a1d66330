"""Place-order through the gateway, against a bare FastAPI endpoint on the same servers.

Three servers, each a process of its own under uvicorn, reached over loopback HTTP by the
same client in this process, with the same bodies and headers:

- bare (``bench.bare``): validates the body with the gateway's ``PlaceOrder`` model and
  inserts it into the same MongoDB-protocol server, nothing else: the baseline;
- intake (202): the gateway alone, ``ALLWAN_DECISION_WAIT_S=0``. Authentication (JWT), rate
  limit, body rules, sealing of the four personal fields under the customer's key, the
  idempotency claim, the pending order, the ``OrderRequested`` append; its relay publishes
  meanwhile;
- decision (201): the gateway and the orders service, the gateway waiting for the decision
  (``ALLWAN_DECISION_WAIT_S=2``, the default): the above, then orders consumes the intake,
  opens the contact, places the order and publishes ``OrderPlaced``, which the gateway's
  ``order-views`` consumer projects and the waiting request answers with 201.

Each is measured twice after a warm-up: at a fixed offered load (``rate`` requests/s, sent
on schedule whatever the answers; latency counts from when a request was due, so a server
that falls behind shows it), then at its maximum (``concurrency`` clients, each sending its
next request as soon as the previous one is answered), each once the servers' processes
are idle again (what the previous run left queued is done). Throughput counts 2xx answers
only: a 503 is quick, not served. The rate limit is set far above both loads. Every run uses
databases and topics of its own. The client shares the machine's cores with the servers,
the same for all three.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import aiohttp
import httpx
from allwan_devstack import Endpoints
from allwan_devstack.ports import pick_free_ports
from allwan_devstack.system import dev_secrets
from pymongo import MongoClient

from bench.bare import PATH
from bench.chaos import PhaseRunner
from bench.cpu import CpuMeter, cpu_seconds, server_pids

REPO: Final = Path(__file__).resolve().parents[1]
START_TIMEOUT_S: Final = 120.0
REQUEST_TIMEOUT_S: Final = 120.0
DECISION_WAIT_S: Final = 2.0
MAX_CONNECTIONS: Final = 1000
QUIET_CPU: Final = 0.1
"""Core-seconds per second below which a server counts as idle (consumers and the relay
poll even then)."""
SETTLE_S: Final = 600.0


@dataclass(frozen=True)
class Options:
    """What ``./dev bench gateway`` was asked for."""

    requests: int = 1000
    """Per measurement: as many at the fixed load as at the maximum."""
    rate: float = 100.0
    concurrency: int = 16
    customers: int = 50


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


@dataclass
class Answers:
    """What one measurement got back; latencies in seconds."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        count = sum(self.statuses.values())
        served = sum(n for status, n in self.statuses.items() if status.startswith("2"))

        def ms(q: float) -> float | None:
            if not ordered:
                return None
            return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000, 1)

        return {
            "requests": count,
            "served_per_s": round(served / self.elapsed_s, 1) if self.elapsed_s else 0.0,
            "p50_ms": round(statistics.median(ordered) * 1000, 1) if ordered else None,
            "p99_ms": ms(0.99),
            "max_ms": ms(1.0),
            "statuses": dict(sorted(self.statuses.items())),
        }


@dataclass(frozen=True)
class Server:
    """A server under test: where it answers, and its processes (to see when it is idle)."""

    url: str
    pids: Callable[[], list[int]]
    api_key: str = ""


async def settle(server: Server) -> float | None:
    """Seconds until the server's processes are idle again (less than ``QUIET_CPU`` of a
    core over a second): the work a measurement left queued (relay, consumers, decisions)
    is done before the next one starts. None if they were still busy after ``SETTLE_S``."""
    started = time.monotonic()
    before = await asyncio.to_thread(cpu_seconds, server.pids())
    while before is not None and time.monotonic() - started < SETTLE_S:
        await asyncio.sleep(1.0)
        now = await asyncio.to_thread(cpu_seconds, server.pids())
        if now is None or now - before < QUIET_CPU:
            return round(time.monotonic() - started, 1)
        before = now
    return None if before is not None else 0.0


Send = Callable[[], Awaitable[str]]
"""Sends the next request; its status code as text, or the transport error's name."""


async def at_rate(send: Send, count: int, rate: float) -> Answers:
    """``count`` requests sent on schedule, ``rate`` per second, whatever the answers."""
    answers = Answers()
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def one(due: float) -> None:
        answers.statuses[await send()] += 1
        answers.latencies.append(loop.time() - due)

    sending: list[asyncio.Task[None]] = []
    for k in range(count):
        due = started + k / rate
        ahead = due - loop.time()
        if ahead > 0:
            await asyncio.sleep(ahead)  # the schedule is the point: open-loop load
        sending.append(asyncio.create_task(one(due)))
    await asyncio.gather(*sending)
    answers.elapsed_s = loop.time() - started
    return answers


async def at_most(send: Send, count: int, concurrency: int) -> Answers:
    """``count`` requests from ``concurrency`` clients, each waiting for its previous answer."""
    answers = Answers()
    turns = iter(range(count))
    loop = asyncio.get_running_loop()

    async def client() -> None:
        for _ in turns:
            sent = loop.time()
            answers.statuses[await send()] += 1
            answers.latencies.append(loop.time() - sent)

    started = loop.time()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    answers.elapsed_s = loop.time() - started
    return answers


class Target:
    """One server under test: its URL, and the next request's body and headers."""

    def __init__(self, http: aiohttp.ClientSession, tokens: list[str], label: str) -> None:
        self.http = http
        self.tokens = tokens
        self.label = label
        self.numbers: Iterator[int] = itertools.count()

    async def send(self) -> str:
        n = next(self.numbers)
        headers = {
            "Authorization": f"Bearer {self.tokens[n % len(self.tokens)]}",
            "Idempotency-Key": f"{self.label}-{n:08d}",
        }
        try:
            async with self.http.post(PATH, json=body(n), headers=headers) as answer:
                await answer.read()
                return str(answer.status)
        except (aiohttp.ClientError, TimeoutError) as error:
            return type(error).__name__


async def measure(
    target: Target,
    server: Server,
    options: Options,
    *,
    decided: bool = False,
    servers: Mapping[str, list[int]] | None = None,
) -> dict[str, Any]:
    """Warm up, then the fixed load, then the maximum, each after the server went idle.

    The maximum also says the CPU each request cost, from its first request until the
    server is idle again (what it left queued included): the server's own processes, and
    those of ``servers`` (the MongoDB-protocol server and Kafka, where they are local)."""
    if decided:
        # Consumer groups joined and the catalogue read: one order decided within the bound.
        status, deadline = "", time.monotonic() + START_TIMEOUT_S
        while status != "201":
            if time.monotonic() > deadline:
                raise RuntimeError(f"no order decided within {START_TIMEOUT_S:.0f}s: {status}")
            status = await target.send()
    await at_most(target.send, max(50, options.concurrency * 4), options.concurrency)
    idle_after_warmup = await settle(server)
    fixed = await at_rate(target.send, options.requests, options.rate)
    idle_after_fixed = await settle(server)
    meter = CpuMeter({"server": server.pids(), **(servers or {})})
    meter.start()
    top = await at_most(target.send, options.requests, options.concurrency)
    idle_after_max = await settle(server)
    cpu = meter.per(options.requests)
    result = {
        "fixed_load": {
            "offered_per_s": options.rate,
            **fixed.as_dict(),
            "idle_before_s": idle_after_warmup,
            "idle_after_s": idle_after_fixed,
        },
        "max": {**top.as_dict(), "idle_after_s": idle_after_max, "cpu_ms_per_request": cpu},
    }
    if decided:
        for run, answers in ((result["fixed_load"], fixed), (result["max"], top)):
            placed = answers.statuses.get("201", 0)
            run["decided_share"] = round(placed / run["requests"], 4)
            run["decided_per_s"] = round(placed / answers.elapsed_s, 1)
    return result


def _client(url: str) -> aiohttp.ClientSession:
    """The load's HTTP client. Not httpx: its connection pool scans every connection and every
    queued request for each request it sends, so at a fixed load of 100 req/s with a few
    hundred answers outstanding the client itself took 80 % of a core, 64 % of it in that
    scan, and fell seconds behind its schedule: the latency measured was the client's."""
    connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    return aiohttp.ClientSession(base_url=url, connector=connector, timeout=timeout)


async def _until_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=2.0) as http:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/ready")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    tail = (await asyncio.to_thread(log.read_text, errors="replace"))[-2000:]
    raise RuntimeError(f"the bare endpoint did not start: {tail}")


def _spawn_bare(port: int, env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "bench.bare", str(port)],
            cwd=REPO,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


@contextlib.asynccontextmanager
async def bare_server(servers: Endpoints, database: str, state: Path) -> AsyncIterator[Server]:
    """``bench.bare`` in a process of its own."""
    (port,) = pick_free_ports(1)
    log = state / "bare.log"
    env = os.environ | {"BENCH_MONGO_URL": servers.mongo_url, "BENCH_MONGO_DB": database}
    process = await asyncio.to_thread(_spawn_bare, port, env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        await _until_ready(url, process, log)
        yield Server(url, lambda: [process.pid])
    finally:
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 20)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)
        client: MongoClient[dict[str, Any]] = MongoClient(servers.mongo_url)
        with client:
            client.drop_database(database)


@contextlib.asynccontextmanager
async def allwan_services(
    servers: Endpoints, phase: str, state: Path, services: tuple[str, ...], wait_s: float
) -> AsyncIterator[Server]:
    """``services`` as processes, with databases and topics of the phase's own: the gateway
    (with the storefront's API key) and whatever it waits on."""
    runner = PhaseRunner(state / phase, servers, phase)
    env = {
        "ALLWAN_KAFKA_TOPIC_PREFIX": f"{phase}.",
        "ALLWAN_KEYS_DB": f"{phase}_keys",
        "ALLWAN_DECISION_WAIT_S": str(wait_s),
        # One storefront sends every request: its bucket must not be what is measured.
        "ALLWAN_RATE_LIMIT_PER_S": "1000000",
        "ALLWAN_RATE_LIMIT_BURST": "1000000",
        "OTEL_TRACES_EXPORTER": "none",
        "OTEL_METRICS_EXPORTER": "none",
    }
    try:
        system = await asyncio.to_thread(runner.start, None, env, START_TIMEOUT_S, services)
        key = dev_secrets(runner.state_dir)["ALLWAN_GATEWAY_STOREFRONT_API_KEY"]

        def pids() -> list[int]:
            return [pid for service in services if (pid := runner.pid(service)) is not None]

        yield Server(system.gateway_url, pids, key)
    finally:
        await asyncio.to_thread(runner.stop)
        client: MongoClient[dict[str, Any]] = MongoClient(servers.mongo_url)
        with client:
            for name in (*services, "keys"):
                client.drop_database(f"{phase}_{name}")


async def customer_tokens(
    http: aiohttp.ClientSession, api_key: str, customers: list[str]
) -> list[str]:
    """A token for each customer, as the storefront gets them."""
    tokens = []
    for customer in customers:
        async with http.post(
            "/v1/auth/customer-token",
            json={"customer_id": customer},
            headers={"X-API-Key": api_key},
        ) as answer:
            answer.raise_for_status()
            tokens.append(str((await answer.json())["access_token"]))
    return tokens


def _ratio(allwan: float, bare: Mapping[str, Any]) -> float | None:
    top = bare["max"]["served_per_s"]
    return round(allwan / top, 4) if top else None


async def run(servers: Endpoints, options: Options) -> dict[str, Any]:
    run_id = f"g{uuid.uuid4().hex[:8]}"
    customers = [f"{run_id}c{k:04d}" for k in range(options.customers)]
    local = await asyncio.to_thread(server_pids, servers.mongo_url, servers.kafka_brokers)
    with tempfile.TemporaryDirectory() as scratch:
        state = Path(scratch)
        results: dict[str, dict[str, Any]] = {}
        recording = allwan_services(servers, f"{run_id}intake", state, ("gateway",), 0.0)
        async with recording as server, _client(server.url) as http:
            tokens = await customer_tokens(http, server.api_key, customers)
            target = Target(http, tokens, f"{run_id}-i")
            results["intake"] = await measure(target, server, options, servers=local)
        async with (
            bare_server(servers, f"{run_id}_bare", state) as server,
            _client(server.url) as http,
        ):
            # The same headers, tokens included, though the bare endpoint reads none.
            target = Target(http, tokens, f"{run_id}-b")
            results["bare"] = await measure(target, server, options, servers=local)
        deciding = allwan_services(
            servers, f"{run_id}decide", state, ("orders", "gateway"), DECISION_WAIT_S
        )
        async with deciding as server, _client(server.url) as http:
            tokens = await customer_tokens(http, server.api_key, customers)
            target = Target(http, tokens, f"{run_id}-d")
            results["decision"] = await measure(
                target, server, options, decided=True, servers=local
            )
    bare, intake, decision = results["bare"], results["intake"], results["decision"]
    return {
        "benchmark": "gateway",
        "requests_per_measurement": options.requests,
        "offered_per_s": options.rate,
        "concurrency_at_max": options.concurrency,
        "customers": options.customers,
        "transport": "HTTP over loopback, each server a uvicorn process of its own",
        "bare_fastapi_validate_and_insert": bare,
        "gateway_intake_202": intake,
        "gateway_decision_201": decision,
        "ratio_intake_to_bare": _ratio(intake["max"]["served_per_s"], bare),
        # 201s only: a 202 is an order not decided within the bound.
        "ratio_decision_to_bare": _ratio(decision["max"]["decided_per_s"], bare),
    }


def summary(result: Mapping[str, Any]) -> str:
    """The result in one line."""
    bare = result["bare_fastapi_validate_and_insert"]
    intake, decision = result["gateway_intake_202"], result["gateway_decision_201"]
    rate = result["offered_per_s"]

    def at_load(run: Mapping[str, Any]) -> str:
        fixed = run["fixed_load"]
        return f"p50 {fixed['p50_ms']} ms p99 {fixed['p99_ms']} ms at {rate:g}/s offered"

    def cpu(run: Mapping[str, Any]) -> str:
        spent = run["max"].get("cpu_ms_per_request") or {}
        if "total" not in spent:
            return ""
        mongodb = f", MongoDB server {spent['mongodb']:g}" if "mongodb" in spent else ""
        return f", CPU {spent['total']:g} ms/request{mongodb}"

    return (
        f"gateway: place-order 201 max {decision['max']['decided_per_s']:,.0f} req/s "
        f"(ratio to bare {result['ratio_decision_to_bare']}, "
        f"{decision['max']['decided_share']:.0%} decided{cpu(decision)}), {at_load(decision)}; "
        f"intake 202 max {intake['max']['served_per_s']:,.0f} req/s "
        f"(ratio to bare {result['ratio_intake_to_bare']}{cpu(intake)}), {at_load(intake)}; "
        f"bare max {bare['max']['served_per_s']:,.0f} req/s{cpu(bare)}, {at_load(bare)}"
    )
