"""Liveness and readiness.

Liveness answers as long as the event loop runs: a slow but healthy consumer must not be
restarted. Readiness reflects the dependencies: MongoDB answers a ping, Kafka answers a
metadata request, and no consumer is stuck (a record failing for too long, or lag that does
not move, as after a broker restart the client did not recover from).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

Check = Callable[[], Awaitable[None]]
_POSITION_TIMEOUT_S = 0.5
_ENDS_TIMEOUT_S = 3.0
ASGIReceive = Callable[[], Awaitable[dict[str, Any]]]
ASGISend = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class LagProbe:
    """Fails when a consumer has records to read but has moved on none of its partitions for a
    while: the client is not reading (as after a broker restart it did not recover from).

    Progress on any partition counts: a consumer working through a backlog reads one partition
    after another, and one waiting its turn is not a fault. Nor is a partition that lagged
    while Kafka was down: once the broker is back, the first record read makes it ready.
    """

    consumer: Callable[[], AIOKafkaConsumer | None]
    stuck_after_s: float
    ask_broker: bool = False
    """Read each partition's end from the broker (a request per call) instead of the high
    watermark the client last fetched: a client whose loop stopped polling stops fetching
    too, so its own watermark shows no lag at all."""
    _positions: dict[TopicPartition, int] = field(default_factory=dict)
    _moved_at: float | None = None

    async def __call__(self) -> None:
        consumer = self.consumer()
        if consumer is None:
            raise RuntimeError("consumer not running")
        now = time.monotonic()
        assigned = sorted(consumer.assignment())
        known = await asyncio.gather(*(_position(consumer, tp) for tp in assigned))
        positions = dict(zip(assigned, known, strict=True))
        ends = await self._ends(consumer, assigned)
        lagging = [
            tp
            for tp, position in positions.items()
            if position is not None and (ends.get(tp) or 0) > position
        ]
        # Progress is a known position that changed; one merely found or lost again (an
        # offset still being looked up) is not.
        moved = any(
            self._positions.get(tp, position) != position
            for tp, position in positions.items()
            if position is not None
        )
        self._positions |= {tp: p for tp, p in positions.items() if p is not None}
        if self._moved_at is None or moved or not lagging:
            self._moved_at = now
        elif now - self._moved_at > self.stuck_after_s:
            tp = min(lagging)
            raise RuntimeError(
                f"no progress on {len(lagging)} lagging partitions, e.g. {tp.topic}[{tp.partition}]"
            )

    def restart_clock(self) -> None:
        """Count time without progress from the next call on: the broker was away, and a
        consumer cannot move while it is (the supervisor calls this during an outage)."""
        self._moved_at = None

    async def _ends(
        self, consumer: AIOKafkaConsumer, assigned: list[TopicPartition]
    ) -> dict[TopicPartition, int | None]:
        if self.ask_broker and assigned:
            try:
                ends = await asyncio.wait_for(consumer.end_offsets(assigned), _ENDS_TIMEOUT_S)
                return {tp: int(offset) for tp, offset in ends.items()}
            except (TimeoutError, KafkaError):
                pass  # the broker did not say: the client's own view is all there is
        return {tp: consumer.highwater(tp) for tp in assigned}


async def _position(consumer: AIOKafkaConsumer, tp: TopicPartition) -> int | None:
    # A partition whose offset is still being looked up (a broker that just came back) has
    # no position yet, and asking waits for one: it counts as unknown, not as stuck.
    try:
        return int(await asyncio.wait_for(consumer.position(tp), _POSITION_TIMEOUT_S))
    except (TimeoutError, KafkaError):
        return None


class Health:
    """Named readiness checks, each bounded by a timeout."""

    def __init__(self, timeout_s: float = 2.0) -> None:
        self._checks: dict[str, Check] = {}
        self._timeout_s = timeout_s

    def add(self, name: str, check: Check) -> None:
        """Register a check; it passes by returning and fails by raising."""
        self._checks[name] = check

    async def readiness(self) -> dict[str, str]:
        """Run every check concurrently; ``{name: "ok" | reason}``."""
        names = list(self._checks)
        results = await asyncio.gather(
            *(asyncio.wait_for(self._checks[n](), self._timeout_s) for n in names),
            return_exceptions=True,
        )
        return {
            name: "ok" if not isinstance(result, BaseException) else _reason(result)
            for name, result in zip(names, results, strict=True)
        }

    def asgi_routes(self) -> list[tuple[str, Callable[..., Awaitable[None]]]]:
        """``/health/live`` and ``/health/ready`` as plain ASGI apps."""

        async def live(scope: Mapping[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
            await _json(send, 200, {"status": "live"})

        async def ready(scope: Mapping[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
            checks = await self.readiness()
            ok = all(v == "ok" for v in checks.values())
            await _json(
                send,
                200 if ok else 503,
                {"status": "ready" if ok else "not ready", "checks": checks},
            )

        return [("/health/live", live), ("/health/ready", ready)]


def _reason(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timeout"
    return f"{type(error).__name__}: {error}"[:200]


async def _json(send: ASGISend, status: int, body: Mapping[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"cache-control", b"no-store")],
        }
    )
    await send({"type": "http.response.body", "body": payload})
