"""Locate the non-Python files of the devstack (Kafka pom and log4j2 config, FerretDB module)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def infra_dir() -> Path:
    """Return the directory holding ``kafka/`` and ``ferretdb/``.

    In the workspace (an editable install) that is ``infra/`` itself, two levels above this
    package; a built wheel carries a copy of both under ``allwan_devstack/_data``.
    """
    bundled = _PACKAGE_DIR / "_data"
    if (bundled / "kafka" / "pom.xml").is_file():
        return bundled
    return _PACKAGE_DIR.parents[1]


def kafka_pom() -> Path:
    """Path of the pom whose dependencies form the Kafka broker's classpath."""
    return infra_dir() / "kafka" / "pom.xml"


def kafka_log4j_config() -> Path:
    """Path of the log4j2 configuration the broker is started with."""
    return infra_dir() / "kafka" / "log4j2.xml"


def ferretdb_module() -> Path:
    """Path of our Go wrapper module that embeds FerretDB."""
    return infra_dir() / "ferretdb"
