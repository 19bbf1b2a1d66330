"""The pages' languages, numbers, money and dates (Arabic first), and the cookie choice as
its essential cookie holds it, with the browser's GPC signal (CK1, CK2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from allwan_web.domain.cookies import CookieChoice, gpc_signal
from allwan_web.domain.locale import (
    Locale,
    date,
    date_time,
    digits,
    money,
    number,
    sar,
    vat_included,
)

AR, EN = Locale.AR, Locale.EN


@pytest.mark.parametrize(
    ("given", "locale"),
    [
        ("ar", AR),
        ("en", EN),
        ("en-GB", EN),
        (" EN ", EN),
        ("ar-SA", AR),
        ("fr", AR),
        ("", AR),
        (None, AR),
    ],
)
def test_a_language_is_read_from_its_tag_and_arabic_is_the_default(
    given: str | None, locale: Locale
) -> None:
    assert Locale.parse(given) is locale


def test_an_unknown_language_falls_back_to_the_default_given() -> None:
    assert Locale.parse("fr", default=EN) is EN
    assert Locale.parse("ar", default=EN) is AR


def test_arabic_is_right_to_left_and_each_language_names_the_other() -> None:
    assert (AR.direction, EN.direction) == ("rtl", "ltr")
    assert (AR.other, EN.other) == (EN, AR)


def test_arabic_pages_write_arabic_indic_digits_and_separators() -> None:
    assert digits("0123456789", AR) == "٠١٢٣٤٥٦٧٨٩"
    assert digits("1,234.50", AR) == "١٬٢٣٤٫٥٠"
    assert digits(42, EN) == "42"
    assert number(1234567, AR) == "١٬٢٣٤٬٥٦٧"
    assert number(1234567, EN) == "1,234,567"


@pytest.mark.parametrize(
    ("halalas", "arabic", "english"),
    [
        (2990, "٢٩٫٩٠ ر.س", "SAR 29.90"),
        (5, "٠٫٠٥ ر.س", "SAR 0.05"),
        (0, "٠٫٠٠ ر.س", "SAR 0.00"),
        (123456789, "١٬٢٣٤٬٥٦٧٫٨٩ ر.س", "SAR 1,234,567.89"),
    ],
)
def test_money_is_riyals_with_two_decimals(halalas: int, arabic: str, english: str) -> None:
    assert money(halalas, AR) == arabic
    assert money(halalas, EN) == english


def test_halalas_are_hundredths_of_a_riyal() -> None:
    assert str(sar(2990)) == "29.90"
    assert str(sar(1)) == "0.01"


@pytest.mark.parametrize(
    ("price", "rate", "vat"),
    [
        (2990, 15, 390),  # 26.00 + 15% = 29.90
        (11500, 15, 1500),
        (100, 15, 13),  # 86.96 net: 13.04 rounds to 13
        (1, 15, 0),
        (7990, 0, 0),
        (1000, 5, 48),  # 952.38 net: 47.62 rounds up to 48
    ],
)
def test_the_vat_inside_a_vat_inclusive_price(price: int, rate: int, vat: int) -> None:
    assert vat_included(price, rate) == vat


def test_dates_are_the_stores_riyadh_dates_in_each_language() -> None:
    # 22:30 UTC on 28 February is 01:30 on 1 March in Riyadh (UTC+3).
    moment = datetime(2026, 2, 28, 22, 30, tzinfo=UTC)

    assert date(moment, EN) == "1 March 2026"
    assert date(moment, AR) == "١ مارس ٢٠٢٦"
    assert date_time(moment, EN) == "1 March 2026 01:30"
    assert date_time(moment, AR) == "١ مارس ٢٠٢٦ ٠١:٣٠"


def test_a_moment_in_another_offset_is_shown_in_riyadh_time() -> None:
    moment = datetime(2026, 11, 29, 23, 0, tzinfo=timezone(timedelta(hours=-5)))

    assert date_time(moment, EN) == "30 November 2026 07:00"


def test_before_any_choice_only_essential_cookies_are_allowed() -> None:
    choice = CookieChoice.undecided()

    assert (choice.functional, choice.analytics, choice.decided, choice.gpc) == (
        False,
        False,
        False,
        False,
    )


def test_ck2_a_gpc_signal_is_a_decided_rejection_of_analytics() -> None:
    choice = CookieChoice.undecided(gpc=True)

    assert (choice.analytics, choice.decided, choice.gpc) == (False, True, True)


@pytest.mark.parametrize(
    ("functional", "analytics", "encoded"),
    [
        (True, True, "v1:1:1"),
        (True, False, "v1:1:0"),
        (False, True, "v1:0:1"),
        (False, False, "v1:0:0"),
    ],
)
def test_a_choice_survives_its_cookie(functional: bool, analytics: bool, encoded: str) -> None:
    choice = CookieChoice(functional, analytics, decided=True)

    assert choice.encode() == encoded
    assert CookieChoice.decode(encoded) == choice


@pytest.mark.parametrize(
    "cookie", [None, "", "v1:1", "v2:1:1", "v1:1:2", "v1:yes:no", "v1:1:1:1", "V1:1:1"]
)
def test_a_malformed_cookie_is_no_choice(cookie: str | None) -> None:
    assert CookieChoice.decode(cookie) == CookieChoice.undecided()


def test_ck2_gpc_overrides_an_earlier_yes_to_analytics_and_keeps_functional() -> None:
    choice = CookieChoice.decode("v1:1:1", gpc=True)

    assert (choice.functional, choice.analytics, choice.decided, choice.gpc) == (
        True,
        False,
        True,
        True,
    )
    assert CookieChoice.decode("v1:1:1", gpc=False).analytics is True


@pytest.mark.parametrize(
    ("header", "on"),
    [("1", True), (" 1 ", True), ("0", False), ("", False), (None, False), ("true", False)],
)
def test_gpc_is_only_the_value_1(header: str | None, on: bool) -> None:
    assert gpc_signal(header) is on
