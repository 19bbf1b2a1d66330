"""Constrained field types shared by the event models.

Types here say what a value is (an order id, an amount in halalas, a provider reference) and
carry the rules every event applies to it, so that no model re-states a pattern.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints
from pydantic_core import PydanticCustomError

from allwan_contracts.cards import contains_card_number


def reject_card_numbers(text: str) -> str:
    """Refuse text that carries a payment card number (C3, T3).

    A card number is 13 to 19 digits written in a real card layout (one run, or groups split
    by single spaces or dashes) that pass the Luhn check; ids we generate (UUIDs, hex
    references) never look like one (see ``allwan_contracts.cards``). The error (type
    ``card_number``) names the rule, never the number.
    """
    if contains_card_number(text):
        raise PydanticCustomError(
            "card_number", "looks like a payment card number; card data never enters (C3)"
        )
    return text


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("datetime_out_of_range", "instant out of range in UTC") from None


def utc_now() -> datetime:
    return datetime.now(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware instant, normalised to UTC; naive datetimes are refused."""

Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
]
"""An opaque id: ours (UUIDs, slugs) or Salla's (numeric)."""

OrderId = Identifier
CustomerId = Identifier
PlanId = Identifier

Reference = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=r"^[\x21-\x7E]+$"),
    AfterValidator(reject_card_numbers),
]
"""A printable ASCII reference issued by someone else (payment provider, mail server, Salla)."""

PaymentToken = Reference
"""A payment provider's token for the customer's card: never the card data itself (C3)."""

Summary = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2000, strip_whitespace=True),
    AfterValidator(reject_card_numbers),
]
"""Human-readable text written by staff (a policy summary)."""

Halalas = Annotated[int, Field(strict=True, ge=0, le=10_000_000_000)]
"""An amount in halalas, the minor unit of SAR (100 halalas = 1 SAR)."""

PositiveHalalas = Annotated[int, Field(strict=True, ge=1, le=10_000_000_000)]

Version = Annotated[int, Field(strict=True, ge=1)]
"""A version number counted from 1 (policy versions)."""

Currency = Literal["SAR"]
Locale = Literal["ar", "en"]


class Channel(StrEnum):
    """How a customer reached us to consent, withdraw or ask for erasure (K3)."""

    WEB = "web"
    EMAIL = "email"
    WHATSAPP = "whatsapp"
    PHONE = "phone"
    SALLA = "salla"
