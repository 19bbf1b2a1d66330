"""The running system: consent, orders, privacy, notifier and gateway as processes
(``SystemRunner``) on the real servers, with a topic prefix of their own and every span
exported to a collector in this process. Starting one is most of the cost: the modules
without settings of their own share the run's system (``shared_system``, tests/conftest.py,
with the web pages the browser tests use too); a module with ``SYSTEM_ENV`` gets its own."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import schemathesis
from allwan_devstack import Endpoints
from allwan_devstack.errors import ServerStartError
from allwan_devstack.system import ALL_SERVICES, SERVICES, WEB, SystemRunner, dev_secrets
from pymongo import AsyncMongoClient, MongoClient
from pymongo.asynchronous.database import AsyncDatabase
from schemathesis.schemas import BaseSchema

from tests import fuzzing
from tests.e2e.collector import Collector
from tests.integration.ports import ReservedPort

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]


class IsolatedRunner(SystemRunner):
    """The services with databases of this run's own: by default each would use
    ``allwan_<service>`` (and ``allwan_keys``), which a system on the same servers (``./dev
    up``, or an earlier run) shares, with its event stores, outboxes and relay leases."""

    def __init__(self, state_dir: Path, endpoints: Endpoints, repo_root: Path, run: str) -> None:
        super().__init__(state_dir, endpoints, repo_root)
        self.run = run

    def database(self, service: str) -> str:
        return f"e2e{self.run}_{service}"

    def environment(self, service: str, port: int, extra: Mapping[str, str]) -> dict[str, str]:
        env = super().environment(service, port, extra)
        env["ALLWAN_MONGO_DB"] = self.database(service)
        return env


@dataclass
class RunningSystem:
    urls: dict[str, str]
    secrets: dict[str, str]
    servers: Endpoints
    collector: Collector
    runner: IsolatedRunner
    pending: dict[str, str]
    extra_env: dict[str, str]

    @property
    def gateway(self) -> str:
        return self.urls["gateway"]

    @property
    def web(self) -> str:
        """The store's web pages (only where the system was started with them)."""
        return self.urls[WEB]

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.gateway, timeout=10.0)

    def storefront(self) -> dict[str, str]:
        return {"X-API-Key": self.secrets["ALLWAN_GATEWAY_STOREFRONT_API_KEY"]}

    def staff(self) -> dict[str, str]:
        return {"X-API-Key": self.secrets["ALLWAN_GATEWAY_STAFF_API_KEY"]}

    async def customer(self, http: httpx.AsyncClient, customer_id: str) -> dict[str, str]:
        answer = await http.post(
            "/v1/auth/customer-token", json={"customer_id": customer_id}, headers=self.storefront()
        )
        answer.raise_for_status()
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def customer_token(self, customer_id: str) -> str:
        """A customer's token, as the storefront gets it (for callers that cannot await)."""
        answer = httpx.post(
            f"{self.gateway}/v1/auth/customer-token",
            json={"customer_id": customer_id},
            headers=self.storefront(),
            timeout=10.0,
        )
        answer.raise_for_status()
        token: str = answer.json()["access_token"]
        return token

    def command(self, service: str, *arguments: str) -> str:
        """Run ``allwan-<service> <arguments>`` with the service's own configuration."""
        done = subprocess.run(
            [sys.executable, "-m", f"allwan_{service}.entrypoints.cli", *arguments],
            env=self.runner.environment(service, 0, self.extra_env),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    def log(self, service: str) -> str:
        return self.runner.log_path(service).read_text(errors="replace")[-4000:]

    @contextlib.asynccontextmanager
    async def database(self, service: str) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
        """The service's own database: for a test to wait until a consumer of that service
        has caught up, where no API shows it (the notifier's address book)."""
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            self.servers.mongo_url, tz_aware=True
        )
        try:
            yield client[self.runner.database(service)]
        finally:
            await client.close()


@contextlib.contextmanager
def running_system(
    servers: Endpoints,
    state: Path,
    env: Mapping[str, str] | None = None,
    *,
    web: bool = False,
) -> Iterator[RunningSystem]:
    """The system on ``servers``, with databases, topics and a state directory (``state``) of
    its own; ``env`` adds to (or overrides) the services' environment, ``web`` starts the web
    pages too, after the gateway. Everything is stopped and the databases dropped after."""
    collector = Collector()
    collector.start()
    run = uuid.uuid4().hex[:10]
    runner = IsolatedRunner(state, servers, REPO, run)
    extra = {
        "ALLWAN_KAFKA_TOPIC_PREFIX": f"e2e{run}.",
        "ALLWAN_KEYS_DB": runner.database("keys"),
        "ALLWAN_SALLA_CHECKOUT_ATTESTS_LEGAL_AGE": "true",
        "ALLWAN_RELAY_POLL_INTERVAL_S": "0.05",
        "ALLWAN_DECISION_WAIT_S": "2",
        # A verified erasure waits its grace period (15 minutes by default), looked at by the
        # privacy service's deadline job.
        "ALLWAN_ERASURE_GRACE_S": "1",
        "ALLWAN_DEADLINE_CHECK_INTERVAL_S": "0.5",
        "ALLWAN_CONTACT_EMAIL": "privacy@allwanstores.example",
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "OTEL_METRICS_EXPORTER": "none",
        "ALLWAN_SMTP_TLS": "none",  # the dev stack's Mailpit speaks plain SMTP
    } | dict(env or {})
    pending: dict[str, str] = {}
    # Held until the services stop: a port picked free and let go before a service (seconds
    # later, after its imports) binds it may meanwhile be taken by any other socket.
    reserved = {service: ReservedPort() for service in ALL_SERVICES}
    ports = {service: port.port for service, port in reserved.items()}
    try:
        runner.start(ports, extra, services=("consent", "orders", "privacy"), timeout=120)
        try:
            runner.start(ports, extra, services=("notifier",), timeout=120)
        except ServerStartError as error:
            pending["notifier"] = str(error).splitlines()[0][:300]
        system = runner.start(ports, extra, services=("gateway",), timeout=120)
        if web:
            system = runner.start(ports, extra, services=(WEB,), timeout=120)
        running = runner.running()
        assert running is not None
        yield RunningSystem(
            running.urls | system.urls,
            dev_secrets(state),
            servers,
            collector,
            runner,
            pending,
            extra,
        )
    finally:
        runner.stop()
        collector.stop()
        for port in reserved.values():
            port.release()
        client: MongoClient[dict[str, Any]] = MongoClient(servers.mongo_url)
        with client:
            for service in (*SERVICES, "keys"):
                client.drop_database(runner.database(service))


@pytest.fixture(scope="module")
def system(
    servers: Endpoints, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[RunningSystem]:
    """The system for one test module: the run's shared one (``tests/conftest.py``), or, for a
    module whose ``SYSTEM_ENV`` adds to (or overrides) the services' environment, one of its
    own, stopped after the module."""
    env = getattr(request.module, "SYSTEM_ENV", None)
    if env is None:
        yield request.getfixturevalue("shared_system")
        return
    with running_system(servers, tmp_path_factory.mktemp("system"), env) as running:
        yield running


@pytest.fixture(scope="module")
def openapi(system: RunningSystem) -> BaseSchema:
    """The running gateway's OpenAPI document as schemathesis runs it (``tests/fuzzing.py``):
    every check but the gateway's own (``GATEWAY_CHECKS``), staff's and the storefront's keys,
    customers' tokens from the gateway, and no material policy version (it would email every
    customer, PC2)."""
    # Short: the in-process run (tests/unit/gateway/test_openapi_fuzz.py) has every phase and
    # check on every operation; here what needs the running system, within a budget.
    run = fuzzing.config(
        max_examples=1,
        max_steps=4,
        coverage=False,
        gateway_checks=False,
        max_time_s=fuzzing.RUNNING_SYSTEM_BUDGET_S,
    )
    schema = schemathesis.openapi.from_url(f"{system.gateway}/openapi.json", config=run)
    schema.auth(refresh_interval=None)(
        fuzzing.credentials(
            storefront_key=system.secrets["ALLWAN_GATEWAY_STOREFRONT_API_KEY"],
            staff_key=system.secrets["ALLWAN_GATEWAY_STAFF_API_KEY"],
            customer_token=system.customer_token,
        )
    )
    fuzzing.steer(schema, material_policies=False)
    return schema


def needs_notifier(system: RunningSystem) -> None:
    if "notifier" in system.pending:
        pytest.skip(f"pending on the notifier: it did not start ({system.pending['notifier']})")


def body_of(answer: httpx.Response) -> Any:
    return answer.json()
