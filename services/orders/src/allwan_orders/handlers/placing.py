"""OrderRequested → OrderPlaced, or OrderRejected."""

from __future__ import annotations

from allwan_contracts import OrderRequestKind, RejectionReason
from allwan_contracts.intake import OrderRequested
from allwan_runtime.keystore import ERASED, Purpose

from allwan_orders.domain.cards import refuse_card_data
from allwan_orders.domain.errors import OrderRefused
from allwan_orders.domain.order import Order
from allwan_orders.domain.placing import place
from allwan_orders.domain.status import OrderStatus
from allwan_orders.handlers.deciding import decide
from allwan_orders.handlers.deps import Deps, Request

CONTACT_FIELDS = ("name", "email", "phone", "billing_address")


async def place_order(request: OrderRequested, intake: Request, deps: Deps) -> None:
    """Place an order, priced from the catalogue, under the policy version in force (K1).

    Refused, and recorded as refused: no age or guardian attestation (A1); a plan that is not
    sold; card data in any field, the sealed contact included (C3); contact sealed under
    another key than the customer's (T2); a customer whose data was erased. The same order id
    again changes nothing (``Idempotency-Key``).
    """

    async def decision(order: Order) -> None:
        if order.status is not OrderStatus.NEW:
            return
        await _refuse_unusable_contact(request, deps)
        plan = deps.catalogue.plan(request.plan_id)
        policy_version = await deps.policies.in_force()
        place(order, request, plan, deps.catalogue.vat_rate_percent, policy_version)

    await decide(
        deps,
        request.order_id,
        request.customer_id,
        kind=OrderRequestKind.PLACE,
        request=intake,
        decision=decision,
    )


async def refuse_placement(
    order_id: str, customer_id: str, refusal: OrderRefused, intake: Request, deps: Deps
) -> None:
    """Record a placement refused before it reached the rules (an unreadable Salla order)."""

    async def decision(order: Order) -> None:
        if order.status is OrderStatus.NEW:
            raise refusal

    await decide(
        deps, order_id, customer_id, kind=OrderRequestKind.PLACE, request=intake, decision=decision
    )


async def _refuse_unusable_contact(request: OrderRequested, deps: Deps) -> None:
    contact = request.contact
    opened: dict[str, object] = {}
    for field in CONTACT_FIELDS:
        sealed = getattr(contact, field)
        if sealed is None:
            continue
        if sealed.kid != request.customer_id:
            raise OrderRefused(
                RejectionReason.CUSTOMER_MISMATCH,
                "Personal data must be sealed under the customer's own key (T2).",
            )
        value = await deps.keys.open(sealed, field=field, purpose=Purpose.ORDER_PROCESSING)
        if value == ERASED:
            raise OrderRefused(
                RejectionReason.CUSTOMER_ERASED, "This customer's data was erased at their request."
            )
        opened[field] = value
    fields = request.model_dump(mode="json", exclude={"contact"})
    refuse_card_data(fields | {"contact": opened})
