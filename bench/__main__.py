"""``python -m bench <name> [options]`` (or ``./dev bench <name>``).

Each benchmark prints one JSON object, then its result in one line, on stdout; everything
else (servers' and services' logs) goes to stderr. ``all`` runs pipeline, pipeline --grow,
gateway and notifier in sequence on one set of servers, at smaller sizes than each one's own
defaults (``all --help`` lists them), and prints one JSON object holding every result, then
each one's line. ``chaos`` starts and kills servers of its own, so ``all`` leaves it out.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import tempfile
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, Final, TextIO, TypeVar

from allwan_devstack import Endpoints, real_servers
from allwan_runtime.logs import setup_logging

from bench import chaos, gateway, notifier, pipeline

N = TypeVar("N", int, float)
PIPELINE_EVENTS: Final = 20_000
GROW_EVENTS: Final = 2_000
# The sizes ``all`` runs at: smaller than each benchmark's own defaults, so that the whole
# sequence takes minutes rather than most of an hour.
ALL_PIPELINE_EVENTS: Final = 5_000
ALL_GATEWAY: Final = gateway.Options(requests=500)
ALL_NOTIFIER_CUSTOMERS: Final = 2_000
ALL_NAMES: Final = ("pipeline", "pipeline-grow", "gateway", "notifier")

Bench = Callable[[Endpoints], Coroutine[Any, Any, dict[str, Any]]]
"""One benchmark, its options bound: the servers in, the result out."""


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="name", required=True)
    flow = commands.add_parser(
        "pipeline", help="append + relay + consume vs raw aiokafka and raw insert_many"
    )
    flow.add_argument(
        "--events",
        type=_positive(int),
        help=f"events measured ({PIPELINE_EVENTS:,}; with --grow, per step: {GROW_EVENTS:,})",
    )
    flow.add_argument("--writers", type=_positive(int), default=32)
    flow.add_argument(
        "--grow",
        action="store_true",
        help="run on a store pre-filled to each of --sizes events, smallest first",
    )
    flow.add_argument(
        "--sizes",
        type=_sizes,
        default=pipeline.GROW_SIZES,
        help="stored events for --grow (default 1000,10000,50000)",
    )
    api = commands.add_parser(
        "gateway", help="place-order (201 and 202) vs a bare FastAPI endpoint, p50/p99 and max"
    )
    api.add_argument("--requests", type=_positive(int), default=gateway.Options.requests)
    api.add_argument(
        "--rate", type=_positive(float), default=gateway.Options.rate, help="offered req/s"
    )
    api.add_argument("--concurrency", type=_positive(int), default=gateway.Options.concurrency)
    api.add_argument("--customers", type=_positive(int), default=gateway.Options.customers)
    mail = commands.add_parser("notifier", help="material-change emails/s vs raw aiosmtplib")
    mail.add_argument("--customers", type=_positive(int), default=10_000)
    mail.add_argument("--connections", type=_positive(int), default=4)
    commands.add_parser(
        "all",
        help=f"pipeline ({ALL_PIPELINE_EVENTS:,} events), pipeline --grow, gateway "
        f"({ALL_GATEWAY.requests} requests), notifier ({ALL_NOTIFIER_CUSTOMERS:,} customers)",
    )
    faults = commands.add_parser("chaos", help="orders while services and servers are killed")
    faults.add_argument("--orders", type=_positive(int), default=chaos.Options.orders)
    faults.add_argument("--fault-every", type=_positive(float), default=chaos.Options.fault_every)
    faults.add_argument("--faults", type=_faults, default=chaos.FAULTS, help="service,kafka,...")
    faults.add_argument("--concurrency", type=_positive(int), default=chaos.Options.concurrency)
    faults.add_argument("--seed", type=int, default=chaos.Options.seed)
    faults.add_argument(
        "--kafka-nodes",
        type=_positive(int),
        default=chaos.Options.kafka_nodes,
        help="Kafka nodes of the bench's stack (3: topics replicated, as in production)",
    )
    faults.add_argument("--json", type=Path, help="also write the result to this file")
    faults.add_argument("--state-dir", type=Path, help="keep servers' data and logs here")
    arguments = parser.parse_args()
    if arguments.name == "chaos":
        setup_logging("bench", level="WARNING")  # keep stdout for the result
        run_chaos(arguments)
        return
    result = sys.stdout
    # Services built in this process log to stdout: the result alone goes there.
    with contextlib.redirect_stdout(sys.stderr):
        setup_logging("bench", level="WARNING")
        if arguments.name == "all":
            outcome = run_all()
        else:
            name, bench = chosen(arguments)
            outcome = run_benches([(name, bench)])[name]
    emit(outcome, result)


def chosen(arguments: argparse.Namespace) -> tuple[str, Bench]:
    """The benchmark the command line asked for, its options bound."""
    if arguments.name == "pipeline":
        if arguments.grow:
            events = arguments.events or GROW_EVENTS
            return "pipeline-grow", lambda s: pipeline.grow(
                s, events, arguments.writers, arguments.sizes
            )
        events = arguments.events or PIPELINE_EVENTS
        return "pipeline", lambda s: pipeline.run(s, events, arguments.writers)
    if arguments.name == "gateway":
        options = gateway.Options(
            requests=arguments.requests,
            rate=arguments.rate,
            concurrency=arguments.concurrency,
            customers=arguments.customers,
        )
        return "gateway", lambda s: gateway.run(s, options)
    return "notifier", lambda s: notifier.run(s, arguments.customers, arguments.connections)


def run_all() -> dict[str, Any]:
    """Every benchmark but chaos, at the ``ALL_*`` sizes; a failure is recorded, the rest run."""
    sizes = {
        "pipeline_events": ALL_PIPELINE_EVENTS,
        "pipeline_grow_events_per_step": GROW_EVENTS,
        "pipeline_grow_sizes": list(pipeline.GROW_SIZES),
        "gateway_requests": ALL_GATEWAY.requests,
        "gateway_rate": ALL_GATEWAY.rate,
        "notifier_customers": ALL_NOTIFIER_CUSTOMERS,
    }
    benches: list[tuple[str, Bench]] = [
        ("pipeline", lambda s: pipeline.run(s, ALL_PIPELINE_EVENTS, 32)),
        ("pipeline-grow", lambda s: pipeline.grow(s, GROW_EVENTS, 32, pipeline.GROW_SIZES)),
        ("gateway", lambda s: gateway.run(s, ALL_GATEWAY)),
        ("notifier", lambda s: notifier.run(s, ALL_NOTIFIER_CUSTOMERS, 4)),
    ]
    return {"benchmark": "all", "sizes": sizes, **run_benches(benches, keep_going=True)}


def run_benches(
    benches: Sequence[tuple[str, Bench]], *, keep_going: bool = False
) -> dict[str, dict[str, Any]]:
    """Run ``benches`` one after the other on one set of servers."""
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as state, real_servers(Path(state)) as servers:
        for name, bench in benches:
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            try:
                results[name] = asyncio.run(bench(servers))
            except Exception as error:
                if not keep_going:
                    raise
                results[name] = {"benchmark": name, "error": f"{type(error).__name__}: {error}"}
            print(f"bench: {summary(name, results[name])}", file=sys.stderr, flush=True)
    return results


def summary(name: str, result: dict[str, Any]) -> str:
    """One benchmark's result in one line."""
    if "error" in result:
        return f"{name}: failed: {result['error']}"
    if name == "gateway":
        return gateway.summary(result)
    if name == "notifier":
        return notifier.summary(result)
    return pipeline.summary(result)


def emit(outcome: dict[str, Any], out: TextIO) -> None:
    print(json.dumps(outcome, indent=2), file=out)
    if outcome.get("benchmark") == "all":
        for name in ALL_NAMES:
            print(summary(name, outcome[name]), file=out)
    else:
        name = "pipeline-grow" if outcome.get("mode") == "grow" else str(outcome["benchmark"])
        print(summary(name, outcome), file=out)


def _positive(kind: Callable[[str], N]) -> Callable[[str], N]:
    def parse(value: str) -> N:
        number = kind(value)
        if number <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {value}")
        return number

    return parse


def _sizes(value: str) -> tuple[int, ...]:
    try:
        sizes = tuple(sorted({int(part) for part in value.split(",") if part.strip()}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {value}") from None
    if not sizes or sizes[0] <= 0:
        raise argparse.ArgumentTypeError(f"sizes must be numbers above 0, not {value}")
    return sizes


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
        kafka_nodes=arguments.kafka_nodes,
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
