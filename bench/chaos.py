"""Orders through the gateway while services and servers are killed under them (``chaos``).

Two phases in one invocation, on one dev stack (Kafka, FerretDB, Mailpit) of its own in a
scratch directory, each with freshly started services, databases and topics of its own:

- fault-free: ``orders`` purchases by ``concurrency`` storefront clients, the baseline;
- chaos: the same number while a fault is injected every ``fault_every`` seconds, never before
  the previous one has recovered: SIGKILL of a random service; SIGKILL of Kafka or FerretDB,
  then a restart on the same ports and data; or Kafka frozen (SIGSTOP) for ``FREEZE_S``.

Kafka is one node unless ``kafka_nodes`` says more. One node stops the whole store while it is
down; with three, as production runs it, a Kafka fault kills or freezes one random node and
the other two carry on.

In both, a supervisor starts again any service that is not running, as Kubernetes would.
Once the load is over the run waits for quiescence, then counts from what the system left,
not from what it says about itself: orders accepted and active (the gateway), orders listed
per key and distinct OrderPlaced/OrderPaid/SubscriptionActivated per order (the orders
topic), emails per (customer, kind) (Mailpit, by the notifier's deterministic Message-ID),
dead letters (every dead-letter topic of the phase), the 5xx and connection errors the
storefront met. Recovery time of a fault: from the fault until a probe order placed after it
is decided and every service answers ``/health/ready`` with 200. Throughput: orders
accepted→active per second, the chaos phase's against the fault-free one's. Load lost to a
fault: the seconds from it to the next one, less the time the fault-free rate needs for the
orders that became active meanwhile; by kind, it says which faults the ratio pays for.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import signal
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from allwan_contracts.topics import ORDERS
from allwan_devstack import DevStack, Endpoints, ServerStartError
from allwan_devstack.ports import pick_free_ports
from allwan_devstack.procs import find_running
from allwan_devstack.stack import kafka_node_names
from allwan_devstack.system import SERVICES, SystemRunner, dev_secrets

from bench.evidence import (
    dead_letters,
    delete_topics_starting,
    emails_by_message_id,
    mail_kind_and_subject,
    order_events,
)
from bench.storefront import GaveUp, Order, Storefront, order_body

REPO: Final = Path(__file__).resolve().parents[1]
FAULTS: Final = ("service", "kafka", "mongo", "freeze")
FREEZE_S: Final = 5.0
"""How long a frozen broker stays stopped: longer than a produce or fetch timeout."""
RECOVERY_TIMEOUT_S: Final = 300.0
IN_SYNC_TIMEOUT_S: Final = 300.0
STALL_S: Final = 180.0
"""The load gives up when no order made progress for this long; the rest count as lost."""
QUIET_S: Final = 10.0
"""Quiescence: every email expected has arrived and nothing more came for this long..."""
SETTLE_S: Final = 60.0
"""...or, with some missing, nothing came for this long."""
SERVICE_START_TIMEOUT_S: Final = 120.0
SUPERVISE_EVERY_S: Final = 0.5
READY_TIMEOUT_S: Final = 2.0
MAIL_KINDS: Final = ("receipt", "activation")
ORDER_EVENTS: Final = ("OrderPlaced", "OrderPaid", "SubscriptionActivated")


@dataclass(frozen=True)
class Options:
    """What ``./dev bench chaos`` was asked for."""

    orders: int = 200
    fault_every: float = 8.0
    faults: tuple[str, ...] = FAULTS
    concurrency: int = 8
    seed: int = 1
    kafka_nodes: int = 1


@dataclass
class Fault:
    """One injected fault; ``at_s`` counts from the start of the phase's load."""

    kind: str
    target: str
    at_s: float
    recovery_s: float | None = None
    restart_s: float | None = None
    """From the kill until the server killed answered again (Kafka and FerretDB kills)."""
    loss_s: float | None = None
    """Load time this fault cost: its window (until the next fault, or the last activation)
    less the time the fault-free phase took for as many activations (``losses``)."""

    def as_dict(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 2)

        return {
            "kind": self.kind,
            "target": self.target,
            "at_s": round(self.at_s, 2),
            "recovery_s": rounded(self.recovery_s),
            "restart_s": rounded(self.restart_s),
            "loss_s": rounded(self.loss_s),
        }


def losses(faults: Sequence[Fault], activations: Sequence[float], rate: float) -> None:
    """Set each fault's ``loss_s``: the seconds of its window, from its ``at_s`` until the next
    fault's (the last one's: until the last activation), less the seconds the fault-free
    ``rate`` needs for the activations seen in that window. ``activations`` are the times,
    on the faults' clock, at which orders became active. Where a window saw more than the
    fault-free rate (a backlog caught up), the loss is negative."""
    if rate <= 0 or not faults:
        return
    ordered = sorted(faults, key=lambda fault: fault.at_s)
    end = max(activations, default=ordered[-1].at_s)
    ends = [fault.at_s for fault in ordered[1:]] + [max(end, ordered[-1].at_s)]
    for index, (fault, until) in enumerate(zip(ordered, ends, strict=True)):
        last = index == len(ordered) - 1
        done = sum(1 for at in activations if fault.at_s <= at and (at < until or last))
        fault.loss_s = (until - fault.at_s) - done / rate


def per_second(times: Sequence[float]) -> list[int]:
    """How many of ``times`` (seconds from the load's start) fall in each second of the load:
    the shape of each fault's dip and of the recovery after it, next to the faults' ``at_s``."""
    counts = [0] * (int(max(times, default=-1.0)) + 1)
    for at in times:
        counts[int(at)] += 1
    return counts


def _per_kind(
    faults: Sequence[Fault],
    value: Callable[[Fault], float | None],
    summary: Callable[[Sequence[float]], dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """``summary`` of each fault's ``value`` (where it has one) per kind of fault, and over
    all of them (``all``)."""
    by_kind: dict[str, list[float]] = {}
    for fault in faults:
        if (measured := value(fault)) is not None:
            by_kind.setdefault(fault.kind, []).append(measured)
    every = [measured for values in by_kind.values() for measured in values]
    return {kind: summary(values) for kind, values in [*sorted(by_kind.items()), ("all", every)]}


def _lost(values: Sequence[float]) -> dict[str, Any]:
    return {
        "count": len(values),
        "mean_s": round(statistics.fmean(values), 2) if values else None,
        "total_s": round(sum(values), 1),
    }


def _losses(faults: Sequence[Fault]) -> dict[str, dict[str, Any]]:
    """Load time lost per kind of fault: how many, their mean and their sum."""
    return _per_kind(faults, lambda fault: fault.loss_s, _lost)


class PhaseRunner(SystemRunner):
    """The services of one phase, each with a database of the phase's own."""

    def __init__(self, state_dir: Path, endpoints: Endpoints, phase: str) -> None:
        super().__init__(state_dir, endpoints, REPO)
        self.phase = phase

    def environment(self, service: str, port: int, extra: Mapping[str, str]) -> dict[str, str]:
        env = super().environment(service, port, extra)
        env["ALLWAN_MONGO_DB"] = f"{self.phase}_{service}"
        return env

    def pid(self, service: str) -> int | None:
        """The pid of ``service`` if it is running."""
        return find_running(self._pid_file(service), f"allwan_{service}")


async def under_replicated(bootstrap: str) -> int:
    """How many partitions of the cluster lack one of their replicas in sync (or a leader)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = await admin.describe_topics()
    finally:
        await admin.close()
    return unsynced(topics)


def unsynced(topics: Sequence[Mapping[str, Any]]) -> int:
    """The partitions of a metadata answer (``describe_topics``) without a leader or with a
    replica out of the in-sync set."""
    return sum(
        1
        for topic in topics
        for partition in topic.get("partitions", ())
        if partition.get("leader", -1) < 0
        or set(partition.get("isr", ())) != set(partition.get("replicas", ()))
    )


def _signal_group(pid: int, sig: signal.Signals) -> None:
    # Servers and services lead their own process groups (``procs.spawn``).
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _say(line: str) -> None:
    # Wall-clock time, to read next to the servers' and services' logs.
    now = datetime.now(UTC).strftime("%H:%M:%S.%f")[:-3]
    print(f"chaos {now}: {line}", file=sys.stderr, flush=True)


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def _summary(values: Sequence[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0, "p50_s": None, "max_s": None}
    return {
        "count": len(values),
        "p50_s": round(statistics.median(values), 2),
        "max_s": round(max(values), 2),
    }


def _recovery(faults: Sequence[Fault]) -> dict[str, dict[str, Any]]:
    """Recovery times per kind of fault and over all of them."""
    return _per_kind(faults, lambda fault: fault.recovery_s, _summary)


def _emails(
    accepted: Sequence[Order], by_id: Mapping[str, Order], copies: Mapping[str, int]
) -> dict[str, int]:
    """Emails per (customer, kind): a receipt owed for each placed order, an activation for
    each active one; a second copy of one is a duplicate."""
    received: dict[tuple[str, str], int] = {}
    for message_id, count in copies.items():
        parsed = mail_kind_and_subject(message_id)
        if parsed is None or parsed[0] not in MAIL_KINDS or parsed[1] not in by_id:
            continue
        key = (by_id[parsed[1]].customer_id, parsed[0])
        received[key] = received.get(key, 0) + count
    owed = {(o.customer_id, "receipt") for o in accepted if o.placed_at is not None}
    owed |= {(o.customer_id, "activation") for o in accepted if o.active_at is not None}
    return {
        "owed": len(owed),
        "received": sum(received.values()),
        "lost": len(owed - received.keys()),
        "duplicates": sum(count - 1 for count in received.values() if count > 1),
        "not_owed": len(received.keys() - owed),
    }


@dataclass
class Phase:
    """One run of ``options.orders`` purchases on services started for it."""

    name: str
    stack: DevStack
    options: Options
    rng: random.Random
    run_id: str
    state_dir: Path
    runner: PhaseRunner = field(init=False)
    ports: dict[str, int] = field(init=False)
    env: dict[str, str] = field(init=False)
    restarts: int = 0
    probes: int = 0
    restarting: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    """The restart under way of each server killed, by server."""
    faults: list[Fault] = field(default_factory=list)
    activations: list[float] = field(default_factory=list)
    """When each order became active, in seconds from the start of the load (faults' clock)."""

    def __post_init__(self) -> None:
        phase = f"{self.run_id}_{self.name}"
        self.runner = PhaseRunner(self.state_dir / self.name, self.stack.endpoints, phase)
        self.ports = dict(zip(SERVICES, pick_free_ports(len(SERVICES)), strict=True))
        self.env = {
            "ALLWAN_KAFKA_TOPIC_PREFIX": self.topic_prefix,
            "ALLWAN_KEYS_DB": f"{phase}_keys",
            # One storefront drives every purchase: its key's bucket must not be the limit.
            "ALLWAN_RATE_LIMIT_PER_S": "100000",
            "ALLWAN_RATE_LIMIT_BURST": "100000",
            "OTEL_TRACES_EXPORTER": "none",
            "OTEL_METRICS_EXPORTER": "none",
        }

    @property
    def topic_prefix(self) -> str:
        return f"{self.run_id}-{self.name}."

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def new_order(self, label: str) -> Order:
        customer = f"{self.run_id}-{self.name[0]}{label}"
        return Order(
            customer_id=customer,
            key=f"{customer}-order",
            body=order_body(customer, f"+9665{self.rng.randint(10_000_000, 99_999_999)}"),
            payment_reference=f"pay_{customer}",
        )

    # -- services ------------------------------------------------------------------------

    async def start_services(self) -> None:
        await asyncio.to_thread(
            self.runner.start, self.ports, self.env, SERVICE_START_TIMEOUT_S, SERVICES
        )

    async def supervise(self, stop: asyncio.Event) -> None:
        """Start again every service that is not running, until ``stop``."""
        while not stop.is_set():
            dead = [service for service in SERVICES if self.runner.pid(service) is None]
            if dead:
                self.restarts += len(dead)
                try:
                    await self.start_services()
                except ServerStartError as error:
                    _say(f"{self.name}: restart of {', '.join(dead)} not ready yet: {error}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SUPERVISE_EVERY_S)

    async def all_ready(self, http: httpx.AsyncClient) -> bool:
        for service in SERVICES:
            try:
                answer = await http.get(
                    f"{self.url(service)}/health/ready", timeout=READY_TIMEOUT_S
                )
            except httpx.TransportError:
                return False
            if answer.status_code != 200:
                return False
        return True

    # -- faults --------------------------------------------------------------------------

    async def recovered(self, storefront: Storefront, since: float) -> float | None:
        """Seconds from ``since`` until a probe order placed now is decided and every
        service is ready; None if that takes longer than ``RECOVERY_TIMEOUT_S``."""
        self.probes += 1
        probe = self.new_order(f"probe{self.probes:04d}")
        try:
            async with asyncio.timeout(RECOVERY_TIMEOUT_S), httpx.AsyncClient() as http:
                await storefront.decided(probe)
                while True:
                    if await self.all_ready(http):
                        break
                    await asyncio.sleep(0.1)
        except (TimeoutError, GaveUp, httpx.HTTPStatusError):
            return None
        return time.monotonic() - since

    def kafka_node(self) -> str:
        """The Kafka node a fault hits: a random one of a cluster (the seed's choice)."""
        nodes = kafka_node_names(self.stack.kafka_nodes)
        return nodes[0] if len(nodes) == 1 else self.rng.choice(nodes)

    async def back(self, servers: Sequence[str]) -> None:
        """Return once every restart under way of one of ``servers`` is over."""
        for server in servers:
            task = self.restarting.pop(server, None)
            if task is not None:
                await task

    async def restart_server(self, server: str, fault: Fault, killed_at: float) -> None:
        # The pid may linger for a moment after SIGKILL; restart_stopped skips running ones.
        async with asyncio.timeout(30):
            while True:
                if self.stack.status()[server] is None:
                    break
                await asyncio.sleep(0.05)
        restarted = await asyncio.to_thread(self.stack.restart_stopped)
        fault.restart_s = time.monotonic() - killed_at
        _say(f"{self.name}: restarted {', '.join(restarted)} in {fault.restart_s:.1f}s")

    async def kafka_in_sync(self) -> None:
        """Return once every partition has all its replicas in sync (at once with one node).

        A node answering again is not yet a node holding copies: until it is back in every
        partition's in-sync replicas (after a restart or a freeze), another node down would
        leave some partitions with one copy, below what a write needs: two faults at once.
        """
        if self.stack.kafka_nodes == 1:
            return
        began = time.monotonic()
        async with asyncio.timeout(IN_SYNC_TIMEOUT_S):
            while True:
                try:
                    if not await under_replicated(self.stack.endpoints.kafka_bootstrap):
                        break
                except KafkaError:  # a node still settling: ask again
                    pass
                await asyncio.sleep(0.5)
        if time.monotonic() - began > 1.0:
            _say(f"{self.name}: Kafka in sync again after {time.monotonic() - began:.1f}s")

    async def inject(self, kind: str, storefront: Storefront, load_started: float) -> Fault:
        """Inject one fault of ``kind``, restart what it killed, and time the recovery.

        A server killed is restarted in the background: the next fault need not wait for it
        when the store recovered without it (one Kafka node of three). A fault on Kafka or
        FerretDB waits for the restart of every server of its kind first, and one on Kafka
        for every partition to have its replicas in sync again: two Kafka nodes of three
        down stop the store by design (a write needs two copies), which would be two faults
        at once.
        """
        if kind == "service":
            at = time.monotonic()
            running = [s for s in SERVICES if self.runner.pid(s) is not None]
            target = self.rng.choice(running or list(SERVICES))
            pid = self.runner.pid(target)
            if pid is not None:
                _signal_group(pid, signal.SIGKILL)
        else:
            if kind == "mongo":
                await self.back(["mongo"])
            else:
                await self.back(kafka_node_names(self.stack.kafka_nodes))
                await self.kafka_in_sync()
            at = time.monotonic()
            target = "mongo" if kind == "mongo" else self.kafka_node()
            pid = self.stack.status()[target]
            if pid is None:
                raise RuntimeError(f"{target} is not running: the stack is broken")
            _signal_group(pid, signal.SIGSTOP if kind == "freeze" else signal.SIGKILL)
        fault = Fault(kind, target, at - load_started)
        _say(f"{self.name}: {kind} fault on {target} at {fault.at_s:.1f}s")
        recovery = asyncio.create_task(self.recovered(storefront, at))
        if kind in {"kafka", "mongo"}:
            self.restarting[target] = asyncio.create_task(self.restart_server(target, fault, at))
        elif kind == "freeze":
            assert pid is not None
            try:
                await asyncio.sleep(FREEZE_S)  # the fault itself lasts this long
            finally:
                _signal_group(pid, signal.SIGCONT)
        fault.recovery_s = await recovery
        took = "not in time" if fault.recovery_s is None else f"in {fault.recovery_s:.1f}s"
        _say(f"{self.name}: recovered from {kind} on {target} {took}")
        return fault

    async def inject_all(
        self, storefront: Storefront, load_started: float, done: asyncio.Event
    ) -> list[Fault]:
        """Faults every ``fault_every`` s (or once the previous one recovered) until ``done``.

        The kinds take turns in an order drawn from the seed, so that a short run still meets
        each of them once it has seen as many faults as there are kinds.
        """
        kinds = list(self.options.faults)
        self.rng.shuffle(kinds)
        turns = itertools.cycle(kinds)
        faults: list[Fault] = []
        next_at = time.monotonic() + self.options.fault_every
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), max(0.0, next_at - time.monotonic()))
            if done.is_set():
                await self.back(list(self.restarting))
                return faults
            started = time.monotonic()
            faults.append(await self.inject(next(turns), storefront, load_started))
            next_at = max(started + self.options.fault_every, time.monotonic())

    # -- load ----------------------------------------------------------------------------

    async def drive(self, storefront: Storefront, orders: list[Order]) -> None:
        """Every order bought by ``concurrency`` clients; gives up after ``STALL_S`` without
        progress."""
        pending = iter(orders)

        async def client() -> None:
            for order in pending:
                try:
                    await storefront.buy(order)
                except GaveUp:
                    return
                except httpx.HTTPStatusError as error:
                    order.refusal = f"http {error.response.status_code}"

        async def watch() -> None:
            while not storefront.stop.is_set():
                if time.monotonic() - storefront.progressed_at > STALL_S:
                    _say(f"{self.name}: no progress for {STALL_S:.0f}s, giving up")
                    storefront.stop.set()
                await asyncio.sleep(1.0)

        watching = asyncio.create_task(watch())
        try:
            await asyncio.gather(*(client() for _ in range(self.options.concurrency)))
        finally:
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching

    async def quiesce(self, orders: list[Order]) -> Mapping[str, int]:
        """Wait until the emails owed have arrived and no more come; return Mailpit's count
        of copies per Message-ID at that point."""
        mail_api = self.stack.endpoints.mail_api_url
        assert mail_api is not None
        owed = {
            f"{kind}.{order.order_id}"
            for order in orders
            for kind, reached in (("receipt", order.placed_at), ("activation", order.active_at))
            if reached is not None
        }
        started = changed = time.monotonic()
        previous = -1
        while True:
            found = await emails_by_message_id(mail_api)
            mine = {
                local: count
                for message_id, count in found.items()
                if (local := message_id.partition("@")[0]) in owed
            }
            copies, now = sum(mine.values()), time.monotonic()
            if copies != previous:
                previous, changed = copies, now
            quiet = now - changed
            if (mine.keys() >= owed and quiet >= QUIET_S) or quiet >= SETTLE_S:
                return found
            if now - started > RECOVERY_TIMEOUT_S:
                _say(f"{self.name}: mail still arriving after {RECOVERY_TIMEOUT_S:.0f}s")
                return found
            await asyncio.sleep(1.0)

    # -- the phase -----------------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        _say(f"{self.name}: starting the services")
        await self.start_services()
        stop_supervising = asyncio.Event()
        supervisor = asyncio.create_task(self.supervise(stop_supervising))
        api_key = dev_secrets(self.runner.state_dir)["ALLWAN_GATEWAY_STOREFRONT_API_KEY"]
        try:
            async with httpx.AsyncClient(base_url=self.url("gateway"), timeout=10.0) as http:
                storefront = Storefront(http, api_key)
                # Not measured: first connections, first data keys, consumer groups joined.
                await storefront.buy(self.new_order("warmup"))
                orders = [self.new_order(f"{n:05d}") for n in range(self.options.orders)]
                faults = await self.load(storefront, orders)
                storefront.stop.clear()
                _say(f"{self.name}: load done, waiting for quiescence")
                emails = await self.quiesce(orders)
                return await self.count(storefront, orders, faults, emails)
        finally:
            stop_supervising.set()
            await supervisor
            await asyncio.to_thread(self.runner.stop)

    async def load(self, storefront: Storefront, orders: list[Order]) -> list[Fault]:
        started = storefront.progressed_at = time.monotonic()
        done = asyncio.Event()
        injecting = (
            asyncio.create_task(self.inject_all(storefront, started, done))
            if self.options.faults
            else None
        )
        _say(f"{self.name}: {len(orders)} orders by {self.options.concurrency} clients")
        try:
            await self.drive(storefront, orders)
        finally:
            done.set()
        self.activations = sorted(
            order.active_at - started for order in orders if order.active_at is not None
        )
        if injecting is None:
            return []
        # The fault under way recovers first: its probe needs the storefront.
        storefront.stop.clear()
        self.faults = await injecting
        return self.faults

    async def count(
        self,
        storefront: Storefront,
        orders: list[Order],
        faults: list[Fault],
        emails: Mapping[str, int],
    ) -> dict[str, Any]:
        servers = self.stack.endpoints
        accepted = [o for o in orders if o.order_id is not None]
        active = [o for o in accepted if o.active_at is not None]
        by_id = {o.order_id: o for o in accepted if o.order_id is not None}
        events = await order_events(
            servers.kafka_bootstrap, f"{self.topic_prefix}{ORDERS.name}", by_id
        )
        listed = await self.orders_per_key(storefront, accepted)
        started = min((o.started for o in orders if o.started), default=0.0)
        finished = max((o.active_at for o in active if o.active_at is not None), default=started)
        elapsed = finished - started
        latencies = [(o.active_at - o.started) * 1000 for o in active if o.active_at is not None]
        return {
            "orders": len(orders),
            "accepted": len(accepted),
            "active": len(active),
            "lost": sum(1 for o in accepted if o.active_at is None and o.refusal is None),
            "not_accepted": sum(1 for o in orders if o.order_id is None and o.refusal is None),
            "refused": {o.customer_id: o.refusal for o in orders if o.refusal is not None},
            "duplicate_orders_per_key": sum(1 for count in listed.values() if count > 1),
            "keys_without_their_order": sum(1 for count in listed.values() if count == 0),
            "orders_topic": {
                "records": events.records,
                "missing": {
                    "OrderPlaced": sum(
                        1
                        for o in accepted
                        if o.placed_at and not events.has(str(o.order_id), "OrderPlaced")
                    ),
                    "OrderPaid": sum(
                        1
                        for o in accepted
                        if o.paid_at and not events.has(str(o.order_id), "OrderPaid")
                    ),
                    "SubscriptionActivated": sum(
                        1
                        for o in active
                        if not events.has(str(o.order_id), "SubscriptionActivated")
                    ),
                },
                "decided_twice": {kind: events.duplicated(kind) for kind in ORDER_EVENTS},
            },
            "emails": _emails(accepted, by_id, emails),
            "dead_letters": await dead_letters(servers.kafka_bootstrap, self.topic_prefix),
            "storefront": storefront.traffic.as_dict(),
            "service_restarts": self.restarts,
            "faults": [fault.as_dict() for fault in faults],
            "faults_not_recovered": sum(1 for fault in faults if fault.recovery_s is None),
            "recovery": _recovery(faults),
            "elapsed_s": round(elapsed, 2),
            "throughput_orders_per_s": round(len(active) / elapsed, 3) if elapsed > 0 else 0.0,
            "place_to_active_ms": {
                "p50": round(statistics.median(latencies), 1) if latencies else None,
                "p99": round(_percentile(latencies, 0.99), 1) if latencies else None,
            },
        }

    async def orders_per_key(self, storefront: Storefront, accepted: list[Order]) -> dict[str, int]:
        """How many orders the gateway lists for each key's customer (one key, one customer)."""
        lanes = asyncio.Semaphore(self.options.concurrency)

        async def listed(order: Order) -> int:
            async with lanes:
                token = await storefront.customer_token(order.customer_id)
                answer = await storefront.call(
                    "GET",
                    f"/v1/customers/{order.customer_id}/orders",
                    headers={"Authorization": f"Bearer {token}"},
                )
            answer.raise_for_status()
            return len(answer.json()["orders"])

        counts = await asyncio.gather(*(listed(order) for order in accepted))
        return {order.key: count for order, count in zip(accepted, counts, strict=True)}


async def _run(options: Options, stack: DevStack, state_dir: Path) -> dict[str, Any]:
    run_id = f"c{uuid.uuid4().hex[:6]}"
    rng = random.Random(options.seed)
    fault_free = Options(
        orders=options.orders,
        fault_every=options.fault_every,
        faults=(),
        concurrency=options.concurrency,
        seed=options.seed,
        kafka_nodes=options.kafka_nodes,
    )
    first = Phase("baseline", stack, fault_free, rng, run_id, state_dir)
    baseline = await first.run()
    # Counted already: its partitions would only lengthen every broker restart of the chaos
    # phase (a restarted broker recovers each partition it holds).
    dropped = await delete_topics_starting(stack.endpoints.kafka_bootstrap, first.topic_prefix)
    _say(f"baseline: {len(dropped)} topics deleted")
    second = Phase("chaos", stack, options, rng, run_id, state_dir)
    chaos = await second.run()
    base_rate = baseline["throughput_orders_per_s"]
    losses(second.faults, second.activations, base_rate)
    chaos["faults"] = [fault.as_dict() for fault in second.faults]
    chaos["loss"] = _losses(second.faults)
    chaos["activations_per_s"] = per_second(second.activations)
    return {
        "benchmark": "chaos",
        "orders": options.orders,
        "concurrency": options.concurrency,
        "kafka_nodes": options.kafka_nodes,
        "fault_every_s": options.fault_every,
        "faults_enabled": list(options.faults),
        "freeze_s": FREEZE_S,
        "seed": options.seed,
        "fault_free": baseline,
        "chaos": chaos,
        "throughput_ratio_chaos_to_fault_free": (
            round(chaos["throughput_orders_per_s"] / base_rate, 4) if base_rate else None
        ),
    }


def run(options: Options, state_dir: Path) -> dict[str, Any]:
    """Start a dev stack under ``state_dir``, run both phases on it, and stop it."""
    with DevStack(state_dir / "devstack", kafka_nodes=options.kafka_nodes) as stack:
        return asyncio.run(_run(options, stack, state_dir))


def summary(result: dict[str, Any]) -> str:
    """The result in one line."""
    chaos, base = result["chaos"], result["fault_free"]
    recovery = chaos["recovery"]["all"]
    kinds = ",".join(sorted({fault["kind"] for fault in chaos["faults"]})) or "none"
    loss = " ".join(
        f"{kind} {lost['mean_s']}s" for kind, lost in chaos.get("loss", {}).items() if lost["count"]
    )
    return (
        f"chaos: {chaos['orders']} orders, {len(chaos['faults'])} faults ({kinds}), "
        f"{result['kafka_nodes']} Kafka node(s): "
        f"accepted {chaos['accepted']}, active {chaos['active']}, lost {chaos['lost']}, "
        f"duplicate orders {chaos['duplicate_orders_per_key']}, "
        f"emails lost {chaos['emails']['lost']} duplicated {chaos['emails']['duplicates']}, "
        f"dead letters {chaos['dead_letters']['total']}, 5xx {chaos['storefront']['http_5xx']}; "
        f"recovery p50 {recovery['p50_s']}s max {recovery['max_s']}s; "
        f"load lost per fault {loss}; throughput "
        f"{chaos['throughput_orders_per_s']}/s vs {base['throughput_orders_per_s']}/s fault-free "
        f"(ratio {result['throughput_ratio_chaos_to_fault_free']})"
    )
