"""Every test that needs Kafka, MongoDB or SMTP gets real servers: see
``allwan_devstack.resolve`` for where they come from (environment, Docker, or local
processes started for this run on free ports)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from allwan_devstack import Endpoints, real_servers


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoints]:
    with real_servers(tmp_path_factory.mktemp("devstack")) as endpoints:
        yield endpoints
