"""The allwan services as local processes, next to the dev stack's servers.

``./dev up`` starts them detached; end-to-end tests start them for the run. Each service is
its own process, started with ``python -m allwan_<name>.entrypoints.cli serve``, configured
only by environment variables (as in a container), listening on its own port, and considered
up when its ``/health/ready`` answers 200.

Development secrets (master keys, signing keys, webhook secrets, the web pages' session key
and a staff account ``staff-dev``) are generated on first run into ``<state dir>/secrets.env``
(mode 0600) and never committed.

The web pages (``web``) are a client of the gateway's public HTTP API only: they are started
last, told where the gateway answers, and given none of the servers' addresses and none of
the back end's secrets.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from allwan_runtime.passwords import hash_password

from allwan_devstack.errors import DevStackError, ServerStartError
from allwan_devstack.ports import pick_free_ports
from allwan_devstack.procs import find_running, log_tail, spawn, terminate
from allwan_devstack.stack import Endpoints

SERVICES = ("consent", "orders", "notifier", "privacy", "gateway")
"""The back end (Kafka and MongoDB clients), in start order: deciders first, the gateway
(which the storefront calls) last."""
WEB = "web"
"""The store's web pages: a client of the gateway's public HTTP API only."""
ALL_SERVICES = (*SERVICES, WEB)
"""Everything ``services up`` starts, in order: the web pages after the gateway (they are
ready only once it answers)."""

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
    "ALLWAN_WEB_SESSION_KEY",
)
"""The random keys of a development run, each generated on its own when missing."""

DEV_STAFF_ID = "staff-dev"
DEV_STAFF_PASSWORD = "ALLWAN_DEV_STAFF_PASSWORD"  # noqa: S105 - a variable's name
"""The development staff account's password: for the person at the keyboard, never given to
a service (the gateway gets only its hash, S1)."""
STAFF_ACCOUNTS = "ALLWAN_STAFF_ACCOUNTS"
"""The gateway's staff accounts (JSON, password hashes only), holding ``staff-dev``."""
MANAGED_SECRETS = (*DEV_SECRETS, DEV_STAFF_PASSWORD, STAFF_ACCOUNTS)
"""Every variable ``secrets.env`` keeps."""
WEB_SECRETS = ("ALLWAN_WEB_SESSION_KEY", "ALLWAN_GATEWAY_STOREFRONT_API_KEY")
"""All the web pages get: they are the gateway's storefront client and nothing more."""

# A value with any other character is written single-quoted, so that `source secrets.env`
# in a shell reads it as it is (a staff account's JSON holds spaces, quotes and `$`).
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.,:/+=@%-]*")


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
        reused = [name for name in MANAGED_SECRETS if name not in self.generated]
        if not reused:
            return "generated, local only"
        return f"generated {', '.join(self.generated)}; reused the other {len(reused)}; local only"


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    return value


def _quote(value: str) -> str:
    return value if _PLAIN_VALUE.fullmatch(value) else f"'{value}'"


def dev_staff_account(password: str) -> dict[str, str]:
    """The ``staff-dev`` entry of ``ALLWAN_STAFF_ACCOUNTS`` for ``password`` (its hash only)."""
    return {"name": "Staff (development)", "password_hash": hash_password(password)}


def _with_dev_staff(path: Path, values: dict[str, str], new_password: bool) -> bool:
    """Put ``staff-dev`` into the staff accounts if it is missing or its password is new;
    other accounts a developer added are kept. Tells whether the accounts changed."""
    raw = values.get(STAFF_ACCOUNTS)
    try:
        accounts = json.loads(raw) if raw is not None else {}
    except json.JSONDecodeError:
        accounts = None
    if not isinstance(accounts, dict):
        raise DevStackError(
            f"{STAFF_ACCOUNTS} in {path} is not a JSON object; correct it, or delete its line "
            "to have the development account generated again"
        )
    if DEV_STAFF_ID in accounts and not new_password:
        return False
    accounts[DEV_STAFF_ID] = dev_staff_account(values[DEV_STAFF_PASSWORD])
    # An apostrophe in a name would end the single-quoted value early; JSON reads \u0027 back.
    values[STAFF_ACCOUNTS] = json.dumps(accounts, ensure_ascii=False).replace("'", "\\u0027")
    return True


def ensure_dev_secrets(state_dir: Path) -> DevSecrets:
    """Read the run's secrets from ``secrets.env``, generating any that are missing.

    The staff account ``staff-dev`` gets a random password (``ALLWAN_DEV_STAFF_PASSWORD``)
    whose hash goes into ``ALLWAN_STAFF_ACCOUNTS``; a missing password gets a new one and a
    new hash.
    """
    path = state_dir / "secrets.env"
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, sep, value = line.partition("=")
            if sep and not name.startswith("#"):
                values[name.strip()] = _unquote(value.strip())
    generated = [name for name in DEV_SECRETS if name not in values]
    for name in generated:
        values[name] = f"dev1:{_random_key()}" if name == "ALLWAN_MASTER_KEYS" else _random_key()
    new_password = DEV_STAFF_PASSWORD not in values
    if new_password:
        values[DEV_STAFF_PASSWORD] = secrets.token_urlsafe(18)
        generated.append(DEV_STAFF_PASSWORD)
    if _with_dev_staff(path, values, new_password):
        generated.append(STAFF_ACCOUNTS)
    if generated or not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        body = "# Generated on first run for local development only. Never commit.\n"
        body += "".join(f"{name}={_quote(values[name])}\n" for name in sorted(values))
        path.write_text(body)
        path.chmod(0o600)
    return DevSecrets(path, values, tuple(generated))


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

    @property
    def web_url(self) -> str:
        return self.urls["web"]


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
        """Everything one service process is configured with.

        The web pages get only their own secrets (``WEB_SECRETS``) and no server address: a
        page that reached Kafka or MongoDB, or a back-end secret, would fail here first.
        """
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALLWAN_")}
        run_secrets = dev_secrets(self.state_dir)
        if service == WEB:
            env.update({name: run_secrets[name] for name in WEB_SECRETS})
            # No payment provider here: the pages offer a test payment instead.
            env["ALLWAN_WEB_TEST_PAYMENTS"] = "true"
        else:
            env.update(
                {
                    name: value
                    for name, value in run_secrets.items()
                    if name not in {DEV_STAFF_PASSWORD, "ALLWAN_WEB_SESSION_KEY"}
                }
            )
            env.update(self.endpoints.as_env())
            # The dev stack's Mailpit speaks plain SMTP on loopback.
            env["ALLWAN_SMTP_TLS"] = "none"
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
            }
        )
        env.update(extra)
        return env

    def start(
        self,
        ports: Mapping[str, int] | None = None,
        extra_env: Mapping[str, str] | None = None,
        timeout: float = 90.0,
        services: Sequence[str] = ALL_SERVICES,
    ) -> System:
        """Start every service (of ``services``) not yet running and wait until each is ready.

        The gateway is told where the notifier's ledger answers (``ALLWAN_NOTIFIER_URL``) and
        where the privacy service serves exports and its accountability API
        (``ALLWAN_PRIVACY_URL``); the web pages where the gateway answers
        (``ALLWAN_GATEWAY_URL``). The gateway's default ``ALLWAN_FORWARDED_ALLOW_IPS``
        (127.0.0.1) already trusts the pages' X-Forwarded-For, the browser's address in
        consent proof (C2).
        """
        # A service left running keeps the address recorded when it was started.
        earlier = self.running()
        chosen = {
            service: int(url.rsplit(":", 1)[1])
            for service, url in (earlier.urls if earlier else {}).items()
            if find_running(self._pid_file(service), f"allwan_{service}") is not None
        }
        chosen |= dict(ports or {})
        free = iter(pick_free_ports(len(ALL_SERVICES)))
        urls = {
            service: f"http://127.0.0.1:{chosen.get(service) or next(free)}"
            for service in ALL_SERVICES
        }
        wiring = {
            "gateway": {
                "ALLWAN_NOTIFIER_URL": urls["notifier"],
                "ALLWAN_PRIVACY_URL": urls["privacy"],
            },
            WEB: {"ALLWAN_GATEWAY_URL": urls["gateway"]},
        }
        for service in (s for s in ALL_SERVICES if s in services):
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
            for service in reversed(ALL_SERVICES)
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
