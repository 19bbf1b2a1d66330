"""The privacy centre's rules, as the customer meets them (PDPL: access and a copy,
correction, destruction, answered within 30 days; K3: reaching the store by phone, WhatsApp or
email).

What the gateway answers about a request is shown as it is; these rules decide what the page
offers: the days left to the deadline, whether the customer may cancel it or download its
export, whether a request of a kind can be asked now, and the word typed to confirm an erasure.
The gateway (and behind it the privacy service) decides again: a form the page offers by
mistake is refused there with a clear problem. Every instant is passed in.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from allwan_contracts.privacy import OPEN_STATES, PrivacyRequestKind, PrivacyRequestState

from allwan_web.domain.locale import Locale

# The API's words for a request's kind and state are the privacy context's own.
Kind = PrivacyRequestKind
State = PrivacyRequestState


OPEN = OPEN_STATES
"""Still being worked on: one open request per kind and customer."""
NOT_STARTED = frozenset({State.RECEIVED, State.IDENTITY_VERIFIED})
_DAY = timedelta(days=1)


def _instant(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


@dataclass(frozen=True)
class Request:
    """A privacy request as ``GET .../privacy-requests`` shows it (nothing personal in it)."""

    request_id: str
    kind: Kind
    state: State
    received_at: datetime
    due_at: datetime
    extended_until: datetime | None = None
    export_expires_at: datetime | None = None
    denial_reason: str | None = None

    @classmethod
    def of(cls, shown: Mapping[str, Any]) -> Request:
        """The request in the gateway's answer."""
        return cls(
            request_id=str(shown["request_id"]),
            kind=Kind(shown["kind"]),
            state=State(shown["state"]),
            received_at=datetime.fromisoformat(str(shown["received_at"])),
            due_at=datetime.fromisoformat(str(shown["due_at"])),
            extended_until=_instant(shown.get("extended_until")),
            export_expires_at=_instant(shown.get("export_expires_at")),
            denial_reason=shown.get("denial_reason"),
        )

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    @property
    def deadline(self) -> datetime:
        """When the answer is due: the extended date once staff extended it (once, PDPL)."""
        return self.extended_until or self.due_at

    def days_left(self, now: datetime) -> int | None:
        """Whole days to the deadline (0 on its last day, negative once past); None once
        the request is finished, when no clock runs any more."""
        if not self.is_open:
            return None
        return math.floor((self.deadline - now) / _DAY)

    def overdue(self, now: datetime) -> bool:
        return self.is_open and now >= self.deadline

    @property
    def cancellable(self) -> bool:
        """Whether the customer may still withdraw it.

        Only before work on it starts. A request from a customer already known (the web, staff,
        the registered phone) starts on receipt, except an erasure: irreversible, it waits a
        grace period (or, asked on WhatsApp, its confirming message) in which it can be
        cancelled."""
        return self.kind is Kind.ERASURE and self.state in NOT_STARTED

    def export_ready(self, now: datetime) -> bool:
        """Whether its export can be downloaded: a completed access request, for 7 days."""
        expires = self.export_expires_at
        return (
            self.kind is Kind.ACCESS
            and self.state is State.COMPLETED
            and expires is not None
            and now < expires
        )


def open_of_kind(requests: Iterable[Request], kind: Kind) -> Request | None:
    """The customer's open request of ``kind``, which a new one of that kind would duplicate."""
    return next((r for r in requests if r.kind is kind and r.is_open), None)


def plural(count: int) -> str:
    """The plural form a count of days takes: Arabic's categories (CLDR: one, two, few,
    many, other), which also tell English's one from the rest."""
    count = abs(count)
    if count in (1, 2):
        return "one" if count == 1 else "two"
    if 3 <= count % 100 <= 10:
        return "few"
    if 11 <= count % 100 <= 99:
        return "many"
    return "other"


# -- the word an erasure is confirmed with --------------------------------------------------

CONFIRMATION_WORDS = {Locale.AR: "احذف", Locale.EN: "DELETE"}
"""What the customer types to confirm an erasure: the page's word is asked for, either is
taken (a customer switching language half-way is no less sure)."""
_MARKS = re.compile("[\u0640\u064b-\u065f\u0670\u06d6-\u06ed]")  # tatweel and harakat
_ALIFS = str.maketrans("أإآٱ", "اااا")


def _normalised(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    # Direction marks and other invisible formatting a keyboard may slip in are not letters.
    visible = "".join(c for c in folded if unicodedata.category(c) != "Cf").strip()
    return _MARKS.sub("", visible).translate(_ALIFS)


def erasure_confirmed(typed: str) -> bool:
    """Whether ``typed`` is one of the confirmation words: letter case, surrounding spaces,
    invisible marks, Arabic vowel marks and the hamza forms of alif aside, nothing else."""
    given = _normalised(typed)
    return any(given == _normalised(word) for word in CONFIRMATION_WORDS.values())


# -- reaching the store (CT1, K3) -----------------------------------------------------------

_SAUDI_MOBILE = re.compile(r"^0(5[0-9]{8})$")


def international(phone: str) -> str:
    """``phone`` with its country code and digits only (``0563120415`` → ``966563120415``):
    what ``wa.me`` links need. A Saudi number written the local way gets the +966 code; any
    other number is taken to carry its own."""
    digits = re.sub(r"[^0-9]", "", phone)
    if digits.startswith("00"):
        digits = digits[2:]
    local = _SAUDI_MOBILE.match(digits)
    return f"966{local.group(1)}" if local else digits


def tel_link(phone: str) -> str:
    return f"tel:+{international(phone)}"


def whatsapp_link(phone: str) -> str:
    return f"https://wa.me/{international(phone)}"


def mailto_link(email: str) -> str:
    return f"mailto:{email}"
