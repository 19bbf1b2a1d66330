"""DevStack: Kafka, FerretDB and Mailpit as local processes, started and stopped together."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from allwan_devstack import ferretdb, kafka, mail
from allwan_devstack.cache import file_lock
from allwan_devstack.errors import (
    AlreadyRunningError,
    DevStackError,
    ProvisionError,
    ServerStartError,
)
from allwan_devstack.ports import HOST, ensure_free, pick_free_ports, port_open
from allwan_devstack.procs import find_running, log_tail, spawn, terminate
from allwan_devstack.provision import Provisioned, provision
from allwan_devstack.tools import require_tool

SERVERS: Final = ("kafka", "mongo", "smtp")
"""The servers of a stack with one Kafka node; node N > 1 of a larger cluster is ``kafka-N``."""
ENV_FILE: Final = "endpoints.env"
POLL_INTERVAL: Final = 0.1


@dataclass(frozen=True)
class Endpoints:
    """Where the running servers answer.

    ``mail_api_url`` is the base URL of Mailpit (web UI at ``/``, API under ``/api/v1``,
    e.g. ``f"{mail_api_url}/api/v1/messages"``), the same shape as with the Docker image.
    """

    kafka_bootstrap: str
    mongo_url: str
    smtp_host: str
    smtp_port: int
    mail_api_url: str | None
    kafka_replication_factor: int = 1
    """How many copies of a topic the Kafka cluster keeps (services create theirs so)."""

    @property
    def kafka_brokers(self) -> list[str]:
        """``host:port`` of each Kafka node, in node order (``kafka_bootstrap`` lists them)."""
        return self.kafka_bootstrap.split(",")

    def as_env(self) -> dict[str, str]:
        """Return the ``ALLWAN_*`` environment variables the services read.

        ``ALLWAN_MAIL_API_URL`` is left out when there is no mail API.
        """
        env = {
            "ALLWAN_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "ALLWAN_KAFKA_REPLICATION_FACTOR": str(self.kafka_replication_factor),
            "ALLWAN_MONGO_URL": self.mongo_url,
            "ALLWAN_SMTP_HOST": self.smtp_host,
            "ALLWAN_SMTP_PORT": str(self.smtp_port),
        }
        if self.mail_api_url is not None:
            env["ALLWAN_MAIL_API_URL"] = self.mail_api_url
        return env

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Endpoints:
        """Build endpoints back from the variables of :meth:`as_env`."""
        try:
            return cls(
                kafka_bootstrap=env["ALLWAN_KAFKA_BOOTSTRAP"],
                mongo_url=env["ALLWAN_MONGO_URL"],
                smtp_host=env["ALLWAN_SMTP_HOST"],
                smtp_port=int(env["ALLWAN_SMTP_PORT"]),
                mail_api_url=env.get("ALLWAN_MAIL_API_URL") or None,
                kafka_replication_factor=int(env.get("ALLWAN_KAFKA_REPLICATION_FACTOR", "1")),
            )
        except (KeyError, ValueError) as exc:
            raise DevStackError(f"incomplete devstack endpoints: {exc}") from exc


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a ``KEY=value`` file such as ``endpoints.env``."""
    env: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.strip().removeprefix("export ").partition("=")
        if sep and not key.startswith("#"):
            env[key.strip()] = value.strip()
    return env


def _port_of(address: str) -> int:
    return int(address.rstrip("/").rsplit(":", 1)[1])


def kafka_node_names(nodes: int) -> tuple[str, ...]:
    """The server names of a Kafka cluster of ``nodes`` nodes: ``kafka``, ``kafka-2``, ..."""
    return ("kafka", *(f"kafka-{node}" for node in range(2, nodes + 1)))


def kafka_node_id(server: str) -> int:
    """The node id of the Kafka server named ``server`` (``kafka`` is node 1)."""
    return 1 if server == "kafka" else int(server.removeprefix("kafka-"))


def _recorded_ports(endpoints: Endpoints) -> dict[str, int]:
    if endpoints.mail_api_url is None:
        raise DevStackError("endpoints.env records no Mailpit HTTP port")
    brokers = endpoints.kafka_brokers
    return {
        **dict(zip(kafka_node_names(len(brokers)), map(_port_of, brokers), strict=True)),
        "mongo": _port_of(endpoints.mongo_url),
        "smtp": endpoints.smtp_port,
        "mail_http": _port_of(endpoints.mail_api_url),
    }


def _kafka_check(port: int, server: str) -> Callable[[], bool]:
    return lambda: kafka.kafka_ready(port, node_id=kafka_node_id(server))


def _readiness_checks(endpoints: Endpoints) -> dict[str, Callable[[], bool]]:
    ports = _recorded_ports(endpoints)
    nodes = kafka_node_names(len(endpoints.kafka_brokers))
    return {
        **{server: _kafka_check(ports[server], server) for server in nodes},
        "mongo": lambda: port_open(ports["mongo"]) and ferretdb.mongo_ready(ports["mongo"]),
        "smtp": lambda: mail.smtp_ready(ports["smtp"]) and mail.mail_api_ready(ports["mail_http"]),
    }


@dataclass(frozen=True)
class _Ports:
    kafka: int
    kafka_controller: int
    mongo: int
    smtp: int
    mail_http: int
    more_kafka: tuple[tuple[int, int], ...] = ()
    """Client and controller ports of Kafka nodes 2, 3, ... (always picked free)."""


class DevStack:
    """Kafka (KRaft), FerretDB and Mailpit running under ``state_dir``.

    Ports given as 0 are picked free at :meth:`start`, so concurrent test runs on one
    machine never collide. Servers run in their own sessions with logs in
    ``state_dir/logs/{kafka,mongo,smtp}.log`` and pid files in ``state_dir/pids``; a stack
    started by one process can be inspected and stopped by another ``DevStack`` on the
    same ``state_dir``. Use it as a context manager to start and stop it around a block.

    Kafka is one node unless ``kafka_nodes`` says more: then nodes 2, 3, ... are the
    servers ``kafka-2``, ``kafka-3`` (their own directories, logs and pid files), topics are
    replicated to three, and the bootstrap lists every node. Another ``DevStack`` on the same
    ``state_dir`` finds the nodes there.
    """

    def __init__(  # noqa: PLR0917 - the agreed signature: one port per listener
        self,
        state_dir: Path,
        kafka_port: int = 0,
        kafka_controller_port: int = 0,
        mongo_port: int = 0,
        smtp_port: int = 0,
        mail_http_port: int = 0,
        *,
        cache_dir: Path | None = None,
        kafka_nodes: int | None = None,
    ) -> None:
        self.state_dir = Path(state_dir).expanduser().resolve()
        if kafka_nodes is not None and kafka_nodes < 1:
            raise DevStackError(f"a Kafka cluster has at least one node, not {kafka_nodes}")
        #: Nodes of the Kafka cluster: as asked, else as found in ``state_dir``, else one.
        self.kafka_nodes = kafka_nodes or 1 + sum(
            1 for _ in self.state_dir.glob("kafka-*/server.properties")
        )
        self._requested = _Ports(
            kafka_port, kafka_controller_port, mongo_port, smtp_port, mail_http_port
        )
        self._cache_dir = cache_dir
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._spawned_at: dict[str, float] = {}
        self._log_offsets: dict[str, int] = {}
        self._endpoints: Endpoints | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._atexit_registered = False
        #: Seconds spent in each phase of the last :meth:`start` (provision, kafka_format,
        #: kafka, mongo and smtp from spawn to first answer, and total).
        self.timings: dict[str, float] = {}

    @property
    def servers(self) -> tuple[str, ...]:
        """The names of this stack's servers: its Kafka nodes, ``mongo`` and ``smtp``."""
        return (*kafka_node_names(self.kafka_nodes), "mongo", "smtp")

    # -- paths ---------------------------------------------------------------------------

    def log_path(self, server: str) -> Path:
        """Path of the log file of ``server`` (one of ``kafka``, ``mongo``, ``smtp``)."""
        return self.state_dir / "logs" / f"{server}.log"

    def pid_path(self, server: str) -> Path:
        """Path of the pid file of ``server``."""
        return self.state_dir / "pids" / f"{server}.pid"

    @property
    def env_file(self) -> Path:
        """Path of ``endpoints.env``, written once every server answers."""
        return self.state_dir / ENV_FILE

    def _marker(self, server: str) -> str:
        # A path that appears in the server's command line and nowhere else.
        if server.startswith("kafka"):
            return str(self.state_dir / server / "server.properties")
        return str(
            {
                "mongo": self.state_dir / "mongo" / "data",
                "smtp": self.state_dir / "smtp" / "mailpit.db",
            }[server]
        )

    # -- state ---------------------------------------------------------------------------

    def status(self) -> dict[str, int | None]:
        """Return the pid of each server that is running, or None for those that are not."""
        return {
            name: find_running(self.pid_path(name), self._marker(name)) for name in self.servers
        }

    @property
    def endpoints(self) -> Endpoints:
        """The endpoints of the running stack (also when another process started it)."""
        if self._endpoints is not None:
            return self._endpoints
        endpoints = self.read_endpoints()
        if endpoints is None:
            raise DevStackError(f"the devstack in {self.state_dir} is not running")
        return endpoints

    def read_endpoints(self) -> Endpoints | None:
        """Return the endpoints recorded in ``endpoints.env``, or None if there are none."""
        if not self.env_file.is_file():
            return None
        return Endpoints.from_env(read_env_file(self.env_file))

    # -- start ---------------------------------------------------------------------------

    def start(self, timeout: float = 120.0, *, detach: bool = False) -> Endpoints:
        """Provision if needed, start the three servers and wait until each one answers.

        ``timeout`` bounds the wait for the servers (provisioning is not counted). Unless
        ``detach`` is true the servers are also stopped when this interpreter exits, as a
        safety net for callers that forget :meth:`stop`. On any failure, whatever was
        started is stopped again and the error names the server and quotes its log.
        """
        if self._endpoints is not None and self._own_servers_alive():
            # Already started by this object (e.g. ``with DevStack(d) as s: s.start()``).
            return self._endpoints
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with file_lock(self.state_dir / ".lock"):
            running = {name: pid for name, pid in self.status().items() if pid is not None}
            if running:
                pids = ", ".join(f"{name} pid {pid}" for name, pid in running.items())
                raise AlreadyRunningError(
                    f"the devstack in {self.state_dir} is already running ({pids}); "
                    "stop it first (DevStack.stop() or `devstack down`)"
                )
            try:
                if not detach:
                    self._start_watchdog()
                endpoints = self._start_locked(timeout)
            except BaseException:
                self._stop_locked(grace=10.0)
                raise
        if not detach and not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True
        return endpoints

    def _start_watchdog(self) -> None:
        # Started before the servers, so a caller killed mid-start leaves nothing behind.
        log = self.log_path("watchdog")
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            self._watchdog = subprocess.Popen(  # noqa: S603 - our own module
                [
                    sys.executable,
                    "-m",
                    "allwan_devstack.watchdog",
                    "--parent-pid",
                    str(os.getpid()),
                    "--state-dir",
                    str(self.state_dir),
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _stop_watchdog(self) -> None:
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None and watchdog.poll() is None:
            watchdog.terminate()
            watchdog.wait()

    def _own_servers_alive(self) -> bool:
        return len(self._procs) == len(self.servers) and all(
            child.poll() is None for child in self._procs.values()
        )

    def _start_locked(self, timeout: float) -> Endpoints:
        began = time.monotonic()
        self.timings = {}
        installs = provision(self._cache_dir)
        self.timings["provision"] = time.monotonic() - began
        java = require_tool("java", "to run Kafka")
        ports = self._resolve_ports()
        deadline = time.monotonic() + timeout

        # FerretDB and Mailpit answer within a second; start them before the slow JVM work.
        self._spawn_mongo(installs, ports.mongo)
        self._spawn_smtp(installs, ports.smtp, ports.mail_http)
        kafka_ports = [(ports.kafka, ports.kafka_controller), *ports.more_kafka]
        kafka_log_offsets = self._write_kafka_config(installs, kafka_ports)
        for server in kafka_node_names(self.kafka_nodes):
            self._spawn_kafka(installs, java, server)
        self._log_offsets.update(kafka_log_offsets)  # the tail on failure shows the format
        endpoints = Endpoints(
            kafka_bootstrap=",".join(f"{HOST}:{port}" for port, _ in kafka_ports),
            mongo_url=f"mongodb://{HOST}:{ports.mongo}/",
            smtp_host=HOST,
            smtp_port=ports.smtp,
            mail_api_url=f"http://{HOST}:{ports.mail_http}",
            kafka_replication_factor=min(3, self.kafka_nodes),
        )
        self._wait_ready(_readiness_checks(endpoints), deadline, timeout)

        tmp = self.env_file.with_suffix(".tmp")
        tmp.write_text("".join(f"{key}={value}\n" for key, value in endpoints.as_env().items()))
        tmp.replace(self.env_file)
        self._endpoints = endpoints
        self.timings["total"] = time.monotonic() - began
        return endpoints

    def restart_stopped(self, timeout: float = 120.0) -> list[str]:
        """Start again the servers of a partly running stack that are not running.

        Each restarted server gets the ports recorded in ``endpoints.env`` and the data it had;
        the servers still running are left alone (same process, same data), so clients
        connected to them never notice. Returns the names of the restarted servers (none when
        all run). Raises :class:`DevStackError` when no ports are recorded (nothing was ever
        started here, or it was stopped): then use :meth:`start`.
        """
        self.state_dir.mkdir(parents=True, exist_ok=True)
        lock = self.state_dir / ".lock"
        with file_lock(lock):
            endpoints = self.read_endpoints()
            if endpoints is None:
                raise DevStackError(
                    f"no ports are recorded in {self.env_file}; start the devstack instead"
                )
            recorded = len(endpoints.kafka_brokers)
            if recorded != self.kafka_nodes:
                raise DevStackError(
                    f"the devstack in {self.state_dir} runs {recorded} Kafka node(s), not "
                    f"{self.kafka_nodes}; stop it (and purge its data) to change that"
                )
            stopped = [name for name, pid in self.status().items() if pid is None]
            if not stopped:
                self._endpoints = endpoints
                return []
            began = time.monotonic()
            self.timings = {}
            installs = provision(self._cache_dir)
            self.timings["provision"] = time.monotonic() - began
            ports = _recorded_ports(endpoints)
            self._respawn(installs, ports, stopped)
        # The wait is outside the lock: a server killed meanwhile (another Kafka node, FerretDB)
        # is restarted by a call of its own at once, not after this one's readiness.
        deadline = time.monotonic() + timeout
        checks = _readiness_checks(endpoints)
        while True:
            try:
                self._wait_ready({name: checks[name] for name in stopped}, deadline, timeout)
                break
            except ServerStartError as error:
                with file_lock(lock):
                    self._stop_only(stopped, grace=10.0)
                # The recorded ports came from the ephemeral range: while clients reconnect,
                # one of their outgoing sockets may hold a port for a moment. Try again.
                if "address already in use" not in str(error).lower() or (
                    time.monotonic() > deadline
                ):
                    raise
                time.sleep(1.0)
                with file_lock(lock):
                    self._respawn(installs, ports, stopped)
            except BaseException:
                with file_lock(lock):
                    self._stop_only(stopped, grace=10.0)
                raise
        self._endpoints = endpoints
        self.timings["total"] = time.monotonic() - began
        return stopped

    def _respawn(self, installs: Provisioned, ports: Mapping[str, int], servers: list[str]) -> None:
        """Spawn ``servers`` again on their recorded ports (the lock is held)."""
        try:
            if "mongo" in servers:
                self._spawn_mongo(installs, ports["mongo"])
            if "smtp" in servers:
                self._spawn_smtp(installs, ports["smtp"], ports["mail_http"])
            for server in servers:
                if server.startswith("kafka"):
                    # Its server.properties holds the ports (controller too) it ran on.
                    self._spawn_kafka(installs, require_tool("java", "to run Kafka"), server)
        except BaseException:
            self._stop_only(servers, grace=10.0)
            raise

    def _resolve_ports(self) -> _Ports:
        requested = self._requested
        fixed = {
            "kafka": (requested.kafka, "ALLWAN_DEVSTACK_KAFKA_PORT"),
            "kafka controller": (
                requested.kafka_controller,
                "ALLWAN_DEVSTACK_KAFKA_CONTROLLER_PORT",
            ),
            "mongo": (requested.mongo, "ALLWAN_DEVSTACK_MONGO_PORT"),
            "smtp": (requested.smtp, "ALLWAN_DEVSTACK_SMTP_PORT"),
            "mail http": (requested.mail_http, "ALLWAN_DEVSTACK_MAIL_HTTP_PORT"),
        }
        for what, (port, env_var) in fixed.items():
            if port:
                ensure_free(port, what, env_var)
        values = [port for port, _ in fixed.values()]
        more = 2 * (self.kafka_nodes - 1)
        free = iter(pick_free_ports(values.count(0) + more))
        chosen = [port or next(free) for port in values]
        extra = [next(free) for _ in range(more)]
        kafka_port, controller_port, mongo, smtp, mail_http = chosen
        ports = _Ports(
            kafka_port,
            controller_port,
            mongo,
            smtp,
            mail_http,
            more_kafka=tuple(zip(extra[::2], extra[1::2], strict=True)),
        )
        chosen += extra
        if len(set(chosen)) != len(chosen):
            raise DevStackError(f"the devstack ports must all differ: {ports}")
        return ports

    def _spawn(self, server: str, argv: list[str]) -> None:
        log = self.log_path(server)
        self._log_offsets[server] = log.stat().st_size if log.exists() else 0
        self._spawned_at[server] = time.monotonic()
        self._procs[server] = spawn(
            argv, log_file=log, pid_file=self.pid_path(server), cwd=self.state_dir
        )

    def _spawn_mongo(self, installs: Provisioned, port: int) -> None:
        data = self.state_dir / "mongo" / "data"
        data.mkdir(parents=True, exist_ok=True)
        self._spawn("mongo", ferretdb.server_command(installs.ferretdb, port=port, data_dir=data))

    def _spawn_smtp(self, installs: Provisioned, smtp_port: int, http_port: int) -> None:
        (self.state_dir / "smtp").mkdir(parents=True, exist_ok=True)
        self._spawn(
            "smtp",
            mail.server_command(
                installs.mailpit,
                smtp_port=smtp_port,
                http_port=http_port,
                database=Path(self._marker("smtp")),
            ),
        )

    def _write_kafka_config(
        self, installs: Provisioned, ports: Sequence[tuple[int, int]]
    ) -> dict[str, int]:
        """Write each node's ``server.properties`` (client and controller port from ``ports``)
        and format the nodes' storage with one cluster id; returns where each log stood."""
        nodes = kafka_node_names(self.kafka_nodes)
        voters = {
            kafka_node_id(server): controller
            for server, (_, controller) in zip(nodes, ports, strict=True)
        }
        formatted = sorted(self.state_dir.glob("kafka*/data/meta.properties"))
        if formatted and len(formatted) != len(nodes):
            raise DevStackError(
                f"the Kafka data in {self.state_dir} is that of {len(formatted)} node(s), not "
                f"{len(nodes)}; purge it (`devstack down --purge`) or start as many nodes"
            )
        offsets: dict[str, int] = {}
        cluster_id: str | None = None
        began = time.monotonic()
        for server, (port, controller) in zip(nodes, ports, strict=True):
            data_dir = self.state_dir / server / "data"
            logs_dir = self.state_dir / server / "logs"
            for directory in (data_dir, logs_dir, self.log_path(server).parent):
                directory.mkdir(parents=True, exist_ok=True)
            properties = Path(self._marker(server))
            properties.write_text(
                kafka.server_properties(
                    data_dir=data_dir,
                    port=port,
                    controller_port=controller,
                    node_id=kafka_node_id(server),
                    voters=voters,
                )
            )
            log = self.log_path(server)
            offsets[server] = log.stat().st_size if log.exists() else 0
            try:
                if cluster_id is None and len(nodes) > 1 and not formatted:
                    cluster_id = kafka.new_cluster_id(
                        installs.kafka, logs_dir=logs_dir, log_file=log
                    )
                kafka.format_storage(
                    installs.kafka,
                    properties=properties,
                    data_dir=data_dir,
                    logs_dir=logs_dir,
                    log_file=log,
                    cluster_id=cluster_id,
                    nodes=len(nodes),
                )
            except ProvisionError as exc:
                tail = log_tail(log, offset=offsets[server])
                raise ServerStartError(server, str(exc), tail) from exc
        self.timings["kafka_format"] = time.monotonic() - began
        return offsets

    def _spawn_kafka(self, installs: Provisioned, java: str, server: str = "kafka") -> None:
        self._spawn(
            server,
            kafka.server_command(
                installs.kafka,
                properties=Path(self._marker(server)),
                logs_dir=self.state_dir / server / "logs",
                java=java,
            ),
        )

    def _wait_ready(
        self, checks: Mapping[str, Callable[[], bool]], deadline: float, timeout: float
    ) -> None:
        # Each check asks the real protocol question; polling them is the only waiting.
        pending = dict(checks)
        while True:
            for name, check in list(pending.items()):
                code = self._procs[name].poll()
                if code is not None:
                    raise ServerStartError(
                        name, f"its process exited with code {code}", self._tail(name)
                    )
                if check():
                    self.timings[name] = time.monotonic() - self._spawned_at[name]
                    del pending[name]
            if not pending:
                return
            if time.monotonic() > deadline:
                name = next(iter(pending))
                raise ServerStartError(
                    name, f"no answer within {timeout:g}s (still running)", self._tail(name)
                )
            time.sleep(POLL_INTERVAL)

    def _tail(self, server: str) -> str:
        return log_tail(self.log_path(server), offset=self._log_offsets.get(server, 0))

    # -- stop ----------------------------------------------------------------------------

    def stop(self, grace: float = 30.0) -> None:
        """Stop the servers: SIGTERM, then SIGKILL for any still running after ``grace`` s.

        Works whether this object or another process started them. Removes the pid files
        and ``endpoints.env``; data and logs stay in ``state_dir``.
        """
        if self._atexit_registered:
            atexit.unregister(self.stop)
            self._atexit_registered = False
        if not self.state_dir.is_dir():
            return
        with file_lock(self.state_dir / ".lock"):
            self._stop_locked(grace)

    def _stop_locked(self, grace: float) -> None:
        self._stop_watchdog()
        pids: list[int] = []
        for name in self.servers:
            child = self._procs.get(name)
            if child is not None and child.poll() is None:
                pids.append(child.pid)
                continue
            pid = find_running(self.pid_path(name), self._marker(name))
            if pid is not None:
                pids.append(pid)
        terminate(pids, grace=grace, children={p.pid: p for p in self._procs.values()})
        for child in self._procs.values():
            child.poll()  # reap, so no zombie is left behind
        self._procs.clear()
        for name in self.servers:
            self.pid_path(name).unlink(missing_ok=True)
        self.env_file.unlink(missing_ok=True)
        self._endpoints = None

    def _stop_only(self, names: Sequence[str], grace: float) -> None:
        pids = [
            pid
            for name in names
            if (pid := find_running(self.pid_path(name), self._marker(name))) is not None
        ]
        terminate(pids, grace=grace, children={p.pid: p for p in self._procs.values()})
        for name in names:
            child = self._procs.pop(name, None)
            if child is not None:
                child.poll()
            self.pid_path(name).unlink(missing_ok=True)

    def purge(self) -> None:
        """Delete the servers' data (not the logs); the stack must be stopped."""
        if any(self.status().values()):
            raise AlreadyRunningError("stop the devstack before purging its data")
        for sub in self.servers:
            shutil.rmtree(self.state_dir / sub, ignore_errors=True)

    # -- context manager -----------------------------------------------------------------

    def __enter__(self) -> Self:
        """Start the stack (a later :meth:`start` on it just returns its endpoints)."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
