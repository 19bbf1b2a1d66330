"""A customer's data as orders holds it, for their privacy requests (PDPL): the orders part of
an access request's export, and the contact a correction makes.

No I/O: the handlers load the events and open the sealed values, for ``data_access`` or
``data_correction`` only (C4); plaintext exists here only on its way into a sealed document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from allwan_contracts import OrderPlaced, OrderRefunded, OrderRejected, Sealed
from allwan_contracts.base import Event
from allwan_contracts.privacy_export import ExportContact, ExportOrder, ExportStatusChange
from allwan_contracts.sealed import subject_of

from allwan_orders.domain.order import Order
from allwan_orders.domain.placing import CONTACT_FIELDS
from allwan_orders.domain.status import OrderStatus

REQUIRED_CONTACT_FIELDS = ("name", "email", "phone")
"""What every contact has (``CustomerContact``); the billing address is optional."""


@dataclass(frozen=True)
class Stamped:
    """An event with the time it was recorded (its envelope's ``occurred_at``)."""

    event: Event
    at: datetime


def export_order(order_id: str, history: Sequence[Stamped]) -> ExportOrder | None:
    """One order as the customer sees it in their export: plan, quantity, amounts, VAT,
    refunds and every change of status with its time. None for a placement that was refused
    (no order was made; the refusal is the gateway's to show).

    Statuses are the order's own, as its rules derive them (``Order.apply``).
    """
    placings = [(s.event, s.at) for s in history if isinstance(s.event, OrderPlaced)]
    if not placings:
        return None
    placement, placed_at = placings[0]
    order = Order(order_id)
    changes: list[ExportStatusChange] = []
    refunded = 0
    for stamped in history:
        order.apply(stamped.event)
        if isinstance(stamped.event, OrderRefunded):
            refunded += stamped.event.refund_halalas
        changes.append(
            ExportStatusChange(status=_shown(stamped.event, order.status), at=stamped.at)
        )
    return ExportOrder(
        order_id=order_id,
        plan_id=placement.plan_id,
        quantity=placement.quantity,
        status=order.status.value,
        currency=placement.currency,
        amount_halalas=placement.total_halalas,
        vat_halalas=placement.vat_halalas,
        refunded_halalas=refunded,
        placed_at=placed_at,
        history=changes,
    )


def _shown(event: Event, status: OrderStatus) -> str:
    if isinstance(event, OrderRejected):
        return f"{event.request.value}_refused"  # e.g. a payment refused: kept, so shown
    if isinstance(event, OrderRefunded) and status is not OrderStatus.REFUNDED:
        return "partially_refunded"
    return status.value


def export_contact(opened: Mapping[str, str]) -> ExportContact | None:
    """The contact details held, as opened (a field no longer readable is left out)."""
    fields = {field: opened[field] for field in CONTACT_FIELDS if field in opened}
    return ExportContact(**fields) if fields else None


class CorrectionRefused(ValueError):
    """Changes orders must not open. The message names no value."""


def changes_to_open(customer_id: str, changes: Mapping[str, Sealed]) -> Mapping[str, Sealed]:
    """The corrected values, for the handler to open. ``CorrectionRefused`` if any is sealed
    under another subject's key than the customer's (T2): it would be someone else's data.
    Checked before anything is opened."""
    if any(subject_of(sealed.kid) != customer_id for sealed in changes.values()):
        raise CorrectionRefused("a correction's values are sealed under the customer's key (T2)")
    return changes


class CorrectionImpossible(ValueError):
    """A correction that leaves the contact without a field every contact has. The message
    names fields, never values."""


def corrected_contact(current: Mapping[str, str], changes: Mapping[str, str]) -> dict[str, str]:
    """The contact after a correction: each changed field takes its new value, every other
    keeps the one held. ``CorrectionImpossible`` when a name, email or phone is neither held
    nor given (a customer orders knows nothing about, correcting one field)."""
    merged = {**current, **changes}
    missing = [field for field in REQUIRED_CONTACT_FIELDS if field not in merged]
    if missing:
        raise CorrectionImpossible(f"no {', '.join(missing)} held or given")
    return {field: merged[field] for field in CONTACT_FIELDS if field in merged}
