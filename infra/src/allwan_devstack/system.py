"""The allwan services as local processes, next to the dev stack's servers.

``./dev up`` starts them detached; end-to-end tests start them for the run. Each service is
its own process, started with ``python -m allwan_<name>.entrypoints.cli serve``, configured
only by environment variables (as in a container), listening on its own port, and considered
up when its ``/health/ready`` answers 200.

Development secrets (master keys, signing keys, webhook secrets) are generated on first run
into ``<state dir>/secrets.env`` (mode 0600) and never committed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from allwan_devstack.errors import ServerStartError
from allwan_devstack.ports import pick_free_ports
from allwan_devstack.procs import find_running, log_tail, spawn, terminate
from allwan_devstack.stack import Endpoints

SERVICES = ("consent", "orders", "notifier", "privacy", "gateway")
"""Start order: deciders first, the gateway (which the storefront calls) last."""

DEV_SECRETS = (
    "ALLWAN_MASTER_KEYS",
    "ALLWAN_BLIND_INDEX_KEY",
    "ALLWAN_GATEWAY_JWT_SECRET",
    "ALLWAN_GATEWAY_STOREFRONT_API_KEY",
    "ALLWAN_GATEWAY_STAFF_API_KEY",
    "ALLWAN_SALLA_WEBHOOK_SECRET",
    "ALLWAN_WHATSAPP_APP_SECRET",
    "ALLWAN_WHATSAPP_VERIFY_TOKEN",
    "ALLWAN_IP_HASH_KEY",
)


def _random_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


@dataclass(frozen=True)
class DevSecrets:
    """The run's secrets, and which of them this call generated (the rest were reused)."""

    path: Path
    values: dict[str, str]
    generated: tuple[str, ...]

    def describe(self) -> str:
        """Which secrets were generated now and which reused, by name (never by value)."""
        if not self.generated:
            return "reused, local only"
        reused = [name for name in DEV_SECRETS if name not in self.generated]
        if not reused:
            return "generated, local only"
        return f"generated {', '.join(self.generated)}; reused the other {len(reused)}; local only"


def ensure_dev_secrets(state_dir: Path) -> DevSecrets:
    """Read the run's secrets from ``secrets.env``, generating any that are missing."""
    path = state_dir / "secrets.env"
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, sep, value = line.partition("=")
            if sep and not name.startswith("#"):
                values[name.strip()] = value.strip()
    missing = tuple(name for name in DEV_SECRETS if name not in values)
    for name in missing:
        values[name] = f"dev1:{_random_key()}" if name == "ALLWAN_MASTER_KEYS" else _random_key()
    if missing or not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        body = "# Generated on first run for local development only. Never commit.\n"
        body += "".join(f"{name}={values[name]}\n" for name in sorted(values))
        path.write_text(body)
        path.chmod(0o600)
    return DevSecrets(path, values, missing)


def dev_secrets(state_dir: Path) -> dict[str, str]:
    """Read the run's secrets, generating any that are missing (first run)."""
    return ensure_dev_secrets(state_dir).values


@dataclass(frozen=True)
class System:
    """Where each running service answers."""

    urls: dict[str, str]

    @property
    def gateway_url(self) -> str:
        return self.urls["gateway"]


class SystemRunner:
    """Starts, finds and stops the services under ``state_dir``."""

    def __init__(self, state_dir: Path, endpoints: Endpoints, repo_root: Path) -> None:
        self.state_dir = state_dir
        self.endpoints = endpoints
        self.repo_root = repo_root

    @property
    def _stack_id(self) -> str:
        # Another state directory (another run, on the same Kafka) is another replica.
        return hashlib.sha256(str(self.state_dir.resolve()).encode()).hexdigest()[:10]

    def _pid_file(self, service: str) -> Path:
        return self.state_dir / "pids" / f"{service}.pid"

    def log_path(self, service: str) -> Path:
        return self.state_dir / "logs" / f"{service}.log"

    def _urls_file(self) -> Path:
        return self.state_dir / "services.json"

    def environment(self, service: str, port: int, extra: Mapping[str, str]) -> dict[str, str]:
        """Everything one service process is configured with."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALLWAN_")}
        env.update(dev_secrets(self.state_dir))
        env.update(self.endpoints.as_env())
        env.update(
            {
                "ALLWAN_SERVICE_NAME": service,
                # One process per service here, and a restart is the same replica: it takes
                # back its consumer groups and relay lease at once (docs/ARCHITECTURE.md).
                "ALLWAN_INSTANCE_ID": f"{service}-{self._stack_id}",
                "ALLWAN_HTTP_HOST": "127.0.0.1",
                "ALLWAN_HTTP_PORT": str(port),
                "OTEL_SERVICE_NAME": f"allwan-{service}",
                "PYTHONUNBUFFERED": "1",
                # The dev stack's Mailpit speaks plain SMTP on loopback.
                "ALLWAN_SMTP_TLS": "none",
            }
        )
        env.update(extra)
        return env

    def start(
        self,
        ports: Mapping[str, int] | None = None,
        extra_env: Mapping[str, str] | None = None,
        timeout: float = 90.0,
        services: Sequence[str] = SERVICES,
    ) -> System:
        """Start every service (of ``services``) not yet running and wait until each is ready.

        The gateway is told where the notifier's ledger answers (``ALLWAN_NOTIFIER_URL``) and
        where the privacy service serves exports and its accountability API
        (``ALLWAN_PRIVACY_URL``).
        """
        # A service left running keeps the address recorded when it was started.
        earlier = self.running()
        chosen = {
            service: int(url.rsplit(":", 1)[1])
            for service, url in (earlier.urls if earlier else {}).items()
            if find_running(self._pid_file(service), f"allwan_{service}") is not None
        }
        chosen |= dict(ports or {})
        free = iter(pick_free_ports(len(SERVICES)))
        urls = {
            service: f"http://127.0.0.1:{chosen.get(service) or next(free)}" for service in SERVICES
        }
        wiring = {
            "gateway": {
                "ALLWAN_NOTIFIER_URL": urls["notifier"],
                "ALLWAN_PRIVACY_URL": urls["privacy"],
            }
        }
        for service in (s for s in SERVICES if s in services):
            if find_running(self._pid_file(service), f"allwan_{service}") is not None:
                continue
            port = int(urls[service].rsplit(":", 1)[1])
            process = spawn(
                [sys.executable, "-m", f"allwan_{service}.entrypoints.cli", "serve"],
                log_file=self.log_path(service),
                pid_file=self._pid_file(service),
                cwd=self.repo_root,
                env=self.environment(
                    service, port, {**wiring.get(service, {}), **(extra_env or {})}
                ),
            )
            self._wait_ready(service, urls[service], timeout, process)
        urls = {
            service: url
            for service, url in urls.items()
            if service in services
            or find_running(self._pid_file(service), f"allwan_{service}") is not None
        }
        self._urls_file().write_text(json.dumps(urls))
        return System(urls)

    def running(self) -> System | None:
        """The system a previous ``start`` left running, if any."""
        if not self._urls_file().exists():
            return None
        return System(json.loads(self._urls_file().read_text()))

    def stop(self, grace: float = 25.0) -> None:
        """SIGTERM every service (they finish in-flight work), SIGKILL after ``grace``."""
        pids = [
            pid
            for service in reversed(SERVICES)
            if (pid := find_running(self._pid_file(service), f"allwan_{service}")) is not None
        ]
        terminate(pids, grace=grace)
        self._urls_file().unlink(missing_ok=True)

    def _wait_ready(
        self, service: str, url: str, timeout: float, process: subprocess.Popen[bytes]
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # Ask the child itself: right after the fork its command line is still ours, so
            # looking it up by pid file and command line can find it "not running" yet.
            if process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{url}/health/ready", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise ServerStartError(
            service, f"not ready at {url}/health/ready", log_tail(self.log_path(service))
        )
