"""Every word the pages show, in Arabic and English, one TOML file per area
(``common``, ``storefront``, ``privacy``, ``staff``), each key with both languages:

    [checkout.title]
    ar = "إتمام الطلب"
    en = "Checkout"

Placeholders are ``{name}``. A key is a text or a group of keys, never both
(``cookies.why.analytics``, not ``cookies.analytics.why`` beside ``cookies.analytics``).
A key known in one language only, or in two files, is refused at load, so a page can never
fall back to the other language or to a key's name.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from allwan_web.domain.locale import Locale


class MessagesInvalid(ValueError):
    """A catalogue file breaks the rules above; the message says which key."""


@dataclass(frozen=True)
class Messages:
    table: dict[str, dict[Locale, str]]

    def text(self, key: str, locale: Locale, **values: Any) -> str:
        """The message ``key`` in ``locale``; ``KeyError`` for an unknown key."""
        template = self.table[key][locale]
        return template.format(**values) if values else template

    @classmethod
    def load(cls) -> Messages:
        """Every ``*.toml`` of this package, merged."""
        table: dict[str, dict[Locale, str]] = {}
        for entry in sorted(resources.files(__package__).iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".toml"):
                continue
            for key, value in _flatten(tomllib.loads(entry.read_text("utf-8"))).items():
                if key in table:
                    raise MessagesInvalid(f"{entry.name}: {key} is defined twice")
                table[key] = value
        return cls(table)


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, dict[Locale, str]]:
    found: dict[str, dict[Locale, str]] = {}
    for name, value in tree.items():
        key = f"{prefix}{name}"
        if not isinstance(value, dict):
            raise MessagesInvalid(f"{key} is not a table of languages")
        if set(value) & {locale.value for locale in Locale}:
            if set(value) != {locale.value for locale in Locale}:
                raise MessagesInvalid(f"{key} must have exactly ar and en")
            if not all(isinstance(v, str) and v.strip() for v in value.values()):
                raise MessagesInvalid(f"{key} has an empty text")
            found[key] = {Locale(lang): text for lang, text in value.items()}
        else:
            found |= _flatten(value, f"{key}.")
    return found
