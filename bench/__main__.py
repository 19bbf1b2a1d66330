"""``python -m bench <name> [options]`` (or ``./dev bench <name>``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

from allwan_devstack import real_servers

from bench import pipeline


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    commands = parser.add_subparsers(dest="name", required=True)
    flow = commands.add_parser("pipeline", help="append + relay + consume vs raw aiokafka")
    flow.add_argument("--events", type=int, default=20_000)
    flow.add_argument("--writers", type=int, default=32)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as state, real_servers(Path(state)) as servers:
        if arguments.name == "pipeline":
            result = asyncio.run(pipeline.run(servers, arguments.events, arguments.writers))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
