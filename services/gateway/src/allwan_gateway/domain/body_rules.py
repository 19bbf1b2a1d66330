"""What a JSON request body may not carry, wherever it is in the body.

- Card data (C3): a payment card number or a security code, refused by the contracts' own
  ``allwan_contracts.cards.refuse_card_data`` (the one refusal path every intake uses);
- Mongo operators (S1): a key that starts with ``$`` or holds a ``.`` could be read as an
  operator or a path by a store, so it is refused anywhere in a body, not only where the
  schema expects it; read models are never queried with client JSON, this is the second line;
- Duplicate keys: a parser that keeps the last one would validate something else than what a
  proxy or a log saw.

Findings name locations (``$.contact.notes[2]``), never values.
"""

from __future__ import annotations

import json
import re
from typing import Any

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")


class MalformedBody(ValueError):
    """Not JSON, or JSON with a repeated key."""


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise MalformedBody("an object repeats a key")
        mapping[key] = value
    return mapping


def parse_json(raw: bytes) -> Any:
    """The JSON value of ``raw`` (UTF-8), refusing repeated keys; ``MalformedBody`` if not."""
    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=_refuse_duplicates)
    except (UnicodeDecodeError, ValueError) as error:
        if isinstance(error, MalformedBody):
            raise
        raise MalformedBody("the body is not UTF-8 JSON") from None


def _where(parent: str, key: str) -> str:
    # A key is sender-controlled: one that is not a plain name is not echoed.
    return f"{parent}.{key}" if _PLAIN_KEY.match(key) else f"{parent}.<key>"


def operator_keys(body: Any, location: str = "$") -> list[str]:
    """Locations of keys that start with ``$`` or contain ``.``."""
    found: list[str] = []
    if isinstance(body, dict):
        for key, value in body.items():
            where = _where(location, key)
            if key.startswith("$") or "." in key:
                found.append(where)
            found.extend(operator_keys(value, where))
    elif isinstance(body, list):
        for index, item in enumerate(body):
            found.extend(operator_keys(item, f"{location}[{index}]"))
    return found
