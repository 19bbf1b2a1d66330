"""Arabic first, and English: direction, digits, money and dates as the store shows them.

Arabic pages use Arabic-Indic digits (٠-٩) and the Arabic decimal and thousands separators
for amounts, counts and dates, as Saudi shops print them; identifiers (order numbers,
references) keep Latin digits, since customers copy them into messages to the store. Dates
are the store's (Riyadh, UTC+3, no daylight saving).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Locale(StrEnum):
    AR = "ar"
    EN = "en"

    @property
    def direction(self) -> str:
        return "rtl" if self is Locale.AR else "ltr"

    @property
    def other(self) -> Locale:
        return Locale.EN if self is Locale.AR else Locale.AR

    @classmethod
    def parse(cls, value: str | None, default: Locale | None = None) -> Locale:
        """The locale ``value`` names (``ar``, ``en``, ``en-GB``...), else ``default`` (Arabic)."""
        if value:
            head = value.strip().lower()[:2]
            for locale in cls:
                if head == locale.value:
                    return locale
        return default or cls.AR


STORE_TZ = timezone(timedelta(hours=3), "AST")
_ARABIC_DIGITS = str.maketrans("0123456789.,", "٠١٢٣٤٥٦٧٨٩٫٬")
_MONTHS = {
    Locale.AR: (
        "يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو",
        "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر",
    ),
    Locale.EN: (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip


def digits(text: str | int, locale: Locale) -> str:
    """``text`` with Arabic-Indic digits and separators on Arabic pages."""
    text = str(text)
    return text.translate(_ARABIC_DIGITS) if locale is Locale.AR else text


def number(value: int, locale: Locale) -> str:
    """A count with thousands separators."""
    return digits(f"{value:,}", locale)


def sar(halalas: int) -> Decimal:
    """Halalas (1/100 SAR) as riyals."""
    return (Decimal(halalas) / 100).quantize(Decimal("0.01"))


def money(halalas: int, locale: Locale) -> str:
    """An amount in SAR: ``٢٩٫٩٠ ر.س`` / ``SAR 29.90``."""
    amount = f"{sar(halalas):,.2f}"
    return f"{digits(amount, locale)} ر.س" if locale is Locale.AR else f"SAR {amount}"


def vat_included(price_halalas: int, rate_percent: int) -> int:
    """The VAT inside a VAT-inclusive price, in halalas (rounded half up)."""
    net = Decimal(price_halalas) * 100 / (100 + rate_percent)
    return int((Decimal(price_halalas) - net).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def date(moment: datetime, locale: Locale) -> str:
    """``٢٩ نوفمبر ٢٠٢٦`` / ``29 November 2026``, in the store's time zone."""
    local = moment.astimezone(STORE_TZ)
    text = f"{local.day} {_MONTHS[locale][local.month - 1]} {local.year}"
    return digits(text, locale)


def date_time(moment: datetime, locale: Locale) -> str:
    """The date and the store's local time (24 h)."""
    local = moment.astimezone(STORE_TZ)
    return f"{date(moment, locale)} {digits(f'{local:%H:%M}', locale)}"
