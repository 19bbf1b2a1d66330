"""Placing an order: what a request needs before it becomes ``OrderPlaced``."""

from __future__ import annotations

from allwan_contracts import OrderPlaced
from allwan_contracts import RejectionReason as Reason
from allwan_contracts.intake import OrderRequested

from allwan_orders.domain.catalogue import Plan
from allwan_orders.domain.errors import OrderRefused
from allwan_orders.domain.order import Order
from allwan_orders.domain.pricing import price
from allwan_orders.domain.status import OrderStatus


def place(
    order: Order, request: OrderRequested, plan: Plan | None, vat_rate: int, policy_version: int
) -> None:
    """Place the order, priced from the catalogue.

    Placing is consent to ``order_processing`` under the policy version in force (K1; the
    consent service records it from ``OrderPlaced``), and marketing only if the buyer ticked
    it, off by default (K2). An order without an age or guardian attestation is refused (A1).
    The same order id again (the same ``Idempotency-Key``) changes nothing.
    """
    if order.status is not OrderStatus.NEW:
        return
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
    cost = price(plan.price_sar, request.quantity, vat_rate)
    order.record(
        OrderPlaced(
            order_id=order.id,
            customer_id=request.customer_id,
            plan_id=plan.id,
            quantity=request.quantity,
            unit_price_halalas=cost.unit_price,
            subtotal_halalas=cost.subtotal,
            vat_rate_percent=cost.vat_rate_percent,
            vat_halalas=cost.vat,
            total_halalas=cost.total,
            currency="SAR",
            contact=request.contact,
            age_attestation=request.age_attestation,
            payment_token=request.payment_token,
            marketing_opt_in=request.marketing_opt_in,
            policy_version=policy_version,
            locale=request.locale,
        )
    )
