"""The real servers a test run uses, however they were started."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Servers:
    kafka_bootstrap: str
    mongo_url: str
    smtp_host: str | None = None
    smtp_port: int | None = None
    mail_api_url: str | None = None


def external_servers(env: Mapping[str, str]) -> Servers | None:
    if not (env.get("ALLWAN_KAFKA_BOOTSTRAP") and env.get("ALLWAN_MONGO_URL")):
        return None
    port = env.get("ALLWAN_SMTP_PORT")
    return Servers(
        kafka_bootstrap=env["ALLWAN_KAFKA_BOOTSTRAP"],
        mongo_url=env["ALLWAN_MONGO_URL"],
        smtp_host=env.get("ALLWAN_SMTP_HOST"),
        smtp_port=int(port) if port else None,
        mail_api_url=env.get("ALLWAN_MAIL_API_URL"),
    )


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}"],
        capture_output=True,
        check=False,
        timeout=20,
    )
    return probe.returncode == 0


@contextlib.contextmanager
def docker_servers() -> Iterator[Servers]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.kafka import KafkaContainer
    from testcontainers.mongodb import MongoDbContainer

    with (
        KafkaContainer("apache/kafka:4.1.0").with_kraft() as kafka,
        MongoDbContainer("mongo:8.0") as mongo,
        DockerContainer("axllent/mailpit:v1.27").with_exposed_ports(1025, 8025) as mail,
    ):
        host = mail.get_container_host_ip()
        yield Servers(
            kafka_bootstrap=kafka.get_bootstrap_server(),
            mongo_url=mongo.get_connection_url(),
            smtp_host=host,
            smtp_port=int(mail.get_exposed_port(1025)),
            mail_api_url=f"http://{host}:{mail.get_exposed_port(8025)}",
        )
