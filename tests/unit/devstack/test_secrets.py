"""`devstack services up` says which development secrets it generated and which it reused."""

from __future__ import annotations

from pathlib import Path

from allwan_devstack.system import MANAGED_SECRETS, ensure_dev_secrets


def test_the_first_run_generates_every_secret(tmp_path: Path) -> None:
    secrets = ensure_dev_secrets(tmp_path)

    assert secrets.generated == MANAGED_SECRETS
    assert secrets.describe() == "generated, local only"
    assert (tmp_path / "secrets.env").stat().st_mode & 0o777 == 0o600


def test_a_later_run_reuses_them_and_says_so(tmp_path: Path) -> None:
    first = ensure_dev_secrets(tmp_path)

    again = ensure_dev_secrets(tmp_path)

    assert again.values == first.values
    assert again.generated == ()
    assert again.describe() == "reused, local only"


def test_only_the_missing_ones_are_generated_and_named(tmp_path: Path) -> None:
    first = ensure_dev_secrets(tmp_path)
    path = tmp_path / "secrets.env"
    path.write_text(
        "".join(
            line + "\n"
            for line in path.read_text().splitlines()
            if not line.startswith("ALLWAN_IP_HASH_KEY=")
        )
    )

    again = ensure_dev_secrets(tmp_path)

    assert again.generated == ("ALLWAN_IP_HASH_KEY",)
    assert again.values["ALLWAN_MASTER_KEYS"] == first.values["ALLWAN_MASTER_KEYS"]
    assert again.values["ALLWAN_IP_HASH_KEY"] != first.values["ALLWAN_IP_HASH_KEY"]
    described = again.describe()
    assert described.startswith("generated ALLWAN_IP_HASH_KEY; reused the other 11")
    assert first.values["ALLWAN_IP_HASH_KEY"] not in described
