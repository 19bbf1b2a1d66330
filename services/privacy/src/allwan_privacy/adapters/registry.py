"""Loads the recipient registry from its TOML file (``[[recipient]]`` tables with the fields of
``allwan_contracts.accountability.Recipient``) and checks it; a file that does not load or
validate raises ``RegistryInvalid`` naming the file and the entry."""

from __future__ import annotations

import tomllib
from pathlib import Path

from allwan_contracts.accountability import Recipient
from pydantic import ValidationError

from allwan_privacy.domain.recipients import RecipientRegistry, RegistryInvalid


def load_registry(path: Path) -> RecipientRegistry:
    """The registry in ``path``; ``RegistryInvalid`` if it is missing, not TOML, or breaks a
    rule."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise RegistryInvalid(f"{path}: cannot be read ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise RegistryInvalid(f"{path}: not TOML ({error})") from None
    unknown = set(document) - {"recipient"}
    if unknown:
        raise RegistryInvalid(f"{path}: unknown tables {sorted(unknown)}")
    entries = document.get("recipient", [])
    if not isinstance(entries, list):
        raise RegistryInvalid(f"{path}: recipients are [[recipient]] tables")
    recipients: list[Recipient] = []
    for number, entry in enumerate(entries, start=1):
        try:
            recipients.append(Recipient.model_validate(entry))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in item['loc']) or 'entry'}: {item['msg']}"
                for item in error.errors(include_input=False)
            )
            raise RegistryInvalid(f"{path}: recipient #{number}: {problems}") from None
    try:
        return RecipientRegistry(recipients)
    except RegistryInvalid as error:
        raise RegistryInvalid(f"{path}: {error}") from None
