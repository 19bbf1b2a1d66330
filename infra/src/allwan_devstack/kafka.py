"""Apache Kafka from Maven Central: provisioning, configuration, command lines, readiness.

Each node runs KRaft in combined mode (broker and controller in one JVM): one node by default,
or three, as in production (``deploy/k8s/overlays/prod/kafka-patch.yaml``), where one node
down stops nothing. Its classpath is the dependency closure of ``infra/kafka/pom.xml``,
copied by Maven.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from allwan_devstack import resources
from allwan_devstack.cache import ensure_artifact, fingerprint
from allwan_devstack.errors import ProvisionError
from allwan_devstack.ports import pick_free_ports
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


CLASS_ARCHIVE = "kafka.jsa"
ARCHIVE_RUN_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class KafkaInstall:
    """A provisioned Kafka: its version, the directory of its classpath jars, and the archive
    of the broker's classes for class-data sharing, if one could be made
    (``provision_class_archive``)."""

    version: str
    libs: Path
    built: bool
    class_archive: Path | None = None


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
    install = KafkaInstall(version=version, libs=path / "libs", built=built)
    archive, archived = provision_class_archive(root, install)
    return dataclasses.replace(install, class_archive=archive, built=built or archived)


def provision_class_archive(root: Path, install: KafkaInstall) -> tuple[Path | None, bool]:
    """The broker's classes archived for class-data sharing (CDS), made once per Kafka and JDK.

    A broker restarted after a crash spends its first seconds loading and verifying classes:
    on a quiet 2-core machine a new broker logged "Kafka Server started" after 3.2-3.7 s
    without the archive and 2.1-2.2 s with it. The archive is made by running the broker
    once on a scratch directory with ``-XX:ArchiveClassesAtExit`` and stopping it (about
    10 s, once). A JVM that cannot use it (another JDK, another classpath) says so in the
    broker's log and starts without it. Returns the archive and whether it was made now; no
    archive without ``java``, or when that run failed: the broker then starts as it always
    did, and the reason is in the artifact's ``failed.txt``.
    """
    java = shutil.which("java")
    if java is None:
        return None, False
    jvm = Path(java).resolve()
    stat = jvm.stat()
    key = fingerprint(extra=f"{jvm}\0{stat.st_size}\0{stat.st_mtime_ns}\0{install.libs}")

    def build(tmp: Path) -> None:
        try:
            _dump_class_archive(install, java, tmp)
        except (ProvisionError, OSError, subprocess.SubprocessError) as error:
            (tmp / "failed.txt").write_text(f"{type(error).__name__}: {error}\n")

    path, built = ensure_artifact(root, f"kafka-cds-{install.version}-{key}", build)
    archive = path / CLASS_ARCHIVE
    return (archive if archive.is_file() else None), built


def _dump_class_archive(install: KafkaInstall, java: str, tmp: Path) -> None:
    """Run a broker on ``tmp`` until it has started, stop it, keep the archive it wrote."""
    data, logs = tmp / "data", tmp / "logs"
    port, controller_port = pick_free_ports(2)
    properties = tmp / "server.properties"
    properties.write_text(
        server_properties(data_dir=data, port=port, controller_port=controller_port)
    )
    format_storage(
        install, properties=properties, data_dir=data, logs_dir=logs, log_file=tmp / "run.log"
    )
    archive = tmp / CLASS_ARCHIVE
    command = java_command(
        java,
        dataclasses.replace(install, class_archive=None),  # dumped over the JDK's base archive
        "kafka.Kafka",
        [str(properties)],
        logs_dir=logs,
        server=True,
        jvm_options=(f"-XX:ArchiveClassesAtExit={archive}",),
    )
    with (tmp / "run.log").open("a") as out:
        broker = subprocess.Popen(  # noqa: S603 - our own command line
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        try:
            _wait_started(broker, port)
        finally:
            broker.terminate()  # a clean exit writes the archive
            try:
                broker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                broker.kill()
                broker.wait()
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(logs, ignore_errors=True)
    if not archive.is_file():
        raise ProvisionError(f"the broker stopped without writing {archive.name}")


def _wait_started(broker: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + ARCHIVE_RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        if broker.poll() is not None:
            raise ProvisionError(f"the broker exited with {broker.returncode} before it started")
        if kafka_ready(port):
            return
        time.sleep(0.2)
    raise ProvisionError(f"the broker did not start within {ARCHIVE_RUN_TIMEOUT_S:.0f}s")


def server_properties(
    *,
    data_dir: Path,
    port: int,
    controller_port: int,
    node_id: int = NODE_ID,
    voters: Mapping[int, int] | None = None,
) -> str:
    """Return the ``server.properties`` of a KRaft broker+controller on 127.0.0.1.

    ``voters`` maps every node id of the cluster to its controller port; by default the node
    is a cluster of its own. With three nodes or more, every topic, internal ones included,
    is replicated to three and takes a write once two hold it, as in production: one node
    killed or frozen stops no producer and no consumer group.
    """
    voters = voters or {node_id: controller_port}
    replicas = min(3, len(voters))
    in_sync = max(1, replicas - 1)
    settings = {
        "process.roles": "broker,controller",
        "node.id": str(node_id),
        "controller.quorum.voters": ",".join(
            f"{voter}@127.0.0.1:{voter_port}" for voter, voter_port in sorted(voters.items())
        ),
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(data_dir),
        # Topics are declared explicitly by the services; a typo must fail, not create one.
        "auto.create.topics.enable": "false",
        "num.partitions": "3",
        "default.replication.factor": str(replicas),
        "min.insync.replicas": str(in_sync),
        # Internal topics too: one node holds them alone, three hold a copy each.
        # Fewer partitions than the default 50 make the first group/transaction faster.
        "offsets.topic.replication.factor": str(replicas),
        "offsets.topic.num.partitions": "3",
        # A broker (re)starting, or taking back a partition of __consumer_offsets, replays it
        # before its groups can commit: only closed segments are compacted, so with the default
        # 100 MiB segment it replayed every commit since the stack started (28,000 records,
        # up to 2.1 s, after 20 minutes of the chaos bench). 1 MiB (the least) keeps it short.
        "offsets.topic.segment.bytes": str(1024 * 1024),
        "transaction.state.log.replication.factor": str(replicas),
        "transaction.state.log.min.isr": str(in_sync),
        "transaction.state.log.num.partitions": "3",
        "share.coordinator.state.topic.replication.factor": str(replicas),
        "share.coordinator.state.topic.min.isr": str(in_sync),
        # Tests join consumer groups constantly; the default 3 s delay would slow each one.
        "group.initial.rebalance.delay.ms": "0",
        # After a crash the restarted controller keeps the dead broker's registration until its
        # lease ends (9 s by default), and the broker cannot rejoin before: one JVM, one node,
        # so a short lease only shortens a restart. At 2 s it was still the last thing a
        # restarted broker waited for under the chaos bench (0.7-1.3 s after its 113 logs were
        # loaded); four heartbeats fit in 1 s. A broker frozen longer than the lease is fenced
        # when it thaws, whatever the lease (the chaos bench freezes it for 5 s).
        "broker.session.timeout.ms": "1000",
        "broker.heartbeat.interval.ms": "250",
        # A deleted topic's logs stay on disk (renamed ``-delete``) for a minute by default
        # (``file.delete.delay.ms`` of a topic), and the task removing them first runs 30 s
        # after the broker started; a restarted broker recovers each of them again. A broker
        # restarted more often than that (the chaos bench) kept every deleted topic for good.
        # The initial delay of the log manager's tasks (retention, flushes, checkpoints too)
        # is documented as meant for tests: this stack is one.
        "log.segment.delete.delay.ms": "1000",
        "log.initial.task.delay.ms": "1000",
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
    jvm_options: tuple[str, ...] = (),
) -> list[str]:
    """Return the command line running ``main_class`` on Kafka's classpath."""
    jvm = [*SERVER_HEAP, *SERVER_JVM] if server else list(TOOL_JVM)
    if server and install.class_archive is not None:
        jvm.append(f"-XX:SharedArchiveFile={install.class_archive}")
    jvm += jvm_options
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


def new_cluster_id(install: KafkaInstall, *, logs_dir: Path, log_file: Path) -> str:
    """A fresh cluster id from Kafka's StorageTool; its output is appended to ``log_file``."""
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
    return lines[-1].strip()


def storage_features(nodes: int) -> tuple[str, ...]:
    """The feature levels a cluster of ``nodes`` is formatted with, beyond Kafka's defaults.

    One node: no eligible leader replicas (KIP-966, on by default since Kafka 4.1). Its
    replica is every partition's only one; after a crash ELR takes it out of each partition's
    in-sync replicas, elects it back uncleanly and makes it recover each partition again
    before the partition counts as recovered: a second leader epoch, on which every group
    coordinator reloads its groups. Under the chaos bench that was 0.85 s of a restarted
    broker's 4-5 s, with consumer groups unable to commit. With three nodes ELR keeps a
    replica that missed writes from being elected: it stays on, as in production.
    """
    return ("eligible.leader.replicas.version=0",) if nodes == 1 else ()


def format_storage(
    install: KafkaInstall,
    *,
    properties: Path,
    data_dir: Path,
    logs_dir: Path,
    log_file: Path,
    cluster_id: str | None = None,
    nodes: int = 1,
) -> None:
    """Format the KRaft log directory, unless it is formatted already.

    The nodes of one cluster share ``cluster_id``; a fresh one is made when none is given.
    ``nodes`` is the cluster's size (``storage_features``). Every StorageTool run appends its
    output to ``log_file``.
    """
    if (data_dir / "meta.properties").is_file():
        return
    java = require_tool("java", "to run Kafka")
    cluster_id = cluster_id or new_cluster_id(install, logs_dir=logs_dir, log_file=log_file)
    features = [arg for feature in storage_features(nodes) for arg in ("--feature", feature)]
    format_cmd = java_command(
        java,
        install,
        "kafka.tools.StorageTool",
        ["format", "-t", cluster_id, "-c", str(properties), *features],
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


async def _broker_registered(bootstrap: str, request_timeout: float, node_id: int) -> bool:
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
    return any(broker.get("node_id") == node_id for broker in brokers)


def kafka_ready(port: int, timeout: float = 5.0, node_id: int = NODE_ID) -> bool:
    """Tell whether the broker on 127.0.0.1:``port`` answers a metadata request listing itself
    (node ``node_id``).

    Safe to call from inside a running event loop: the check runs its own loop in a thread.
    """
    # A plain TCP check first keeps aiokafka from logging connection errors while the JVM
    # is still starting.
    if not _port_open("127.0.0.1", port):
        return False
    bootstrap = f"127.0.0.1:{port}"
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="devstack-kafka-probe") as pool:
        return pool.submit(
            lambda: asyncio.run(_broker_registered(bootstrap, timeout, node_id))
        ).result()
