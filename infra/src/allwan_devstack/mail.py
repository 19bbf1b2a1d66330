"""Mailpit (SMTP server + HTTP API for captured mail): building, command line, readiness."""

from __future__ import annotations

import http.client
import smtplib
from dataclasses import dataclass
from pathlib import Path

from allwan_devstack.cache import ensure_artifact
from allwan_devstack.ferretdb import go_env
from allwan_devstack.tools import require_tool, run_tool

MAILPIT_MODULE = "github.com/axllent/mailpit"
# Pinned: `go install module@version` then resolves every dependency from Mailpit's own
# go.sum, checked against the Go checksum database, so builds are reproducible.
MAILPIT_VERSION = "v1.27.11"
MAX_MESSAGES = 200_000
"""Mailpit deletes its oldest messages beyond this (its own default keeps 500). A policy
notice goes to every customer (PC2); the notifier is sized for 100,000, so this holds one
whole fan-out plus the receipts and confirmations around it."""


@dataclass(frozen=True)
class MailpitInstall:
    """A built Mailpit: its version and the binary's path."""

    version: str
    binary: Path
    built: bool


def provision_mailpit(root: Path) -> MailpitInstall:
    """``go install`` Mailpit into ``root/mailpit-<version>/bin`` unless already there."""

    def build(tmp: Path) -> None:
        go = require_tool("go", "to build Mailpit (the SMTP server)")
        env = go_env()
        env["GOBIN"] = str(tmp / "bin")
        run_tool(
            [go, "install", "-trimpath", f"{MAILPIT_MODULE}@{MAILPIT_VERSION}"],
            what="go install (Mailpit)",
            cwd=tmp,
            env=env,
        )

    path, built = ensure_artifact(root, f"mailpit-{MAILPIT_VERSION}", build)
    return MailpitInstall(version=MAILPIT_VERSION, binary=path / "bin" / "mailpit", built=built)


def server_command(
    install: MailpitInstall, *, smtp_port: int, http_port: int, database: Path
) -> list[str]:
    """Return the command line of Mailpit with SMTP and HTTP on 127.0.0.1."""
    return [
        str(install.binary),
        "--smtp",
        f"127.0.0.1:{smtp_port}",
        "--listen",
        f"127.0.0.1:{http_port}",
        "--database",
        str(database),
        "--max",
        str(MAX_MESSAGES),
        # Services may be configured with credentials; accept whatever they send.
        "--smtp-auth-accept-any",
        "--smtp-auth-allow-insecure",
        # No internet here: skip the GitHub release check and reverse DNS of clients.
        "--disable-version-check",
        "--smtp-disable-rdns",
    ]


def smtp_ready(port: int, timeout: float = 2.0) -> bool:
    """Tell whether 127.0.0.1:``port`` answers SMTP ``EHLO`` with 250."""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=timeout) as smtp:
            code, _ = smtp.ehlo("allwan-devstack-probe")
            return code == 250
    except (OSError, smtplib.SMTPException):
        return False


def mail_api_ready(port: int, timeout: float = 2.0) -> bool:
    """Tell whether Mailpit's HTTP API on 127.0.0.1:``port`` answers ``GET /api/v1/info``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/api/v1/info")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()
