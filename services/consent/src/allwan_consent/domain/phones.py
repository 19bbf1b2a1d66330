"""Phone numbers in one canonical form (E.164), so that a WhatsApp sender and the number a
customer typed at checkout meet in the same blind index (K3)."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-().\u200e\u200f\u202a-\u202e]")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_E164_DIGITS = re.compile(r"^[1-9][0-9]{7,14}$")
_NATIONAL_MAX_DIGITS = 9  # a Saudi mobile without its trunk 0: 5XXXXXXXX


def to_e164(raw: str, country_code: str = "966") -> str | None:
    """``+<country code><number>``, or None if ``raw`` is not a phone number.

    Reads ``+9665…``, ``009665…``, ``9665…`` (as WhatsApp sends it), ``05…`` and ``5…``
    (national, in ``country_code``), with spaces, dashes, dots, brackets, direction marks
    and Arabic-Indic digits.
    """
    number = _SEPARATORS.sub("", raw.translate(_DIGITS))
    if number.startswith("+"):
        digits = number[1:]
    elif number.startswith("00"):
        digits = number[2:]
    elif number.startswith("0"):
        digits = country_code + number[1:]
    elif len(number) <= _NATIONAL_MAX_DIGITS:
        digits = country_code + number
    else:
        digits = number
    return f"+{digits}" if _E164_DIGITS.match(digits) else None
