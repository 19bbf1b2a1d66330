"""OrderRequested → OrderPlaced, or OrderRejected."""

from __future__ import annotations

from allwan_contracts import OrderRequestKind
from allwan_contracts.envelope import Envelope
from allwan_contracts.intake import OrderRequested
from allwan_runtime.keystore import ERASED, Purpose

from allwan_orders.domain.errors import OrderRefused
from allwan_orders.domain.order import Order
from allwan_orders.domain.placing import OpenedContact, fields_to_open
from allwan_orders.domain.status import OrderStatus
from allwan_orders.handlers.deciding import Request, decide
from allwan_orders.handlers.ports import Deps


async def place_order(event: OrderRequested, envelope: Envelope, deps: Deps) -> None:
    """Place an order, priced from the catalogue, under the policy version in force (K1).

    Refused, and recorded as refused: no age or guardian attestation (A1); a plan that is not
    sold; card data in any field, the sealed contact included (C3); contact sealed under
    another key than the customer's (T2); a customer whose data was erased. The same order id
    again changes nothing (``Idempotency-Key``).
    """
    await decide_placement(event, Request.of(envelope), deps)


async def decide_placement(request: OrderRequested, cause: Request, deps: Deps) -> None:
    """``place_order`` for a request of any origin (the storefront's, or Salla's)."""

    async def decision(order: Order) -> None:
        if order.status is not OrderStatus.NEW:
            return  # the same order id again: nothing to open, nothing to decide
        contact = await _open_contact(request, deps)
        order.place(
            request,
            contact,
            deps.catalogue.plan(request.plan_id),
            vat_rate_percent=deps.catalogue.vat_rate_percent,
            policy_version=await deps.policies.in_force(),
        )

    await decide(
        deps,
        request.order_id,
        request.customer_id,
        kind=OrderRequestKind.PLACE,
        cause=cause,
        decision=decision,
    )


async def refuse_placement(
    order_id: str, customer_id: str, refusal: OrderRefused, cause: Request, deps: Deps
) -> None:
    """Record a placement refused before it reached the rules (an unreadable Salla order)."""

    async def decision(order: Order) -> None:
        if order.status is OrderStatus.NEW:
            raise refusal

    await decide(
        deps, order_id, customer_id, kind=OrderRequestKind.PLACE, cause=cause, decision=decision
    )


async def _open_contact(request: OrderRequested, deps: Deps) -> OpenedContact:
    # One read of the key for the whole contact: its fields were sealed together.
    opened = await deps.keys.open_many(fields_to_open(request), purpose=Purpose.ORDER_PROCESSING)
    # The key store opens an erased customer's data to its placeholder, never to an error;
    # so it opens a value sealed under a generation a correction retired (in flight then).
    if ERASED not in opened.values():
        return OpenedContact(opened)
    erased = await deps.keys.is_erased(request.customer_id)
    return OpenedContact(opened, erased=erased, retired=not erased)
