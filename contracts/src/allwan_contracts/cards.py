"""Card data never enters (C3, T3): find payment card numbers and security codes anywhere.

A card number (PAN) is told apart by its shape, the way people write one, so that the ids
the system and its partners generate (UUIDs, hex digests, date-times, phone numbers) never
pass for one. Looking for Luhn-valid digit runs is not enough: about 1 in 400 UUIDs and 1 in
600 hex references hold a 13+ digit run, across dashes or between hex letters, that passes.

1. Any Unicode decimal digit counts as its ASCII digit: Arabic-Indic (``٤١١١``), extended
   Arabic-Indic (``۴۱۱۱``), full-width: customers type them.
2. A word (letters and digits up to any other character, ``_`` included) made of hex digits,
   with at least one letter and one digit (``2eaff7ee4183``, ``3b15256dee52580986085635``, a
   SHA-256 digest), is an identifier: none of its digits is read. Any other letter only ends
   a group of digits, so a number glued to a word (``ref 4111111111111111x``, an Arabic word
   with no space) is still found; a card number glued to one of the letters a-f is missed,
   the price of never refusing a hex id.
3. Groups of digits joined by exactly one space or dash (any Unicode space or dash) form a
   chain. A window of consecutive groups of a chain is a card number when
   - its group lengths are a real layout, as card-entry forms group numbers (Braintree's
     credit-card-type table): one run of 13 to 19 digits; 4-4-4 then 1 to 7 digits (Visa,
     Mastercard, Discover, JCB, UnionPay, Maestro, mada); 4-4-4-4 then 1 to 3 (19-digit
     cards written in fours); 4-6-4, 4-6-5, 4-6-6, 4-6-9 (Diners Club 14, 16, 19; American
     Express 15);
   - its first digit is not 0 (no issuer number starts with 0; a ``00966`` phone does);
   - its digits pass the Luhn check.
   A window may start at any group, so a card number inside a longer chain (``call 0555
   4111 1111 1111 1111``, or followed by its CVV) is found; a run of 20 or more digits
   without separators (an IBAN's digits, a hash) holds no window and is not one.
4. Not a card number: a chain right after ``+`` with at most 15 digits (an E.164 phone
   number has 15 at most, so ``+4111111111111111`` is still refused); the fraction of a
   decimal number (the group right after a ``.``, or an Arabic decimal separator, that
   follows a digit); the integer part of a decimal number whose fraction is not all zeros
   (``4111111111111111.00`` is read).
   The layouts rule out the rest: the groups of a UUID (8-4-4-4-12, some of them hex words)
   or of an ISO 8601 date-time (4-2-2, then 2-2-2 after a ``T`` or a space) form none.

An integer is read as its digits, and an integral float (``4111111111111111.0`` in JSON) as
its integer. Salla's ids are integers of 9 to 10 digits; one of 13 to 19 digits that passes
Luhn could not be told from a card number, and is refused. A security code is any non-empty
value under a key that names one (``cvv``, ``cvc2``, ``security_code``...); a key that names
a card number (``card_number``, ``pan``...) is card data whatever it holds.

Findings name where the data is (a JSON-path-like location), never the value: callers log and
return them, so they must not carry the number. Pure functions, no I/O; the gateway scans
whole request bodies with ``find_card_data``, the event models scan single fields through
``allwan_contracts.fields.reject_card_numbers``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

PAN_MIN_DIGITS, PAN_MAX_DIGITS = 13, 19
E164_MAX_DIGITS = 15
_LAYOUTS = frozenset(
    {(length,) for length in range(PAN_MIN_DIGITS, PAN_MAX_DIGITS + 1)}
    | {(4, 4, 4, last) for last in range(1, 8)}
    | {(4, 4, 4, 4, last) for last in range(1, 4)}
    | {(4, 6, 4), (4, 6, 5), (4, 6, 6), (4, 6, 9)}
)
_MOST_GROUPS = max(map(len, _LAYOUTS))
# A whole word (no letter, digit or underscore on either side) of hex digits holding both a
# letter and a digit.
_HEX_ID = re.compile(
    r"(?<![^\W_])(?=[0-9A-Fa-f]*[A-Fa-f])(?=[0-9A-Fa-f]*[0-9])[0-9A-Fa-f]+(?![^\W_])"
)
_OPAQUE = "#"
_SEPARATOR = r"[\s\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d]"
_CHAIN = re.compile(rf"\d+(?:{_SEPARATOR}\d+)*")  # \d: any Unicode decimal digit
_GROUP = re.compile(r"\d+")
_DECIMAL_POINTS = frozenset(".\u066b")  # ASCII full stop, Arabic decimal separator
_SAFE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
_SECURITY_CODE_KEYS = frozenset(
    {
        "cvv",
        "cvv2",
        "cvc",
        "cvc2",
        "cid",
        "csc",
        "cav2",
        "cvn",
        "securitycode",
        "cardsecuritycode",
        "cardcode",
        "cardverificationvalue",
        "cardverificationcode",
    }
)
_CARD_NUMBER_KEYS = frozenset(
    {
        "pan",
        "cardnumber",
        "cardno",
        "ccnumber",
        "ccnum",
        "creditcardnumber",
        "debitcardnumber",
        "primaryaccountnumber",
    }
)


class CardDataKind(StrEnum):
    CARD_NUMBER = "card_number"
    SECURITY_CODE = "security_code"


@dataclass(frozen=True, slots=True)
class CardFinding:
    """Card data at ``location`` (``$.contact.notes[2]``); the value itself is never kept."""

    location: str
    kind: CardDataKind


class CardDataRefused(ValueError):
    """A request carries card data; the message lists locations and kinds, never values."""

    def __init__(self, findings: tuple[CardFinding, ...]) -> None:
        where = ", ".join(f"{f.location} ({f.kind.value})" for f in findings)
        super().__init__(f"card data never enters (C3): found at {where}")
        self.findings = findings


def passes_luhn(digits: str) -> bool:
    """The Luhn checksum of a string of digits."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _is_pan(digits: str) -> bool:
    return (
        PAN_MIN_DIGITS <= len(digits) <= PAN_MAX_DIGITS and digits[0] != "0" and passes_luhn(digits)
    )


def _ascii(digits: str) -> str:
    if digits.isascii():
        return digits
    return "".join(str(unicodedata.decimal(digit)) for digit in digits)


def _is_decimal_point(text: str, at: int) -> bool:
    return 0 <= at < len(text) and text[at] in _DECIMAL_POINTS


def _is_digit(text: str, at: int) -> bool:
    return 0 <= at < len(text) and text[at].isdecimal()


def _is_fraction(text: str, start: int) -> bool:
    return _is_decimal_point(text, start - 1) and _is_digit(text, start - 2)


def _has_fraction(text: str, end: int) -> bool:
    if not (_is_decimal_point(text, end) and _is_digit(text, end + 1)):
        return False
    fraction = _GROUP.match(text, end + 1)
    return fraction is not None and _ascii(fraction.group()).strip("0") != ""


def _holds_pan(groups: Sequence[str]) -> bool:
    lengths = [len(group) for group in groups]
    for start in range(len(groups)):
        for end in range(start + 1, min(start + _MOST_GROUPS, len(groups)) + 1):
            if tuple(lengths[start:end]) in _LAYOUTS and _is_pan("".join(groups[start:end])):
                return True
    return False


def contains_card_number(text: str) -> bool:
    """Whether ``text`` holds a card number written in a real layout (see the module doc)."""
    text = _HEX_ID.sub(_OPAQUE, text)
    for chain in _CHAIN.finditer(text):
        start, end = chain.span()
        if end - start < PAN_MIN_DIGITS:
            continue  # too few digits even before the separators are taken out
        groups = [_ascii(group) for group in _GROUP.findall(chain.group())]
        if text[start - 1 : start] == "+" and sum(map(len, groups)) <= E164_MAX_DIGITS:
            continue
        if _is_fraction(text, start):
            groups = groups[1:]
        if _has_fraction(text, end):
            groups = groups[:-1]
        if _holds_pan(groups):
            return True
    return False


def _number_is_pan(value: int | float) -> bool:
    if isinstance(value, float):
        if not value.is_integer():
            return False
        value = int(value)
    return _is_pan(str(abs(value)))


def _normalised_key(key: str) -> str:
    return "".join(char for char in key.lower() if char.isalnum())


def _key_location(parent: str, key: str) -> str:
    # Keys are sender-controlled: one that is not a plain name may itself carry card data.
    return f"{parent}.{key}" if _SAFE_KEY.match(key) else f"{parent}.<key>"


def _scan(value: object, location: str) -> Iterator[CardFinding]:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int | float):
        if _number_is_pan(value):
            yield CardFinding(location, CardDataKind.CARD_NUMBER)
    elif isinstance(value, str):
        if contains_card_number(value):
            yield CardFinding(location, CardDataKind.CARD_NUMBER)
    elif isinstance(value, Mapping):
        yield from _scan_mapping(value, location)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _scan(item, f"{location}[{index}]")


def _scan_mapping(mapping: Mapping[object, object], location: str) -> Iterator[CardFinding]:
    for raw_key, item in mapping.items():
        key = str(raw_key)
        where = _key_location(location, key)
        if contains_card_number(key):
            yield CardFinding(where, CardDataKind.CARD_NUMBER)
        name = _normalised_key(key)
        if item not in (None, "") and name in _SECURITY_CODE_KEYS:
            yield CardFinding(where, CardDataKind.SECURITY_CODE)
        elif item not in (None, "") and name in _CARD_NUMBER_KEYS:
            yield CardFinding(where, CardDataKind.CARD_NUMBER)
        else:
            yield from _scan(item, where)


def find_card_data(body: object) -> tuple[CardFinding, ...]:
    """Every place in a JSON-like value (dicts, lists, strings, numbers) that holds card data."""
    return tuple(_scan(body, "$"))


def refuse_card_data(body: object) -> None:
    """Raise ``CardDataRefused`` if ``body`` holds card data anywhere."""
    findings = find_card_data(body)
    if findings:
        raise CardDataRefused(findings)
