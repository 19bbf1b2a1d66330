"""What an order request must satisfy before it is placed: the rules ``Order.place`` applies.

The request's contact arrives sealed under the customer's own key (T2). The handler opens it,
for ``order_processing`` only (C4), so that card data hidden in a sealed field is found (C3)
and an erased customer is recognised; the opened values serve these checks and are never
stored. Refusals name fields, never values, so they can be stored, logged and shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from allwan_contracts import RejectionReason as Reason
from allwan_contracts import Sealed
from allwan_contracts.cards import CardDataRefused, CardFinding, refuse_card_data
from allwan_contracts.intake import OrderRequested
from allwan_contracts.sealed import subject_of

from allwan_orders.domain.catalogue import Plan
from allwan_orders.domain.errors import OrderRefused

CONTACT_FIELDS = ("name", "email", "phone", "billing_address")
_SHOWN = 3  # locations named in a refusal: its message has 300 characters at most


@dataclass(frozen=True, repr=False)
class OpenedContact:
    """A request's contact fields in plain text (absent fields left out), and whether the
    customer's data was erased (their key is gone: every field opened to the placeholder) or,
    not erased, some field was sealed under a key generation a correction has retired since."""

    fields: Mapping[str, str]
    erased: bool = False
    retired: bool = False

    def __repr__(self) -> str:
        return "OpenedContact(<opened for the placement checks>)"


def fields_to_open(request: OrderRequested) -> dict[str, Sealed]:
    """The contact's sealed fields, for the handler to open.

    Refused if any is sealed under another key than the customer's (T2): it would be someone
    else's data, or readable by someone else. Checked before anything is opened.
    """
    sealed = {
        field: value
        for field in CONTACT_FIELDS
        if (value := getattr(request.contact, field)) is not None
    }
    if any(subject_of(value.kid) != request.customer_id for value in sealed.values()):
        raise OrderRefused(
            Reason.CUSTOMER_MISMATCH,
            "Personal data must be sealed under the customer's own key (T2).",
        )
    return sealed


def placeable_plan(request: OrderRequested, contact: OpenedContact, plan: Plan | None) -> Plan:
    """The plan to place ``request`` with, once every placement rule allows it.

    Refused: a customer whose data was erased; a contact sealed under a key generation a
    correction retired (PDPL); card data in any field, the opened contact included (C3); no
    age or guardian attestation (A1); a plan that is not sold, or more of it than one order
    may hold.
    """
    if contact.erased:
        raise OrderRefused(
            Reason.CUSTOMER_ERASED, "This customer's data was erased at their request."
        )
    if contact.retired:
        raise OrderRefused(
            Reason.CUSTOMER_MISMATCH,
            "The contact was sealed under a key the customer's correction has since replaced: "
            "send the order again.",
        )
    _refuse_card_data(request, contact)
    if request.age_attestation is None:
        raise OrderRefused(
            Reason.AGE_ATTESTATION_MISSING,
            "An order needs a legal-age or guardian-consent attestation (A1).",
        )
    if plan is None:
        raise OrderRefused(Reason.UNKNOWN_PLAN, "There is no such plan in the catalogue.")
    if plan.retired:
        raise OrderRefused(Reason.PLAN_UNAVAILABLE, "This plan is no longer sold.")
    if request.quantity > plan.max_quantity:
        raise OrderRefused(
            Reason.QUANTITY_NOT_ALLOWED, f"At most {plan.max_quantity} of this plan per order."
        )
    return plan


def _refuse_card_data(request: OrderRequested, contact: OpenedContact) -> None:
    # The one card-data path (contracts' ``refuse_card_data``), over the request as plain data.
    body = request.model_dump(mode="json", exclude={"contact"}) | {"contact": dict(contact.fields)}
    try:
        refuse_card_data(body)
    except CardDataRefused as refused:
        raise OrderRefused(
            Reason.CARD_DATA_PRESENT,
            "Card data never enters (C3): remove the card number or security code in "
            f"{_where(refused.findings)}; pay with the payment provider's token.",
        ) from None


def _where(findings: tuple[CardFinding, ...]) -> str:
    shown = ", ".join(finding.location for finding in findings[:_SHOWN])
    more = f" and {len(findings) - _SHOWN} more" if len(findings) > _SHOWN else ""
    return shown + more
