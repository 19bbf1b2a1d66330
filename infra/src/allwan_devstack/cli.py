"""``devstack``: provision, start, stop and inspect the local Kafka/FerretDB/Mailpit stack."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from allwan_devstack.browser import provision_browser
from allwan_devstack.deploytools import provision_deploy_tools
from allwan_devstack.errors import AlreadyRunningError, DevStackError
from allwan_devstack.procs import log_tail
from allwan_devstack.provision import provision
from allwan_devstack.stack import SERVERS, DevStack
from allwan_devstack.system import (
    ALL_SERVICES,
    DEV_STAFF_ID,
    WEB,
    SystemRunner,
    ensure_dev_secrets,
)

# Fixed ports for `devstack up`: the ones a developer's tools expect by default.
DEFAULT_PORTS = {
    "KAFKA_PORT": 9092,
    "KAFKA_CONTROLLER_PORT": 9093,
    "MONGO_PORT": 27017,
    "SMTP_PORT": 1025,
    "MAIL_HTTP_PORT": 8025,
}


def repo_root(start: Path | None = None) -> Path:
    """Return the workspace root above ``start`` (the directory holding ``uv.lock`` or
    ``.git``), or ``start`` itself if there is none."""
    here = (start or Path.cwd()).resolve()
    for marker in ("uv.lock", ".git"):
        for candidate in (here, *here.parents):
            if (candidate / marker).exists():
                return candidate
    return here


def default_state_dir() -> Path:
    """``$ALLWAN_DEVSTACK_DIR``, else ``.devstack/`` under the repository root."""
    explicit = os.environ.get("ALLWAN_DEVSTACK_DIR")
    return Path(explicit) if explicit else repo_root() / ".devstack"


def _port(name: str) -> int:
    env_var = f"ALLWAN_DEVSTACK_{name}"
    raw = os.environ.get(env_var)
    if not raw:
        return DEFAULT_PORTS[name]
    try:
        return int(raw)
    except ValueError:
        raise DevStackError(f"{env_var}={raw!r} is not a port number") from None


def make_stack(state_dir: Path, kafka_nodes: int | None = None) -> DevStack:
    """The stack ``devstack`` manages: fixed ports, each overridable by environment (nodes 2,
    3, ... of a larger Kafka cluster take free ones)."""
    return DevStack(
        state_dir,
        kafka_port=_port("KAFKA_PORT"),
        kafka_controller_port=_port("KAFKA_CONTROLLER_PORT"),
        mongo_port=_port("MONGO_PORT"),
        smtp_port=_port("SMTP_PORT"),
        mail_http_port=_port("MAIL_HTTP_PORT"),
        kafka_nodes=kafka_nodes,
    )


def _print_env(stack: DevStack, *, export: bool = False) -> None:
    prefix = "export " if export else ""
    for key, value in stack.endpoints.as_env().items():
        print(f"{prefix}{key}={value}")


def cmd_provision(_: argparse.Namespace) -> int:
    """Download and build everything into the cache."""
    began = time.monotonic()
    result = provision(progress=lambda line: print(line, flush=True))
    print(f"provisioned in {time.monotonic() - began:.1f}s into {result.cache_dir}")
    return 0


def cmd_provision_deploy_tools(_: argparse.Namespace) -> int:
    """Build kustomize, kube-score and (where its host is reachable) kube-linter."""
    began = time.monotonic()
    result = provision_deploy_tools(progress=lambda line: print(line, flush=True))
    print(f"deploy tools ready in {time.monotonic() - began:.1f}s under {result.cache_dir}")
    for name, binary in result.binaries.items():
        print(f"{name:11} {binary}")
    return 0


def cmd_provision_browser(_: argparse.Namespace) -> int:
    """Install Chromium and an Arabic font where missing; fetch axe-core into the cache."""
    began = time.monotonic()
    result = provision_browser(progress=lambda line: print(line, flush=True))
    print(f"browser tooling ready in {time.monotonic() - began:.1f}s")
    print(f"chromium   {result.chromium}")
    print(f"axe-core   {result.axe}")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    """Start the servers detached (idempotent)."""
    stack = make_stack(args.state_dir, args.kafka_nodes)
    status = stack.status()
    if all(status.values()):
        print(f"devstack already running in {stack.state_dir}")
        _print_env(stack)
        return 0
    if any(status.values()):
        stopped = [name for name, pid in status.items() if not pid]
        if stack.read_endpoints() is not None:
            # The live servers keep their process, data and clients; only the dead restart.
            print(f"devstack partly running; restarting {', '.join(stopped)}", flush=True)
            restarted = stack.restart_stopped(timeout=args.timeout)
            t = stack.timings
            took = ", ".join(f"{name} {t[name]:.1f}s" for name in restarted)
            print(f"restarted {took or 'nothing'}; endpoints in {stack.env_file}")
            _print_env(stack)
            return 0
        # Without recorded ports the survivors cannot be joined: start everything anew.
        partial = ", ".join(name for name, pid in status.items() if pid)
        print(f"devstack partly running ({partial}) with no endpoints; restarting it", flush=True)
        stack.stop()
    print(f"starting kafka, mongo (FerretDB) and smtp (Mailpit) in {stack.state_dir} ...")
    sys.stdout.flush()  # before the servers' own start-up work
    try:
        stack.start(timeout=args.timeout, detach=True)
    except AlreadyRunningError:  # another `devstack up` won the race
        print(f"devstack already running in {stack.state_dir}")
        _print_env(stack)
        return 0
    t = stack.timings
    print(
        f"ready in {t['total']:.1f}s (provision {t['provision']:.1f}s, kafka {t['kafka']:.1f}s,"
        f" mongo {t['mongo']:.1f}s, smtp {t['smtp']:.1f}s); endpoints in {stack.env_file}"
    )
    _print_env(stack)
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    """Stop the servers (and with --purge delete their data)."""
    stack = DevStack(args.state_dir)
    was_running = any(stack.status().values())
    stack.stop()
    print("devstack stopped" if was_running else "devstack was not running")
    if args.purge:
        stack.purge()
        print(f"data under {stack.state_dir} deleted")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Show which servers run; exit 0 only if all three do."""
    stack = DevStack(args.state_dir)
    status = stack.status()
    for name, pid in status.items():
        print(f"{name:6} {'running, pid ' + str(pid) if pid else 'stopped'}")
    if all(status.values()):
        _print_env(stack)
        return 0
    return 1


def cmd_logs(args: argparse.Namespace) -> int:
    """Print the last lines of one or all server logs."""
    stack = DevStack(args.state_dir)
    if args.server and args.server not in stack.servers:
        raise DevStackError(f"no server {args.server!r} here; this stack has {stack.servers}")
    servers = [args.server] if args.server else list(stack.servers)
    for name in servers:
        path = stack.log_path(name)
        if len(servers) > 1:
            print(f"==> {path} <==")
        print(log_tail(path, args.lines) if path.exists() else f"(no log yet at {path})")
    return 0


def cmd_env(args: argparse.Namespace) -> int:
    """Print the endpoint variables of the running stack."""
    stack = DevStack(args.state_dir)
    if not all(stack.status().values()):
        print("devstack is not running; start it with `devstack up`", file=sys.stderr)
        return 1
    _print_env(stack, export=args.export)
    return 0


SERVICE_PORTS = {
    "gateway": 8000,
    "orders": 8001,
    "consent": 8002,
    "notifier": 8003,
    "privacy": 8004,
    "web": 8005,
}


def cmd_services(args: argparse.Namespace) -> int:
    """Start, stop, list or tail the allwan services next to the running servers."""
    stack = DevStack(args.state_dir)
    runner = SystemRunner(args.state_dir, stack.endpoints, repo_root())
    if args.action == "up":
        if not all(stack.status().values()):
            print("the servers are not running; start them with `devstack up`", file=sys.stderr)
            return 1
        ports = {name: _service_port(name) for name in ALL_SERVICES}
        # Before the services start: the first of them would otherwise generate them silently.
        secrets = ensure_dev_secrets(args.state_dir)
        system = runner.start(ports)
        for name, url in system.urls.items():
            print(f"{name:9} {url}")
        if WEB in system.urls:
            print(
                f"staff console {system.web_url}/staff (sign in as {DEV_STAFF_ID}, "
                f"password in {secrets.path})"
            )
        print(f"secrets: {secrets.path} ({secrets.describe()})")
    elif args.action == "down":
        runner.stop()
    elif args.action == "status":
        running = runner.running()
        if running is None:
            print("services are not running")
            return 1
        for name, url in running.urls.items():
            print(f"{name:9} {url}")
    else:
        print(log_tail(runner.log_path(args.action), args.lines))
    return 0


def _service_port(service: str) -> int:
    raw = os.environ.get(f"ALLWAN_DEVSTACK_{service.upper()}_PORT")
    return int(raw) if raw else SERVICE_PORTS[service]


def build_parser() -> argparse.ArgumentParser:
    """The ``devstack`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="devstack",
        description="Real Kafka, FerretDB (MongoDB protocol) and Mailpit (SMTP) as local "
        "processes, without Docker.",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="where data, logs and pid files live (default: $ALLWAN_DEVSTACK_DIR or "
        ".devstack/ under the repository root)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("provision", help="download and build the servers into the cache").set_defaults(
        func=cmd_provision
    )
    sub.add_parser(
        "provision-deploy-tools",
        help="build kustomize, kube-score and kube-linter into the cache (deploy validation)",
    ).set_defaults(func=cmd_provision_deploy_tools)
    sub.add_parser(
        "provision-browser",
        help="install Chromium and an Arabic font (apt-get) where missing, and fetch axe-core "
        "into the cache (browser tests)",
    ).set_defaults(func=cmd_provision_browser)
    up = sub.add_parser("up", help="start the servers in the background")
    up.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for them")
    up.add_argument(
        "--kafka-nodes",
        type=int,
        default=None,
        help="Kafka nodes (default: as many as the state dir has, else 1); 3 replicates every "
        "topic as production does, so one node down stops nothing",
    )
    up.set_defaults(func=cmd_up)
    down = sub.add_parser("down", help="stop the servers")
    down.add_argument("--purge", action="store_true", help="also delete their data")
    down.set_defaults(func=cmd_down)
    sub.add_parser("status", help="show which servers run").set_defaults(func=cmd_status)
    logs = sub.add_parser("logs", help="show the end of the server logs")
    logs.add_argument("server", nargs="?", help=f"one of {', '.join(SERVERS)} or kafka-N")
    logs.add_argument("-n", "--lines", type=int, default=50, help="lines per log (default 50)")
    logs.set_defaults(func=cmd_logs)
    env = sub.add_parser("env", help="print the ALLWAN_* endpoint variables")
    env.add_argument("--export", action="store_true", help="prefix each line with `export `")
    env.set_defaults(func=cmd_env)
    services = sub.add_parser(
        "services",
        help=f"the allwan services ({', '.join(ALL_SERVICES)}), as local processes",
    )
    services.add_argument("action", choices=("up", "down", "status", *ALL_SERVICES))
    services.add_argument("-n", "--lines", type=int, default=50, help="log lines (default 50)")
    services.set_defaults(func=cmd_services)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``devstack`` command."""
    args = build_parser().parse_args(argv)
    if args.state_dir is None:
        args.state_dir = default_state_dir()
    try:
        code: int = args.func(args)
    except DevStackError as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("devstack: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
