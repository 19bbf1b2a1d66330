"""Salla's webhooks mapped to the orders service's own requests (T1). Pure, no I/O.

Every order event carries the whole order, and deliveries may be consumed out of order, so
each order event first asks to place the order (a no-op once it exists) and then for what its
status says: paid, cancelled or refunded. References are derived from Salla's order id, so
the same fact sent twice (``order.refunded`` and a ``restored`` status) counts once.
Personal fields stay in plain text only here; the handler seals them under the customer's key
before anything is stored. Kept fields with card data refuse the order (C3).
"""

from __future__ import annotations

import json

from allwan_contracts import CancellationReason, CardBrand, RefundReason, RejectionReason
from allwan_contracts.cards import CardDataRefused, refuse_card_data
from pydantic import ValidationError

from allwan_orders.domain.catalogue import Catalogue, Plan
from allwan_orders.domain.errors import OrderRefused
from allwan_orders.domain.pricing import to_halalas
from allwan_orders.domain.salla_commands import (
    CancelFromSalla,
    ContactFromSalla,
    PayFromSalla,
    PlaceFromSalla,
    RefundFromSalla,
    RefuseFromSalla,
    SallaCommand,
)
from allwan_orders.domain.salla_contact import SallaContact, contact_of
from allwan_orders.domain.salla_payload import SallaCustomer, SallaDelivery, SallaOrder

__all__ = [
    "CancelFromSalla",
    "ContactFromSalla",
    "PayFromSalla",
    "PlaceFromSalla",
    "RefundFromSalla",
    "RefuseFromSalla",
    "SallaCommand",
    "SallaPayloadError",
    "map_delivery",
    "parse_delivery",
]

PAID_SLUGS = frozenset({"in_progress", "completed", "delivering", "delivered", "shipped"})
CANCELLED_SLUGS = frozenset({"canceled", "cancelled"})
REFUNDED_SLUGS = frozenset({"restored"})
ORDER_EVENTS = frozenset(
    {"order.created", "order.updated", "order.status.updated", "order.payment.updated"}
    | {"order.cancelled", "order.refunded"}
)
CUSTOMER_EVENTS = frozenset({"customer.created", "customer.updated"})


class SallaPayloadError(ValueError):
    """The delivery is not a Salla webhook orders can read; never echoes its content."""


def parse_delivery(raw: str) -> SallaDelivery:
    try:
        return SallaDelivery.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as error:
        raise SallaPayloadError(f"not a Salla webhook ({type(error).__name__})") from None


def map_delivery(delivery: SallaDelivery, catalogue: Catalogue) -> list[SallaCommand]:
    """The requests one Salla delivery stands for, in the order they must be carried out."""
    try:
        if delivery.event in CUSTOMER_EVENTS:
            return _customer_commands(SallaCustomer.model_validate(delivery.data))
        if delivery.event not in ORDER_EVENTS:
            return []
        data = delivery.data
        nested = delivery.event == "order.status.updated" and isinstance(data.get("order"), dict)
        order = SallaOrder.model_validate(data["order"] if nested else data)
    except ValidationError as error:
        raise SallaPayloadError(
            f"{delivery.event} payload is not readable: {error.error_count()} problem(s)"
        ) from None
    return _order_commands(delivery.event, order, catalogue)


def salla_id(kind: str, value: int | str) -> str:
    text = str(value)
    if not text.isascii() or not text.replace("-", "").isalnum() or len(text) > 50:
        raise SallaPayloadError(f"Salla {kind} id is not an id")
    return f"salla-{text}"


def _customer_commands(customer: SallaCustomer) -> list[SallaCommand]:
    contact = contact_of(customer)
    if contact is None or _card_data_refusal(contact) is not None:
        return []  # nothing usable, or card data: the delivery is dropped, never stored
    return [ContactFromSalla(salla_id("customer", customer.id), contact)]


def _order_commands(event: str, order: SallaOrder, catalogue: Catalogue) -> list[SallaCommand]:
    if order.customer is None:
        raise SallaPayloadError(f"{event} names no customer")
    order_id, customer_id = salla_id("order", order.id), salla_id("customer", order.customer.id)
    commands: list[SallaCommand] = [_placement(order_id, customer_id, order, catalogue)]
    slug, total = order.slug, order.total_sar
    paid = slug in PAID_SLUGS or event == "order.refunded" or slug in REFUNDED_SLUGS
    if event == "order.payment.updated":
        paid = paid or not (order.is_pending_payment or slug == "payment_pending")
    if paid and total is not None:
        brand = CardBrand.MADA if order.payment_method == "mada" else None
        commands.append(
            PayFromSalla(order_id, customer_id, f"{order_id}-pay", to_halalas(total), brand)
        )
    if event == "order.cancelled" or slug in CANCELLED_SLUGS:
        commands.append(CancelFromSalla(order_id, customer_id, CancellationReason.STAFF_DECISION))
    if (event == "order.refunded" or slug in REFUNDED_SLUGS) and total is not None:
        commands.append(
            RefundFromSalla(
                order_id,
                customer_id,
                to_halalas(total),
                f"{order_id}-refund",
                RefundReason.CUSTOMER_REQUEST,
            )
        )
    return commands


def _placement(
    order_id: str, customer_id: str, order: SallaOrder, catalogue: Catalogue
) -> PlaceFromSalla | RefuseFromSalla:
    assert order.customer is not None
    contact = contact_of(order.customer)
    plan = catalogue.plan_for_sku(order.items[0].sku or "") if len(order.items) == 1 else None
    refusal = _refusal(contact, order, plan)
    if refusal is not None:
        return RefuseFromSalla(order_id, customer_id, refusal)
    assert contact is not None  # refused above when missing
    assert plan is not None
    return PlaceFromSalla(order_id, customer_id, plan.id, order.items[0].quantity, contact)


def _refusal(
    contact: SallaContact | None, order: SallaOrder, plan: Plan | None
) -> OrderRefused | None:
    if contact is None:
        return OrderRefused(
            RejectionReason.UNSUPPORTED_ORDER,
            "A Salla order needs the customer's name and a phone or email.",
        )
    card_data = _card_data_refusal(contact)
    if card_data is not None:
        return card_data
    if len(order.items) != 1:
        return OrderRefused(
            RejectionReason.UNSUPPORTED_ORDER,
            "A Salla order must hold exactly one subscription plan.",
        )
    if plan is None:
        return OrderRefused(
            RejectionReason.UNKNOWN_PLAN, "The Salla product is not in the catalogue."
        )
    return None


def _card_data_refusal(contact: SallaContact) -> OrderRefused | None:
    # The one card-data path (contracts' ``refuse_card_data``); refused before anything of the
    # contact is sealed or stored.
    try:
        refuse_card_data(contact.as_dict())
    except CardDataRefused:
        return OrderRefused(
            RejectionReason.CARD_DATA_PRESENT,
            "Card data never enters (C3): the customer's details hold a card number.",
        )
    return None
