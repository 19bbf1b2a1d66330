"""``python -m bench <name> [options]`` (or ``./dev bench <name>``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from allwan_devstack import real_servers
from allwan_runtime.logs import setup_logging

from bench import chaos, gateway, notifier, pipeline

N = TypeVar("N", int, float)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    commands = parser.add_subparsers(dest="name", required=True)
    flow = commands.add_parser("pipeline", help="append + relay + consume vs raw aiokafka")
    flow.add_argument("--events", type=int, default=20_000)
    flow.add_argument("--writers", type=int, default=32)
    api = commands.add_parser("gateway", help="place-order requests/s vs a bare FastAPI endpoint")
    api.add_argument("--requests", type=int, default=2000)
    api.add_argument("--concurrency", type=int, default=16)
    mail = commands.add_parser("notifier", help="material-change emails/s vs raw aiosmtplib")
    mail.add_argument("--customers", type=int, default=10_000)
    mail.add_argument("--connections", type=int, default=4)
    faults = commands.add_parser("chaos", help="orders while services and servers are killed")
    faults.add_argument("--orders", type=_positive(int), default=chaos.Options.orders)
    faults.add_argument("--fault-every", type=_positive(float), default=chaos.Options.fault_every)
    faults.add_argument("--faults", type=_faults, default=chaos.FAULTS, help="service,kafka,...")
    faults.add_argument("--concurrency", type=_positive(int), default=chaos.Options.concurrency)
    faults.add_argument("--seed", type=int, default=chaos.Options.seed)
    faults.add_argument("--json", type=Path, help="also write the result to this file")
    faults.add_argument("--state-dir", type=Path, help="keep servers' data and logs here")
    arguments = parser.parse_args()
    setup_logging("bench", level="WARNING")  # keep stdout for the result
    if arguments.name == "chaos":
        run_chaos(arguments)
        return
    with tempfile.TemporaryDirectory() as state, real_servers(Path(state)) as servers:
        if arguments.name == "pipeline":
            result = asyncio.run(pipeline.run(servers, arguments.events, arguments.writers))
        elif arguments.name == "gateway":
            result = asyncio.run(gateway.run(servers, arguments.requests, arguments.concurrency))
        elif arguments.name == "notifier":
            result = asyncio.run(notifier.run(servers, arguments.customers, arguments.connections))
    print(json.dumps(result, indent=2))


def _positive(kind: Callable[[str], N]) -> Callable[[str], N]:
    def parse(value: str) -> N:
        number = kind(value)
        if number <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {value}")
        return number

    return parse


def _faults(value: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = sorted(set(chosen) - set(chaos.FAULTS))
    if unknown:
        known = ", ".join(chaos.FAULTS)
        raise argparse.ArgumentTypeError(f"unknown fault {', '.join(unknown)} (known: {known})")
    return chosen


def run_chaos(arguments: argparse.Namespace) -> None:
    """The chaos benchmark starts servers of its own: it kills them."""
    options = chaos.Options(
        orders=arguments.orders,
        fault_every=arguments.fault_every,
        faults=arguments.faults,
        concurrency=arguments.concurrency,
        seed=arguments.seed,
    )
    # Kafka clients complain while the broker is down: to stderr, stdout is for the result.
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stderr)
    with contextlib.ExitStack() as scratch:
        state = arguments.state_dir or Path(scratch.enter_context(tempfile.TemporaryDirectory()))
        result = chaos.run(options, state)
    text = json.dumps(result, indent=2)
    if arguments.json is not None:
        arguments.json.write_text(text + "\n")
    print(text)
    print(chaos.summary(result))


if __name__ == "__main__":
    main()
