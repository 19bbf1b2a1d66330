"""The dev stack's staff account ``staff-dev``: a random password for the developer, only its
hash for the gateway (S1), and a ``secrets.env`` a shell can ``source``."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from allwan_devstack.errors import DevStackError
from allwan_devstack.system import (
    DEV_SECRETS,
    DEV_STAFF_PASSWORD,
    STAFF_ACCOUNTS,
    ensure_dev_secrets,
)
from allwan_runtime.passwords import verify_password


def accounts_of(values: dict[str, str]) -> dict[str, dict[str, str]]:
    loaded: dict[str, dict[str, str]] = json.loads(values[STAFF_ACCOUNTS])
    return loaded


def test_the_first_run_makes_staff_dev_whose_hash_verifies_the_generated_password(
    tmp_path: Path,
) -> None:
    values = ensure_dev_secrets(tmp_path).values

    account = accounts_of(values)["staff-dev"]
    password = values[DEV_STAFF_PASSWORD]
    assert account["name"] == "Staff (development)"
    assert verify_password(password, account["password_hash"])
    assert not verify_password(password + "x", account["password_hash"])
    assert password not in values[STAFF_ACCOUNTS]


def test_a_secrets_file_from_before_the_staff_account_gets_it_added_and_keeps_its_keys(
    tmp_path: Path,
) -> None:
    older = {name: f"value-of-{name.lower()}" for name in DEV_SECRETS}
    (tmp_path / "secrets.env").write_text("".join(f"{k}={v}\n" for k, v in older.items()))

    again = ensure_dev_secrets(tmp_path)

    assert set(again.generated) == {DEV_STAFF_PASSWORD, STAFF_ACCOUNTS}
    assert {name: again.values[name] for name in DEV_SECRETS} == older
    hashed = accounts_of(again.values)["staff-dev"]["password_hash"]
    assert verify_password(again.values[DEV_STAFF_PASSWORD], hashed)
    assert ensure_dev_secrets(tmp_path).values == again.values  # written, not regenerated


def test_a_lost_password_gets_a_new_one_and_a_new_hash_and_other_accounts_stay(
    tmp_path: Path,
) -> None:
    first = ensure_dev_secrets(tmp_path).values
    accounts = accounts_of(first) | {
        "staff-o": {"name": "Nora O'Neil", "password_hash": "scrypt$15$8$1$a$b"}
    }
    kept = {k: v for k, v in first.items() if k not in {DEV_STAFF_PASSWORD, STAFF_ACCOUNTS}}
    (tmp_path / "secrets.env").write_text(
        "".join(f"{k}={v}\n" for k, v in kept.items())
        + f"{STAFF_ACCOUNTS}={json.dumps(accounts)}\n"
    )

    again = ensure_dev_secrets(tmp_path)

    assert again.generated == (DEV_STAFF_PASSWORD, STAFF_ACCOUNTS)
    assert again.values[DEV_STAFF_PASSWORD] != first[DEV_STAFF_PASSWORD]
    now = accounts_of(again.values)
    assert verify_password(again.values[DEV_STAFF_PASSWORD], now["staff-dev"]["password_hash"])
    assert now["staff-o"] == accounts["staff-o"]


def test_the_secrets_file_sourced_by_a_shell_gives_the_same_values(tmp_path: Path) -> None:
    """The README has developers ``source .devstack/secrets.env``: a hash holds ``$``, the
    accounts' JSON spaces, quotes, parentheses and (in a name) an apostrophe."""
    first = ensure_dev_secrets(tmp_path).values
    accounts = accounts_of(first) | {
        "staff-o": {"name": "Nora O'Neil", "password_hash": "scrypt$15$8$1$a$b"}
    }
    kept = {k: v for k, v in first.items() if k not in {DEV_STAFF_PASSWORD, STAFF_ACCOUNTS}}
    path = tmp_path / "secrets.env"
    # As a developer pastes it; the lost password makes the file be written again.
    path.write_text(
        "".join(f"{k}={v}\n" for k, v in kept.items())
        + f"{STAFF_ACCOUNTS}={json.dumps(accounts)}\n"
    )

    values = ensure_dev_secrets(tmp_path).values

    shown = subprocess.run(
        ["bash", "-c", 'set -a && source "$1" && env -0', "bash", str(path)],
        capture_output=True,
        check=True,
        env={"PATH": os.environ["PATH"]},
        timeout=30,
    ).stdout.decode()
    sourced = dict(item.split("=", 1) for item in shown.split("\0") if "=" in item)
    assert {name: sourced[name] for name in values} == values
    assert json.loads(sourced[STAFF_ACCOUNTS])["staff-o"] == accounts["staff-o"]


def test_staff_accounts_that_are_not_a_json_object_stop_it_without_quoting_them(
    tmp_path: Path,
) -> None:
    first = ensure_dev_secrets(tmp_path).values
    body = "".join(f"{k}={v}\n" for k, v in first.items() if k != STAFF_ACCOUNTS)
    (tmp_path / "secrets.env").write_text(body + f"{STAFF_ACCOUNTS}=[not-json-secret\n")

    with pytest.raises(DevStackError) as raised:
        ensure_dev_secrets(tmp_path)

    assert STAFF_ACCOUNTS in str(raised.value)
    assert "not-json-secret" not in str(raised.value)
