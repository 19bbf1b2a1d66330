"""Stops a test's servers when the process that started them dies without stopping them.

``DevStack.start()`` (unless detached) runs this as a small child process. Servers run in
their own sessions so that a Ctrl-C or a crash of the caller does not reach them; without
this watchdog a test run killed by SIGKILL would leave a JVM and two servers behind.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path

from allwan_devstack.stack import DevStack

POLL_SECONDS = 0.5


def main(argv: Sequence[str] | None = None) -> int:
    """Wait until our parent is gone, then stop the stack of ``--state-dir``."""
    parser = argparse.ArgumentParser(prog="python -m allwan_devstack.watchdog")
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    # When the parent dies we are re-parented (to init or a subreaper): our ppid changes.
    while os.getppid() == args.parent_pid:
        time.sleep(POLL_SECONDS)
    print(f"parent {args.parent_pid} is gone; stopping the devstack in {args.state_dir}")
    DevStack(args.state_dir).stop(grace=10.0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
