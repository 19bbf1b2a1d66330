"""Where a benchmark's CPU went: the process behind a local port, its CPU time, and the
milliseconds per request a result reports."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.cpu import CpuMeter, cpu_seconds, listener_pid, server_pids
from bench.gateway import summary


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def _busy(seconds: float) -> None:
    ends = time.process_time() + seconds
    while time.process_time() < ends:
        pass


def test_the_process_listening_on_a_port_is_found(listening: int) -> None:
    assert listener_pid(listening) == os.getpid()


def test_a_port_nobody_listens_on_has_no_process(listening: int) -> None:
    with socket.socket() as client:
        client.connect(("127.0.0.1", listening))  # a connected socket is not a listener
        port = client.getsockname()[1]
        assert listener_pid(port) is None


def test_servers_are_named_by_kind_and_those_not_local_are_left_out(listening: int) -> None:
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        closed = spare.getsockname()[1]
    found = server_pids(f"mongodb://127.0.0.1:{listening}/db", [f"127.0.0.1:{closed}"])
    assert found == {"mongodb": [os.getpid()]}


def test_cpu_time_grows_with_work_and_is_unknown_for_a_process_that_is_gone(
    tmp_path: Path,
) -> None:
    before = cpu_seconds([os.getpid()])
    _busy(0.2)
    after = cpu_seconds([os.getpid()])
    assert before is not None
    assert after is not None
    assert after - before >= 0.15
    assert cpu_seconds([os.getpid()], proc=tmp_path) is None


def test_the_meter_reports_milliseconds_per_unit_by_group_and_in_total() -> None:
    meter = CpuMeter({"server": [os.getpid()], "gone": [2**22 + 7]})
    meter.start()
    _busy(0.2)
    spent = meter.per(10)
    assert set(spent) == {"server", "total"}  # the unreadable group is left out, not zero
    assert spent["server"] >= 15.0  # 200 ms of CPU over 10 units
    assert spent["total"] == spent["server"]


def test_the_summary_says_what_a_request_cost_where_it_is_known() -> None:
    def run(per_s: float, cpu: dict[str, float]) -> dict[str, object]:
        fixed = {"p50_ms": 5.0, "p99_ms": 9.0}
        top = {"served_per_s": per_s, "decided_per_s": per_s, "decided_share": 1.0}
        return {"fixed_load": fixed, "max": top | {"cpu_ms_per_request": cpu}}

    result = {
        "offered_per_s": 100.0,
        "bare_fastapi_validate_and_insert": run(900.0, {}),
        "gateway_intake_202": run(150.0, {"server": 4.0, "total": 6.5, "mongodb": 2.5}),
        "gateway_decision_201": run(50.0, {"server": 25.0, "mongodb": 15.0, "total": 40.0}),
        "ratio_intake_to_bare": 0.1667,
        "ratio_decision_to_bare": 0.0556,
    }
    line = summary(result)
    assert "100% decided, CPU 40 ms/request, MongoDB server 15)" in line
    assert "(ratio to bare 0.1667, CPU 6.5 ms/request, MongoDB server 2.5)" in line
    assert "bare max 900 req/s, p50" in line  # nothing measured, nothing said
