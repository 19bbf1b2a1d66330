"""Card data never enters (C3, T3): find payment card numbers and security codes anywhere.

A card number (PAN) is 13 to 19 digits that pass the Luhn check, written as one run of digits or
in groups split by single spaces or dashes ("4111 1111-1111 1111"); a group-aligned PAN inside a
longer grouped run ("4111 1111 1111 1111 123") is found too. Integers are read as their digits.
A security code is any non-empty value under a key that names one (``cvv``, ``cvc2``,
``security_code``...); a key that names a card number (``card_number``, ``pan``...) is card
data whatever it holds.

Findings name where the data is (a JSON-path-like location), never the value: callers log and
return them, so they must not carry the number. Pure functions, no I/O; the gateway scans
whole request bodies with ``find_card_data``, the event models scan single fields through
``allwan_contracts.fields.reject_card_numbers``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

_DIGIT_RUN = re.compile(r"[0-9](?:[ -]?[0-9])+")
_SEPARATOR = re.compile(r"[ -]")
PAN_MIN_DIGITS, PAN_MAX_DIGITS = 13, 19
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
    return PAN_MIN_DIGITS <= len(digits) <= PAN_MAX_DIGITS and passes_luhn(digits)


def contains_card_number(text: str) -> bool:
    """Whether ``text`` holds a PAN: a digit run, or whole groups of a grouped run."""
    for match in _DIGIT_RUN.finditer(text):
        groups = _SEPARATOR.split(match.group())
        for start in range(len(groups)):
            digits = ""
            for group in groups[start:]:
                digits += group
                if len(digits) > PAN_MAX_DIGITS:
                    break
                if _is_pan(digits):
                    return True
    return False


def _normalised_key(key: str) -> str:
    return "".join(char for char in key.lower() if char.isalnum())


def _key_location(parent: str, key: str) -> str:
    # Keys are sender-controlled: one that is not a plain name may itself carry card data.
    return f"{parent}.{key}" if _SAFE_KEY.match(key) else f"{parent}.<key>"


def _scan(value: object, location: str) -> Iterator[CardFinding]:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        if _is_pan(str(abs(value))):
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
    """Every place in a JSON-like value (dicts, lists, strings, ints) that holds card data."""
    return tuple(_scan(body, "$"))


def refuse_card_data(body: object) -> None:
    """Raise ``CardDataRefused`` if ``body`` holds card data anywhere."""
    findings = find_card_data(body)
    if findings:
        raise CardDataRefused(findings)
