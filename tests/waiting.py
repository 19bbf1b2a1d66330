"""Waiting for an eventually consistent outcome in tests on real servers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    timeout: float = 30.0,
    what: str = "condition",
    interval: float = 0.05,
) -> T:
    """The first truthy answer of ``probe``, polled every ``interval`` seconds; the test
    fails, naming ``what``, if none comes within ``timeout`` seconds."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                found = await probe()
                if found:
                    return found
                await asyncio.sleep(interval)
    except TimeoutError:
        pytest.fail(f"{what}: not reached within {timeout}s")
