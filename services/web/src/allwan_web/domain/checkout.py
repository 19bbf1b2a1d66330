"""What the checkout form must hold before an order goes to the gateway: the gateway's own
rules for each field, checked first so that a mistake is shown beside its field in the
visitor's language, and the way back from the gateway's 422 locations to the form's fields.

The form asks for the contact fields the policy names (C1) and nothing else (P1), the quantity,
and an attestation of legal age or of a guardian's consent, chosen by the visitor (A1: no
choice is made for them). Marketing is off unless the box was ticked (K2). There are no card
fields (C3): a card number typed into any field is refused here and is not shown back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from allwan_contracts import AgeAttestation
from allwan_contracts.cards import contains_card_number

FIELDS = (
    "name",
    "email",
    "phone",
    "billing_address",
    "quantity",
    "age_attestation",
    "marketing_opt_in",
)
TEXT_FIELDS = ("name", "email", "phone", "billing_address")
NAME_MAX = 200
EMAIL_MAX = 254
ADDRESS_MAX = 500
_ECHO_MAX = 1000
"""What is shown back of a refused value, at most (the form re-renders with it)."""

# The gateway's patterns (``allwan_gateway.entrypoints.schemas.requests``), so that a value
# passing here is not refused there.
_EMAIL = re.compile(r"^[^@\s\x85\ufeff]{1,64}@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{6,20}$")
_FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_DIGIT = re.compile(r"\d")
_CONTACT_FIELDS = {"name", "email", "phone", "billing_address"}


@dataclass(frozen=True)
class Checkout:
    """A checkout form that passed every rule."""

    name: str
    email: str
    phone: str
    billing_address: str | None
    quantity: int
    age_attestation: AgeAttestation
    marketing_opt_in: bool

    def order(self, plan_id: str, payment_token: str, locale: str) -> dict[str, Any]:
        """The body of ``POST /v1/orders``."""
        contact: dict[str, str] = {"name": self.name, "email": self.email, "phone": self.phone}
        if self.billing_address is not None:
            contact["billing_address"] = self.billing_address
        return {
            "plan_id": plan_id,
            "quantity": self.quantity,
            "contact": contact,
            "age_attestation": self.age_attestation.value,
            "payment_token": payment_token,
            "marketing_opt_in": self.marketing_opt_in,
            "locale": locale,
        }


@dataclass(frozen=True)
class Filled:
    """The form as the visitor filled it: the values to show again, the message key of what
    is wrong with each field, and the checkout when nothing is."""

    values: dict[str, str]
    errors: dict[str, str]
    checkout: Checkout | None


def latin_digits(text: str) -> str:
    """Arabic-Indic (٠-٩) and Eastern Arabic-Indic (۰-۹) digits as 0-9: an Arabic keyboard
    types those in a phone number or a quantity."""
    return _DIGIT.sub(lambda found: str(unicodedata.decimal(found.group())), text)


def read_checkout(form: Mapping[str, str], max_quantity: int) -> Filled:
    """Check every field of the posted form (``max_quantity``: the plan's)."""
    values = {name: str(form.get(name, ""))[:_ECHO_MAX] for name in FIELDS}
    errors: dict[str, str] = {}
    name = values["name"].strip()
    email = values["email"].strip()
    phone = latin_digits(values["phone"].strip())
    address = values["billing_address"].strip()
    quantity = latin_digits(values["quantity"].strip())

    if not name:
        errors["name"] = "checkout.errors.name_required"
    elif len(name) > NAME_MAX:
        errors["name"] = "checkout.errors.name_long"
    if not email:
        errors["email"] = "checkout.errors.email_required"
    elif len(email) > EMAIL_MAX or not _EMAIL.fullmatch(email):
        errors["email"] = "checkout.errors.email_invalid"
    if not phone:
        errors["phone"] = "checkout.errors.phone_required"
    elif not _PHONE.fullmatch(phone):
        errors["phone"] = "checkout.errors.phone_invalid"
    if len(address) > ADDRESS_MAX:
        errors["billing_address"] = "checkout.errors.address_long"
    for field in TEXT_FIELDS:
        if contains_card_number(values[field]):
            # C3: a card number is refused, and never travels back into the page.
            errors[field] = "checkout.errors.card_data"
            values[field] = ""

    count = int(quantity) if quantity.isascii() and quantity.isdigit() else None
    if count is None or not 1 <= count <= max_quantity:
        errors["quantity"] = "checkout.errors.quantity"
    attestation = values["age_attestation"]
    if attestation not in {choice.value for choice in AgeAttestation}:
        errors["age_attestation"] = "checkout.errors.age_required"
    # K2: only a ticked box is consent; a missing or odd value is not.
    opted_in = values["marketing_opt_in"] == "yes"

    if errors or count is None:
        return Filled(values, errors, None)
    checkout = Checkout(
        name=name,
        email=email,
        phone=phone,
        billing_address=address or None,
        quantity=count,
        age_attestation=AgeAttestation(attestation),
        marketing_opt_in=opted_in,
    )
    return Filled(values, {}, checkout)


def field_of(location: str) -> str | None:
    """The form field a gateway 422 error points at (``body.contact.email``, or
    ``$.contact.name`` for card data), or None when the form has no such field."""
    path = location.removeprefix("body.").removeprefix("$.")
    contact = path.removeprefix("contact.")
    if path.startswith("contact.") and contact in _CONTACT_FIELDS:
        return contact
    if path in {"quantity", "age_attestation", "marketing_opt_in"}:
        return path
    return None


def gateway_errors(errors: list[dict[str, Any]]) -> tuple[dict[str, str], bool]:
    """The gateway's ``errors[]`` as form errors (field → message key), and whether any of
    them is about something the form does not show (then the whole form is in error)."""
    found: dict[str, str] = {}
    elsewhere = False
    for error in errors:
        field = field_of(str(error.get("location", "")))
        if field is None:
            elsewhere = True
            continue
        kind = str(error.get("kind", ""))
        found.setdefault(
            field, "checkout.errors.card_data" if kind == "card_data" else _INVALID[field]
        )
    return found, elsewhere


_INVALID = {
    "name": "checkout.errors.name_invalid",
    "email": "checkout.errors.email_invalid",
    "phone": "checkout.errors.phone_invalid",
    "billing_address": "checkout.errors.address_invalid",
    "quantity": "checkout.errors.quantity",
    "age_attestation": "checkout.errors.age_required",
    "marketing_opt_in": "checkout.errors.form",
}


def valid_form_key(key: str | None) -> bool:
    """Whether ``key`` is a form key this site made (random, URL-safe; sent on as the
    order's ``Idempotency-Key``)."""
    return bool(key) and _FORM_KEY.fullmatch(key or "") is not None
