"""Readiness follows Kafka: a broker that stops answering makes a service not ready, whether
it publishes (an outbox relay) or only consumes."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import Iterator

import pytest
from allwan_contracts import Envelope, OrderPlaced
from allwan_devstack import DevStack, Endpoints
from allwan_runtime.handlers import Handlers
from allwan_runtime.service import ServiceRuntime
from allwan_runtime.settings import RuntimeSettings
from pydantic import SecretStr

# Starting a stack of its own is part of this test (a minute on a loaded 2-core machine).
pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DevStack, Endpoints]]:
    """A stack of its own: these tests freeze its broker, which others must not feel. Each
    test leaves the broker answering again."""
    with DevStack(tmp_path_factory.mktemp("readiness") / "stack") as stack:
        yield stack, stack.start()


async def wait_for(runtime: ServiceRuntime, ready: bool, timeout: float = 30) -> dict[str, str]:
    async with asyncio.timeout(timeout):
        while True:
            checks = await runtime.health.readiness()
            if all(v == "ok" for v in checks.values()) == ready:
                return checks
            await asyncio.sleep(0.2)


def probe_runtime(servers: Endpoints, *, relay: bool) -> ServiceRuntime:
    """A service of its own names with one consumer group, with or without an outbox relay."""
    name = f"ready-{uuid.uuid4().hex[:6]}"
    settings = RuntimeSettings(
        service_name=name,
        kafka_bootstrap=servers.kafka_bootstrap,
        mongo_url=SecretStr(servers.mongo_url),
        kafka_topic_prefix=f"{name}.",
    )
    runtime = ServiceRuntime(settings, relay=relay)

    async def ignore(event: OrderPlaced, envelope: Envelope, deps: None) -> None:
        return None

    handlers: Handlers[None] = Handlers(None)
    handlers.on(OrderPlaced, ignore)
    runtime.consume("probe", ["allwan.orders"], handlers)
    return runtime


@pytest.mark.parametrize(
    "relay",
    [
        pytest.param(True, id="publishes-with-a-relay"),
        # The notifier: no relay, so no producer to ask, yet its consumers stop receiving.
        pytest.param(False, id="only-consumes"),
    ],
)
async def test_a_service_is_not_ready_while_its_broker_does_not_answer(
    own_stack: tuple[DevStack, Endpoints], relay: bool
) -> None:
    stack, servers = own_stack
    runtime = probe_runtime(servers, relay=relay)
    async with runtime.running():
        await wait_for(runtime, ready=True)
        kafka_pid = stack.status()["kafka"]
        assert kafka_pid is not None
        os.kill(kafka_pid, signal.SIGSTOP)
        try:
            checks = await wait_for(runtime, ready=False)
            assert checks["kafka"] != "ok"
            assert checks["mongodb"] == "ok"
        finally:
            os.kill(kafka_pid, signal.SIGCONT)
        await wait_for(runtime, ready=True, timeout=60)
