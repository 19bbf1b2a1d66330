"""A Salla customer's contact details, in plain text until the handler seals them (C1)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from allwan_orders.domain.salla_payload import SallaCustomer


@dataclass(frozen=True)
class SallaContact:
    """Only what C1 allows: name, email, phone, billing address. ``repr`` shows nothing."""

    name: str
    email: str
    phone: str
    billing_address: str | None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)

    def __repr__(self) -> str:
        return "SallaContact(<sealed on arrival>)"


def contact_of(customer: SallaCustomer) -> SallaContact | None:
    """The contact Salla gives for a customer; None without a name, or without phone and email."""
    name = (
        customer.name or " ".join(filter(None, (customer.first_name, customer.last_name)))
    ).strip()
    phone = _phone(customer)
    email = (customer.email or "").strip()
    if not name or not (phone or email):
        return None
    return SallaContact(name=name, email=email, phone=phone, billing_address=_address(customer))


def _phone(customer: SallaCustomer) -> str:
    mobile = str(customer.mobile or "").strip()
    if not mobile or mobile.startswith("+"):
        return mobile
    return f"{(customer.mobile_code or '').strip()}{mobile}"


def _address(customer: SallaCustomer) -> str | None:
    where = customer.address
    parts = (
        (where.street_name, where.district, where.city, where.postal_code, where.country)
        if where is not None
        else (customer.city, customer.country)
    )
    text = ", ".join(part.strip() for part in parts if part and part.strip())
    return text or None
