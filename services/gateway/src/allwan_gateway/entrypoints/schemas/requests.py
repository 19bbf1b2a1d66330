"""What a request may carry: exactly the listed fields (P1), strictly typed, nothing else.

Unknown fields are refused (``extra="forbid"``), not dropped; numbers and flags are strict
(no "1" for 1, no "true" for true);
personal fields are exactly ``name``, ``email``, ``phone`` and ``billing_address`` (C1), and
are sealed before anything is stored (T2). No model accepts card data: payment is a
provider's token (C3).

The OpenAPI document is generated from these models, so each rule is one the JSON Schema can
state, and the server applies it exactly as a JSON Schema validator would: a string's length
is counted before anything is trimmed, whitespace is the same set of characters for the
document's patterns and for the server, an integral number is an integer whether it is
written ``2990`` or ``2990.0``, and a date-time is an RFC 3339 string. The rules no schema
can state (card numbers, a policy's publishing window: ``domain.policy_window``) are named
in the descriptions.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from allwan_contracts import AgeAttestation, CardBrand, ConsentPurpose
from allwan_contracts.fields import (
    CustomerId,
    Identifier,
    Locale,
    PaymentToken,
    PlanId,
    Reference,
    UtcDatetime,
    reject_card_numbers,
)
from allwan_contracts.intake import ConsentAction, PolicyText
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    StrictBool,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

# Whitespace, one set for both sides: ECMA-262's ``\s`` (what a pattern in the OpenAPI
# document means) and Rust's Unicode ``\s`` (what pydantic runs) differ by U+0085 and U+FEFF,
# so the patterns name both, and the server trims exactly these characters.
WHITESPACE = (
    "\t\n\v\f\r \x85\xa0\u1680"
    + "".join(chr(code) for code in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
NOT_BLANK = r"[^\s\x85\ufeff]"


def _trimmed(text: str) -> str:
    return text.strip(WHITESPACE)


# Text holds something besides whitespace; its length is counted as sent, and the whitespace
# around it is trimmed once it is accepted.
Text = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=NOT_BLANK),
    AfterValidator(_trimmed),
]
Email = Annotated[
    str,
    StringConstraints(
        max_length=254, pattern=r"^[^@\s\x85\ufeff]{1,64}@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"
    ),
]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 -]{6,20}$")]
Address = Annotated[
    str,
    StringConstraints(min_length=1, max_length=500, pattern=NOT_BLANK),
    AfterValidator(_trimmed),
]
Summary = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2000, pattern=NOT_BLANK),
    AfterValidator(_trimmed),
    AfterValidator(reject_card_numbers),
]


def integral(value: Any) -> Any:
    # JSON has one kind of number, and JSON Schema's "integer" is any number without a
    # fraction: 2990.0 is the integer 2990. Strings, booleans and fractions stay refused.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# The bounds come before the validator, or the JSON Schema would not name them.
Quantity = Annotated[int, Field(strict=True, ge=1, le=100), BeforeValidator(integral)]
Halalas = Annotated[int, Field(strict=True, ge=0, le=10_000_000_000), BeforeValidator(integral)]
"""An amount in halalas, the minor unit of SAR: integral, as JSON Schema counts integers."""

# RFC 3339's date-time, which JSON Schema's "date-time" format names: ``T`` (or ``t``), seconds,
# and an offset (``Z`` or ``±hh:mm``). Python's parser would also take a bare number of seconds
# since 1970, a space for ``T`` or no seconds; none of those is what the document says.
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _rfc3339(value: Any) -> Any:
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise PydanticCustomError(
            "rfc3339_datetime",
            "an RFC 3339 date-time string with its offset, such as 2026-03-01T09:30:00+03:00",
        )
    return value


DateTimeText = Annotated[UtcDatetime, BeforeValidator(_rfc3339)]
"""An instant sent as an RFC 3339 string with an offset, held in UTC."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class Contact(_Strict):
    """The customer's personal data (C1): sealed under their own key on arrival (T2)."""

    name: Text
    email: Email
    phone: Phone
    billing_address: Address | None = None


class PlaceOrder(_Strict):
    """A customer buys a plan. ``age_attestation`` is required to be placed (A1): without it
    the orders service refuses the order with a clear reason."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "plan_id": "shahid-vip-1m",
                    "quantity": 1,
                    "contact": {
                        "name": "Noura Alqahtani",
                        "email": "noura@example.com",
                        "phone": "+966512345678",
                        "billing_address": "Prince Sultan St 12, Jeddah",
                    },
                    "age_attestation": "legal_age",
                    "payment_token": "tok_1QxY2z",
                    "marketing_opt_in": False,
                    "locale": "ar",
                }
            ]
        }
    )

    plan_id: PlanId
    quantity: Quantity = 1
    contact: Contact
    age_attestation: AgeAttestation | None = None
    payment_token: PaymentToken = Field(description="The payment provider's token, never a card.")
    marketing_opt_in: StrictBool = False
    locale: Locale = "ar"


class ReportPayment(_Strict):
    """The payment provider confirmed payment (reported by the storefront's server). At most
    brand and last four digits of the card (C3)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"payment_reference": "pay_8f2k", "amount_halalas": 2990}]}
    )

    payment_reference: Reference
    amount_halalas: Halalas
    card_brand: CardBrand | None = None
    card_last4: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")] | None = None


class ConsentChange(_Strict):
    """Grant or withdraw one purpose (K2, K3, CK1)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"purpose": "marketing", "action": "withdraw"}]}
    )

    purpose: ConsentPurpose
    action: ConsentAction


class CookiePreferences(_Strict):
    """Non-essential cookie categories (CK1, CK2); essential cookies need no consent."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"functional": True, "analytics": False}]}
    )

    functional: StrictBool
    analytics: StrictBool


class PublishPolicy(_Strict):
    """A new version of the privacy policy, in Arabic and English (PC1); ``material`` changes
    are emailed to every customer once (PC2)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "text_ar": "سياسة الخصوصية ...",
                    "text_en": "Privacy policy ...",
                    "summary_ar": "أضفنا قناة واتساب لسحب الموافقة",
                    "summary_en": "We added WhatsApp as a withdrawal channel",
                    "material": True,
                }
            ]
        }
    )

    text_ar: PolicyText
    text_en: PolicyText
    summary_ar: Summary
    summary_en: Summary
    material: StrictBool
    effective_at: DateTimeText | None = Field(
        default=None,
        description=(
            "When the version takes effect (RFC 3339, with its offset); now if absent. Not "
            "earlier than 5 minutes before the request, nor later than 366 days after it "
            "(PC1, PC2)."
        ),
    )


class StaffWithdrawal(_Strict):
    """A withdrawal the customer sent by email or phone, recorded by staff (K3)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"purpose": "marketing", "channel": "email", "message_reference": "msg-2291"}
            ]
        }
    )

    purpose: ConsentPurpose
    channel: Literal["email", "phone"]
    message_reference: Reference


class CustomerTokenRequest(_Strict):
    """The storefront, having signed its customer in, asks for their token."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"customer_id": "cust-1042"}]})

    customer_id: CustomerId


class StaffTokenRequest(_Strict):
    """A staff member signs in with their own id and password (S1), through the store's web
    console (the storefront client). The password is never echoed, stored or logged; one
    that reads as a card number is refused as any card number is (C3)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"staff_id": "noura", "password": "correct horse battery"}]}
    )

    staff_id: Identifier = Field(description="The staff member's id, as configured.")
    password: SecretStr = Field(min_length=1, max_length=200)
