"""Where the real servers come from, in this order:

1. ``ALLWAN_KAFKA_BOOTSTRAP`` and ``ALLWAN_MONGO_URL`` (and ``ALLWAN_SMTP_HOST``/``_PORT``)
   point at servers someone already runs (CI with services, docker-compose, a cluster);
2. a Docker engine answers: testcontainers starts Kafka and MongoDB (and Mailpit);
3. otherwise the dev stack starts Apache Kafka, FerretDB and an SMTP server as local
   processes on free ports, in a temporary directory, so parallel runs never collide.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import Servers, docker_available, docker_servers, external_servers


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    found = external_servers(os.environ)
    if found is not None:
        yield found
        return
    if docker_available():
        with docker_servers() as started:
            yield started
        return
    from allwan_devstack import DevStack, provision

    provision()
    state_dir: Path = tmp_path_factory.mktemp("devstack")
    with DevStack(state_dir) as stack:
        endpoints = stack.start()
        yield Servers(
            kafka_bootstrap=endpoints.kafka_bootstrap,
            mongo_url=endpoints.mongo_url,
            smtp_host=endpoints.smtp_host,
            smtp_port=endpoints.smtp_port,
            mail_api_url=endpoints.mail_api_url,
        )
