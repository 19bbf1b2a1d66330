"""Provision every server of the devstack into the cache."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from allwan_devstack.cache import cache_root
from allwan_devstack.ferretdb import FerretDBInstall, provision_ferretdb
from allwan_devstack.kafka import KafkaInstall, provision_kafka
from allwan_devstack.mail import MailpitInstall, provision_mailpit


@dataclass(frozen=True)
class Provisioned:
    """What :func:`provision` produced, with the seconds each step took."""

    cache_dir: Path
    kafka: KafkaInstall
    ferretdb: FerretDBInstall
    mailpit: MailpitInstall
    seconds: dict[str, float]


def provision(
    cache_dir: Path | None = None, *, progress: Callable[[str], None] | None = None
) -> Provisioned:
    """Download and build Kafka, FerretDB and Mailpit into the cache; skip what is there.

    Idempotent and safe to run from several processes at once. The first run needs Maven
    (and Maven Central, unless the local Maven repository already has the jars) and Go
    (and the Go module proxy, unless the module cache is warm); later runs need neither.
    ``progress`` receives one line per finished step.
    """
    root = (cache_dir or cache_root()).resolve()
    root.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}

    def timed(name: str, version: str, started: float, built: bool) -> None:
        seconds[name] = time.monotonic() - started
        if progress is not None:
            state = "built" if built else "cached"
            progress(f"{name} {version}: {state} in {seconds[name]:.1f}s")

    started = time.monotonic()
    kafka = provision_kafka(root)
    timed("kafka", kafka.version, started, kafka.built)
    started = time.monotonic()
    ferretdb = provision_ferretdb(root)
    timed("ferretdb", ferretdb.version, started, ferretdb.built)
    started = time.monotonic()
    mailpit = provision_mailpit(root)
    timed("mailpit", mailpit.version, started, mailpit.built)
    return Provisioned(root, kafka, ferretdb, mailpit, seconds)
