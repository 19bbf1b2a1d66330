"""At most ``ALLWAN_MAX_IN_FLIGHT`` requests are worked on at once; one that waited
``ALLWAN_ADMISSION_WAIT_S`` for a slot is a 503 ``overloaded`` problem at once, and nothing of
it was done (``entrypoints.admission`` says what happened without the bound)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from allwan_gateway.entrypoints.admission import Admission, release_slot
from allwan_gateway.entrypoints.middleware import Shield
from fastapi import FastAPI

from tests.unit.gateway.fakes import harness
from tests.unit.gateway.test_orders import FULL_ORDER
from tests.unit.gateway.test_problems import assert_problem


class Slow:
    """An app whose ``/work`` requests hold their slot until ``finish`` is set."""

    def __init__(self, slots: int, max_wait_s: float) -> None:
        self.finish = asyncio.Event()
        self.started = 0
        self.working = asyncio.Event()
        api = FastAPI()

        @api.get("/work")
        async def work() -> dict[str, str]:
            self.started += 1
            self.working.set()
            await self.finish.wait()
            return {"done": "yes"}

        @api.get("/fail")
        async def fail() -> None:
            raise RuntimeError("the route failed")

        @api.get("/health/ready")
        async def ready() -> dict[str, str]:
            return {"status": "ready"}

        api.add_middleware(Admission, slots=slots, max_wait_s=max_wait_s)
        api.add_middleware(Shield)
        self.app = api

    def client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        return httpx.AsyncClient(transport=transport, base_url="https://gateway.test")


async def test_a_request_finding_every_slot_taken_past_its_wait_is_503_overloaded() -> None:
    slow = Slow(slots=1, max_wait_s=0.05)
    async with slow.client() as http:
        first = asyncio.create_task(http.get("/work"))
        await slow.working.wait()
        loop = asyncio.get_running_loop()
        sent = loop.time()
        refused = await http.get("/work")
        waited = loop.time() - sent
        slow.finish.set()
        served = await first

    assert served.status_code == 200
    body = assert_problem(refused, 503, "overloaded")
    assert refused.headers["retry-after"] == "1"
    assert "nothing of this one was done" in body["detail"]
    assert refused.headers["x-content-type-options"] == "nosniff"
    assert slow.started == 1  # the refused request never reached the route
    assert waited >= 0.04  # it waited its turn first; the slow request was still running


async def test_a_request_waiting_for_a_slot_is_served_once_one_frees_within_its_wait() -> None:
    slow = Slow(slots=1, max_wait_s=5.0)
    async with slow.client() as http:
        first = asyncio.create_task(http.get("/work"))
        await slow.working.wait()
        second = asyncio.create_task(http.get("/work"))
        await asyncio.sleep(0.05)
        assert slow.started == 1  # waiting for the slot, not worked on
        slow.finish.set()
        answers = await asyncio.gather(first, second)

    assert [a.status_code for a in answers] == [200, 200]
    assert slow.started == 2


async def test_health_probes_are_answered_while_every_slot_is_taken() -> None:
    slow = Slow(slots=1, max_wait_s=0.0)
    async with slow.client() as http:
        first = asyncio.create_task(http.get("/work"))
        await slow.working.wait()
        ready = await http.get("/health/ready")
        slow.finish.set()
        await first

    assert ready.status_code == 200


async def test_a_request_that_failed_gives_its_slot_back() -> None:
    slow = Slow(slots=1, max_wait_s=0.0)
    async with slow.client() as http:
        failed = [await http.get("/fail") for _ in range(3)]
        slow.finish.set()
        after = await http.get("/work")

    assert [a.status_code for a in failed] == [500, 500, 500]
    assert after.status_code == 200


def test_a_gateway_needs_at_least_one_slot() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Admission(Slow(1, 0).app, slots=0, max_wait_s=0.1)


def test_releasing_a_slot_outside_admission_or_twice_is_harmless() -> None:
    release_slot({"type": "http"})  # no Admission around: nothing to give back
    given: list[int] = []
    scope: dict[str, Any] = {"allwan.release_slot": lambda: given.append(1)}
    release_slot(scope)
    assert given == [1]


async def test_an_order_waiting_for_its_decision_does_not_hold_its_slot() -> None:
    # One slot: the order waits up to 2 s for orders, which never answers here. Were its
    # slot still held, the read would wait 50 ms and be refused as overloaded.
    gw = harness(decision_wait_s=2.0, max_in_flight=1, admission_wait_s=0.05)
    async with gw.client() as http:
        placing = asyncio.create_task(
            http.post("/v1/orders", json=FULL_ORDER, headers=gw.customer("cust-1"))
        )
        while not gw.intake("OrderRequested"):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        read = await http.get("/v1/customers/cust-1/orders", headers=gw.customer("cust-1"))
        assert not placing.done()  # still waiting for the decision
        placed = await placing

    assert read.status_code == 200
    assert placed.status_code == 202
