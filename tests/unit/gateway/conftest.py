from __future__ import annotations

import pytest

from tests.unit.gateway.fakes import Harness, harness


@pytest.fixture
def gw() -> Harness:
    return harness()
