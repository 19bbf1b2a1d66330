"""``python -m bench <name> [options]`` (or ``./dev bench <name>``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

from allwan_devstack import real_servers
from allwan_runtime.logs import setup_logging

from bench import gateway, notifier, pipeline


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
    arguments = parser.parse_args()
    setup_logging("bench", level="WARNING")  # keep stdout for the result
    with tempfile.TemporaryDirectory() as state, real_servers(Path(state)) as servers:
        if arguments.name == "pipeline":
            result = asyncio.run(pipeline.run(servers, arguments.events, arguments.writers))
        elif arguments.name == "gateway":
            result = asyncio.run(gateway.run(servers, arguments.requests, arguments.concurrency))
        elif arguments.name == "notifier":
            result = asyncio.run(notifier.run(servers, arguments.customers, arguments.connections))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
