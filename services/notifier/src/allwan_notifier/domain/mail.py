"""A message as it leaves the notifier: rendered from its letter, addressed, ready for SMTP."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from allwan_notifier.domain.recipients import Locale


@dataclass(frozen=True)
class Rendered:
    """A letter's template filled in, in one language."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Mail:
    """One message ready for SMTP; ``to`` is the only personal datum and lives only here."""

    to: str
    subject: str
    text: str
    html: str
    message_id: str
    locale: Locale
    reply_to: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
