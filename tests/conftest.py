"""Every test that needs Kafka, MongoDB or SMTP gets real servers: see
``allwan_devstack.resolve`` for where they come from (environment, Docker, or local
processes started for this run on free ports)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from allwan_devstack import Endpoints, real_servers

if TYPE_CHECKING:
    from tests.e2e.conftest import RunningSystem


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoints]:
    with real_servers(tmp_path_factory.mktemp("devstack")) as endpoints:
        yield endpoints


@pytest.fixture(scope="session")
def shared_system(
    servers: Endpoints, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningSystem]:
    """One running system (the back end and the web pages) for every end-to-end module that
    needs no settings of its own, and for the browser tests: starting a system is most of
    their cost. It starts with the first module that asks and stops at the end of the run,
    which ``testpaths`` puts right after the browser tests. Tests on it own their customers,
    ids and needles (tests/README.md), as they would on a shared server."""
    from tests.e2e.conftest import running_system

    with contextlib.ExitStack() as stack:
        yield stack.enter_context(
            running_system(servers, tmp_path_factory.mktemp("shared-system"), web=True)
        )
