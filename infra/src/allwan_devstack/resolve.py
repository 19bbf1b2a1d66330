"""Real servers for a test or benchmark run, wherever they come from.

In this order:
1. ``ALLWAN_KAFKA_BOOTSTRAP`` and ``ALLWAN_MONGO_URL`` (with ``ALLWAN_SMTP_HOST``/``_PORT``,
   ``ALLWAN_MAIL_API_URL``) name servers someone already runs: CI services, docker-compose,
   a cluster;
2. a Docker engine answers: testcontainers starts Kafka, MongoDB and Mailpit;
3. otherwise a ``DevStack`` starts Apache Kafka, FerretDB and Mailpit as local processes on
   free ports in ``state_dir``, so two runs on one machine never collide.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

from allwan_devstack.provision import provision
from allwan_devstack.stack import DevStack, Endpoints

KAFKA_IMAGE = "apache/kafka:4.1.2"
MONGO_IMAGE = "mongo:8.0"
MAILPIT_IMAGE = "axllent/mailpit:v1.27"


def external(env: Mapping[str, str]) -> Endpoints | None:
    """Endpoints named by the environment, if it names Kafka and MongoDB."""
    if not (env.get("ALLWAN_KAFKA_BOOTSTRAP") and env.get("ALLWAN_MONGO_URL")):
        return None
    return Endpoints(
        kafka_bootstrap=env["ALLWAN_KAFKA_BOOTSTRAP"],
        mongo_url=env["ALLWAN_MONGO_URL"],
        smtp_host=env.get("ALLWAN_SMTP_HOST", "127.0.0.1"),
        smtp_port=int(env.get("ALLWAN_SMTP_PORT", "1025")),
        mail_api_url=env.get("ALLWAN_MAIL_API_URL"),
    )


def docker_available() -> bool:
    """Whether a Docker engine (not just the client) answers."""
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        probe = subprocess.run(  # noqa: S603 - fixed arguments
            [docker, "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            check=False,
            timeout=20,
        )
    except subprocess.TimeoutExpired:
        return False
    return probe.returncode == 0


@contextlib.contextmanager
def containers() -> Iterator[Endpoints]:
    """Kafka, MongoDB and Mailpit in containers (testcontainers)."""
    from testcontainers.core.container import DockerContainer  # noqa: PLC0415 - optional
    from testcontainers.kafka import KafkaContainer  # noqa: PLC0415
    from testcontainers.mongodb import MongoDbContainer  # noqa: PLC0415

    with (
        KafkaContainer(KAFKA_IMAGE).with_kraft() as kafka,
        MongoDbContainer(MONGO_IMAGE) as mongo,
        DockerContainer(MAILPIT_IMAGE).with_exposed_ports(1025, 8025) as mail,
    ):
        host = mail.get_container_host_ip()
        yield Endpoints(
            kafka_bootstrap=kafka.get_bootstrap_server(),
            mongo_url=mongo.get_connection_url(),
            smtp_host=host,
            smtp_port=int(mail.get_exposed_port(1025)),
            mail_api_url=f"http://{host}:{mail.get_exposed_port(8025)}",
        )


@contextlib.contextmanager
def real_servers(state_dir: Path, env: Mapping[str, str] | None = None) -> Iterator[Endpoints]:
    """Yield endpoints of real servers for the duration of the block (see module docstring)."""
    found = external(os.environ if env is None else env)
    if found is not None:
        yield found
        return
    if docker_available():
        with containers() as endpoints:
            yield endpoints
        return
    provision()
    with DevStack(state_dir) as stack:
        yield stack.start()
