"""What a request may carry: exactly the listed fields (P1), strictly typed, nothing else.

Unknown fields are refused (``extra="forbid"``), not dropped; numbers and flags are strict
(no "1" for 1, no "true" for true);
personal fields are exactly ``name``, ``email``, ``phone`` and ``billing_address`` (C1), and
are sealed before anything is stored (T2). No model accepts card data: payment is a
provider's token (C3).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from allwan_contracts import AgeAttestation, CardBrand, ConsentPurpose
from allwan_contracts.fields import (
    CustomerId,
    Locale,
    PaymentToken,
    PlanId,
    Reference,
    Summary,
    UtcDatetime,
)
from allwan_contracts.intake import ConsentAction, PolicyText
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

Text = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Email = Annotated[
    str,
    StringConstraints(max_length=254, pattern=r"^[^@\s]{1,64}@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"),
]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 -]{6,20}$")]
Address = Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True)]


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
    quantity: Annotated[int, Field(strict=True, ge=1, le=100)] = 1
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
    amount_halalas: Annotated[int, Field(strict=True, ge=0, le=10_000_000_000)]
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
    effective_at: UtcDatetime | None = None


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


def effective(requested: datetime | None, now: datetime) -> datetime:
    """When a policy takes effect: as requested, or now."""
    return requested or now
