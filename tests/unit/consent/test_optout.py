"""Opt-out keywords in Arabic and English (K2, K3)."""

from __future__ import annotations

import pytest
from allwan_consent.domain.optout import KEYWORDS, is_opt_out, normalise
from hypothesis import given
from hypothesis import strategies as st

DIACRITICS = ["\u064b", "\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u0640"]


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        "  Stop.  ",
        "Stop!!",
        "stop 🙏",
        "\uff33\uff34\uff2f\uff30",  # full-width STOP, as some keyboards send it
        "stop\u200f",  # a right-to-left mark from an Arabic keyboard
        "UNSUBSCRIBE",
        "please unsubscribe me",
        "opt out",
        "Opt-Out",
        "إيقاف",
        "ايقاف",
        "إِيقَاف",  # with diacritics
        "إيـــقاف",  # with tatweel
        "الإيقاف",
        "إلغاء",
        "الغاء",
        "إلغاء الاشتراك",
        "أوقف الرسائل",
        "توقف",
        "ألغِ",
    ],
)
def test_k3_opt_out_messages_are_recognised(text: str) -> None:
    assert is_opt_out(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello",
        "stopwatch",
        "مرحبا",
        "شكرا لكم",
        "🙏",
        "when will my subscription start? I paid yesterday but nothing",
        "كيف أوقف التجديد التلقائي للاشتراك الشهري من فضلك",  # a question for staff
    ],
)
def test_other_messages_are_not_opt_outs(text: str) -> None:
    assert not is_opt_out(text)


@given(
    st.sampled_from(sorted(KEYWORDS)),
    st.lists(st.sampled_from(DIACRITICS), max_size=3),
    st.booleans(),
)
def test_k3_case_diacritics_and_tatweel_do_not_change_the_verdict(
    keyword: str, marks: list[str], upper: bool
) -> None:
    decorated = keyword[0] + "".join(marks) + keyword[1:]

    assert is_opt_out(decorated.upper() if upper else decorated)


def test_alef_forms_are_read_as_one_letter() -> None:
    forms = "\u0623\u0625\u0622\u0671"  # alef with hamza above, below, madda, wasla
    assert normalise(forms) == "\N{ARABIC LETTER ALEF}" * 4
