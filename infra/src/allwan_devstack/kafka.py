"""Apache Kafka from Maven Central: provisioning, configuration, command lines, readiness.

The broker runs as a single KRaft node in combined mode (broker and controller in one JVM).
Its classpath is the dependency closure of ``infra/kafka/pom.xml``, copied by Maven.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from allwan_devstack import resources
from allwan_devstack.cache import ensure_artifact, fingerprint
from allwan_devstack.errors import ProvisionError
from allwan_devstack.tools import require_tool, run_tool, try_tool

NODE_ID = 1
SERVER_HEAP = ("-Xms256m", "-Xmx768m")
# Short-lived tool JVMs (random-uuid, format) start faster with C1 only and a small heap.
TOOL_JVM = ("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
SERVER_JVM = (
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Djava.awt.headless=true",
)


@dataclass(frozen=True)
class KafkaInstall:
    """A provisioned Kafka: its version and the directory of its classpath jars."""

    version: str
    libs: Path
    built: bool


def kafka_version(pom: Path) -> str:
    """Read the ``kafka.version`` property of the pom."""
    match = re.search(r"<kafka\.version>\s*([^<\s]+)\s*</kafka\.version>", pom.read_text())
    if match is None:
        raise ProvisionError(f"{pom} has no <kafka.version> property")
    return match.group(1)


def provision_kafka(root: Path) -> KafkaInstall:
    """Copy Kafka's jars into ``root/kafka-<version>-<pom hash>/libs`` unless already there.

    Maven runs offline first so that an already populated local repository (``~/.m2`` or
    ``-Dmaven.repo.local`` from ``MAVEN_OPTS``) suffices; only if that fails does it go online.
    """
    pom = resources.kafka_pom()
    version = kafka_version(pom)

    def build(tmp: Path) -> None:
        mvn = require_tool("mvn", "to download Kafka's jars from Maven Central")
        # Work on a copy so Maven never writes next to the pom (the repo or site-packages).
        work_pom = tmp / "pom.xml"
        shutil.copyfile(pom, work_pom)
        goal = [
            "-B",
            "-q",
            "-f",
            str(work_pom),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={tmp / 'libs'}",
            "-DincludeScope=runtime",
        ]
        if not try_tool([mvn, "-o", *goal], cwd=tmp):
            run_tool([mvn, *goal], what="mvn dependency:copy-dependencies (Kafka)", cwd=tmp)
        if not any((tmp / "libs").glob(f"kafka_2.13-{version}.jar")):
            raise ProvisionError(f"Maven ran but kafka_2.13-{version}.jar is not in {tmp}/libs")
        work_pom.unlink()

    path, built = ensure_artifact(root, f"kafka-{version}-{fingerprint(pom)}", build)
    return KafkaInstall(version=version, libs=path / "libs", built=built)


def server_properties(*, data_dir: Path, port: int, controller_port: int) -> str:
    """Return the ``server.properties`` of a single-node KRaft broker+controller on 127.0.0.1."""
    settings = {
        "process.roles": "broker,controller",
        "node.id": str(NODE_ID),
        "controller.quorum.voters": f"{NODE_ID}@127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(data_dir),
        # Topics are declared explicitly by the services; a typo must fail, not create one.
        "auto.create.topics.enable": "false",
        "num.partitions": "3",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        # One node: every internal topic must live with replication factor 1 / min ISR 1.
        # Fewer partitions than the default 50 make the first group/transaction faster.
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "3",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "3",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # Tests join consumer groups constantly; the default 3 s delay would slow each one.
        "group.initial.rebalance.delay.ms": "0",
        # After a crash the restarted controller keeps the dead broker's registration until its
        # lease ends (9 s by default), and the broker cannot rejoin before: one JVM, one node,
        # so a short lease only shortens a restart.
        "broker.session.timeout.ms": "3000",
        "broker.heartbeat.interval.ms": "1000",
        # Two cores: the defaults (3 network, 8 io threads) only add contention.
        "num.network.threads": "2",
        "num.io.threads": "4",
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def java_command(
    java: str,
    install: KafkaInstall,
    main_class: str,
    args: list[str],
    *,
    logs_dir: Path,
    server: bool,
) -> list[str]:
    """Return the command line running ``main_class`` on Kafka's classpath."""
    jvm = [*SERVER_HEAP, *SERVER_JVM] if server else list(TOOL_JVM)
    return [
        java,
        *jvm,
        f"-Dlog4j2.configurationFile={resources.kafka_log4j_config()}",
        f"-Dkafka.logs.dir={logs_dir}",
        "-cp",
        f"{install.libs}/*",
        main_class,
        *args,
    ]


def format_storage(
    install: KafkaInstall, *, properties: Path, data_dir: Path, logs_dir: Path, log_file: Path
) -> None:
    """Format the KRaft log directory with a fresh cluster id, unless it is formatted already.

    Both StorageTool runs append their output to ``log_file``.
    """
    if (data_dir / "meta.properties").is_file():
        return
    java = require_tool("java", "to run Kafka")
    uuid_cmd = java_command(
        java, install, "kafka.tools.StorageTool", ["random-uuid"], logs_dir=logs_dir, server=False
    )
    result = subprocess.run(  # noqa: S603 - our own command line
        uuid_cmd, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )
    with log_file.open("a") as log:
        log.write(result.stdout + result.stderr)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise ProvisionError(
            f"kafka.tools.StorageTool random-uuid failed (exit {result.returncode}); see {log_file}"
        )
    cluster_id = lines[-1].strip()
    format_cmd = java_command(
        java,
        install,
        "kafka.tools.StorageTool",
        ["format", "-t", cluster_id, "-c", str(properties)],
        logs_dir=logs_dir,
        server=False,
    )
    with log_file.open("a") as log:
        code = subprocess.run(  # noqa: S603 - our own command line
            format_cmd, stdout=log, stderr=subprocess.STDOUT, check=False, stdin=subprocess.DEVNULL
        ).returncode
    if code != 0:
        raise ProvisionError(f"kafka.tools.StorageTool format failed (exit {code}); see {log_file}")


def server_command(
    install: KafkaInstall, *, properties: Path, logs_dir: Path, java: str | None = None
) -> list[str]:
    """Return the command line of the broker itself."""
    java = java or require_tool("java", "to run Kafka")
    return java_command(
        java, install, "kafka.Kafka", [str(properties)], logs_dir=logs_dir, server=True
    )


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


async def _broker_registered(bootstrap: str, request_timeout: float) -> bool:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="allwan-devstack-probe",
        request_timeout_ms=int(request_timeout * 1000),
    )
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
    except Exception:  # any failure just means "not ready yet"
        return False
    finally:
        with contextlib.suppress(Exception):
            await admin.close()
    # The broker is listed in metadata only once it has registered with the controller
    # and been unfenced: then it accepts topic creation and produce requests.
    brokers = cluster.get("brokers", [])
    return any(broker.get("node_id") == NODE_ID for broker in brokers)


def kafka_ready(port: int, timeout: float = 5.0) -> bool:
    """Tell whether the broker on 127.0.0.1:``port`` answers a metadata request listing itself.

    Safe to call from inside a running event loop: the check runs its own loop in a thread.
    """
    # A plain TCP check first keeps aiokafka from logging connection errors while the JVM
    # is still starting.
    if not _port_open("127.0.0.1", port):
        return False
    bootstrap = f"127.0.0.1:{port}"
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="devstack-kafka-probe") as pool:
        return pool.submit(lambda: asyncio.run(_broker_registered(bootstrap, timeout))).result()
