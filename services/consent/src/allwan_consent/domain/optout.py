"""Whether a message a customer sent means "stop sending me marketing" (K2, K3).

Messages are compared after normalising: Unicode compatibility forms folded (NFKC), case
folded, invisible formatting characters dropped, Arabic diacritics and tatweel removed, the
alef forms (hamza above or below, madda, wasla) read as a bare alef, alef maqsura as yeh and
teh marbuta as heh, and punctuation and emoji read as spaces.

A short message (at most ``MAX_WORDS`` words) that holds an opt-out keyword is an opt-out,
so "STOP", "Stop please 🙏", "إيقاف" and "الغاء الاشتراك" all are. Longer messages are
conversations for staff, who record a withdrawal by hand. A false "stop" only ends
marketing, which the customer can opt into again; a missed one would keep messaging someone
who refused, so the short-message rule leans towards stopping.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

MAX_WORDS = 5

_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ALEF = "\N{ARABIC LETTER ALEF}"
_LETTER_FORMS = str.maketrans(
    {
        "\N{ARABIC LETTER ALEF WITH HAMZA ABOVE}": _ALEF,
        "\N{ARABIC LETTER ALEF WITH HAMZA BELOW}": _ALEF,
        "\N{ARABIC LETTER ALEF WITH MADDA ABOVE}": _ALEF,
        "\N{ARABIC LETTER ALEF WASLA}": _ALEF,
        "\N{ARABIC LETTER ALEF MAKSURA}": "\N{ARABIC LETTER YEH}",
        "\N{ARABIC LETTER TEH MARBUTA}": "\N{ARABIC LETTER HEH}",
    }
)
_NOT_A_WORD = re.compile(r"[\W_]+")

KEYWORDS = frozenset(
    {
        # English, as carriers and WhatsApp users write them
        "stop",
        "stopall",
        "unsubscribe",
        "optout",
        "cancel",
        "end",
        "quit",
        # Arabic, normalised: إيقاف، توقف، توقيف، أوقف، وقف، إلغاء، ألغِ، الغي
        "ايقاف",
        "الايقاف",
        "توقف",
        "توقيف",
        "اوقف",
        "وقف",
        "الغاء",
        "الغ",
        "الغي",
    }
)
PHRASES = frozenset({("opt", "out"), ("un", "subscribe")})


def normalise(text: str) -> str:
    """``text`` reduced to lower-case words separated by single spaces (see module doc)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(char for char in text if unicodedata.category(char) != "Cf")
    text = _ARABIC_MARKS.sub("", text).translate(_LETTER_FORMS)
    return _NOT_A_WORD.sub(" ", text).strip()


def is_opt_out(text: str) -> bool:
    """Whether the message asks to stop marketing (see the module docstring)."""
    words = normalise(text).split()
    if not words or len(words) > MAX_WORDS:
        return False
    pairs = set(itertools.pairwise(words))
    return any(word in KEYWORDS for word in words) or bool(pairs & PHRASES)
