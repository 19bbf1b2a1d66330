"""Jinja2 templates: ``templates/<message>.<locale>.txt`` and ``.html``, one pair per message
and language.

HTML is autoescaped (a ``<script>`` in a staff-written summary arrives as text); plain text is
not, there is nothing to escape. Undefined variables are errors, not blanks. Each text
template sets ``subject`` at its top; the HTML template receives it (escaped) for its title.
``render_letter`` caches its answers: letters are immutable, and a fan-out renders one
letter for everyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from allwan_notifier.domain.mail import Rendered
from allwan_notifier.domain.messages import Letter
from allwan_notifier.domain.recipients import Locale


class Templates:
    def __init__(self) -> None:
        self._env = Environment(
            loader=PackageLoader("allwan_notifier", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.render_letter = lru_cache(maxsize=256)(self._render_letter)

    def _render_letter(self, letter: Letter, locale: Locale) -> Rendered:
        return self.render(letter.template, locale, letter.context(locale))

    def render(self, template: str, locale: Locale, context: Mapping[str, Any]) -> Rendered:
        text = self._env.get_template(f"{template}.{locale}.txt").make_module(dict(context))
        subject = " ".join(str(getattr(text, "subject", "")).split())
        if not subject:
            raise ValueError(f"{template}.{locale}.txt sets no subject")
        html = self._env.get_template(f"{template}.{locale}.html")
        return Rendered(
            subject=subject, text=str(text), html=html.render({**context, "subject": subject})
        )
