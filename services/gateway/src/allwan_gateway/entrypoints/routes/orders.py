"""Orders: placing one (and waiting, within a bound, for its decision), reading them,
reporting a payment, asking to cancel."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pymongo
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from allwan_gateway.domain.idempotency import InvalidIdempotencyKey, fresh_order_id, order_id_for
from allwan_gateway.entrypoints.admission import release_slot
from allwan_gateway.entrypoints.errors import problem_response
from allwan_gateway.entrypoints.limits import DATABASE_BUDGET_S
from allwan_gateway.entrypoints.schemas import problems, responses
from allwan_gateway.entrypoints.schemas.parameters import CustomerId, IdempotencyKey, OrderId
from allwan_gateway.entrypoints.schemas.problems import ProblemError
from allwan_gateway.entrypoints.schemas.requests import PlaceOrder, ReportPayment
from allwan_gateway.entrypoints.schemas.responses import LOCATION, link
from allwan_gateway.entrypoints.security import (
    CustomerDep,
    GatewayDep,
    StorefrontDep,
    require_self,
)
from allwan_gateway.handlers import intake

router = APIRouter(prefix="/v1", tags=["orders"])
_ORDER_ID = "$response.body#/order_id"
ORDER_LINKS = {
    "GetOrder": link("GET", "/v1/orders/{order_id}", "The order.", order_id=_ORDER_ID),
    "ReportPayment": link(
        "POST",
        "/v1/orders/{order_id}/payments",
        "Report its payment once placed.",
        order_id=_ORDER_ID,
    ),
    "CancelOrder": link(
        "POST", "/v1/orders/{order_id}/cancellation", "Ask to cancel it.", order_id=_ORDER_ID
    ),
}
_FOLLOW_ORDER: dict[int | str, dict[str, Any]] = {
    202: {"links": {"GetOrder": ORDER_LINKS["GetOrder"]}}
}


def _accepted(location: str, order_id: str | None = None) -> JSONResponse:
    body = responses.Accepted(order_id=order_id, status_url=location)
    return JSONResponse(
        body.model_dump(mode="json"), status_code=202, headers={"Location": location}
    )


@router.post(
    "/orders",
    status_code=201,
    response_model=responses.Order,
    responses={
        201: {
            "description": "Placed by orders within the bound; Location names it.",
            "headers": LOCATION,
            "links": ORDER_LINKS,
        },
        202: {
            "model": responses.Accepted,
            "description": "Recorded; not decided yet.",
            "headers": LOCATION,
            "links": ORDER_LINKS,
        },
    },
)
async def place_order(
    request: Request,
    gw: GatewayDep,
    principal: CustomerDep,
    body: PlaceOrder,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Place an order. Answers 201 with the order if orders decided within the configured
    bound (``ALLWAN_DECISION_WAIT_S``), 202 with its status URL otherwise, 422 if refused."""
    customer_id = principal.subject
    try:
        order_id = (
            order_id_for(principal.client_id, customer_id, idempotency_key)
            if idempotency_key is not None
            else fresh_order_id()
        )
    except InvalidIdempotencyKey as error:
        raise ProblemError(400, "invalid-idempotency-key", str(error)) from None
    started = time.perf_counter()
    try:
        # Recording waits for MongoDB no longer than any request does; the decision wait
        # after it has its own bound (``limits.DECIDING``).
        with pymongo.timeout(DATABASE_BUDGET_S):
            recorded = await intake.record_order(
                body,
                order_id=order_id,
                customer_id=customer_id,
                correlation_id=uuid.uuid4(),
                deps=gw.intake,
            )
    except intake.IdempotencyKeyReused:
        raise ProblemError(
            409,
            "idempotency-key-reused",
            "This Idempotency-Key was used for a different request.",
        ) from None
    except intake.CustomerErased:
        raise ProblemError(
            409,
            "customer-erased",
            "This customer's personal data was erased at their request: a new order needs "
            "a new customer account.",
        ) from None
    # Waiting for orders is not work of the gateway's own: another request takes the slot.
    release_slot(request.scope)
    # A new order was listed as pending just now: nothing to read before a decision comes.
    order = await gw.decisions.wait(
        order_id, gw.queries.order, gw.settings.decision_wait_s, surely_pending=recorded
    )
    waited_ms = (time.perf_counter() - started) * 1000
    location = f"/v1/orders/{order_id}"
    timing = {"Server-Timing": f"decision;dur={waited_ms:.1f}", "Location": location}
    if order is None or order["status"] == "pending":
        response = _accepted(location, order_id)
        response.headers.update(timing)
        return response
    if order["status"] == "rejected":
        rejection = order.get("rejection") or {}
        refusal = ProblemError(
            422,
            "order-rejected",
            str(rejection.get("message", "The order was refused.")),
            headers=timing,
            extensions={"order_id": order_id, "reason": rejection.get("reason")},
        )
        return problem_response(refusal, "/v1/orders")
    payload = responses.Order.model_validate(order).model_dump(mode="json")
    return JSONResponse(payload, status_code=201, headers=timing)


async def _own_order(gw: GatewayDep, customer_id: str, order_id: str) -> dict[str, Any]:
    found = await gw.queries.order(order_id)
    if found is None or found.get("customer_id") != customer_id:
        raise problems.not_found("order")  # someone else's order does not exist for you
    return found


@router.get("/orders/{order_id}")
async def order_status(
    gw: GatewayDep, principal: CustomerDep, order_id: OrderId
) -> responses.Order:
    """One of the customer's own orders; anyone else's is not found (S1)."""
    return responses.Order.model_validate(await _own_order(gw, principal.subject, order_id))


@router.post("/orders/{order_id}/payments", status_code=202, responses=_FOLLOW_ORDER)
async def report_payment(
    gw: GatewayDep, client: StorefrontDep, order_id: OrderId, body: ReportPayment
) -> responses.Accepted:
    """The storefront's server reports the provider's payment confirmation (C3: a provider
    reference and at most brand and last four digits). An order orders has not decided yet
    is 409: report the payment once it is placed."""
    found = await gw.queries.order(order_id)
    if found is None:
        raise problems.not_found("order")
    if found.get("status") == "pending":
        raise ProblemError(
            409,
            "order-not-placed-yet",
            "The orders service has not placed this order yet; report its payment once it is.",
        )
    await intake.record_payment(
        body,
        order_id=order_id,
        customer_id=found["customer_id"],
        requested_by=client.actor,
        correlation_id=uuid.uuid4(),
        deps=gw.intake,
    )
    return responses.Accepted(order_id=order_id, status_url=f"/v1/orders/{order_id}")


@router.post("/orders/{order_id}/cancellation", status_code=202, responses=_FOLLOW_ORDER)
async def cancel_order(
    gw: GatewayDep, principal: CustomerDep, order_id: OrderId
) -> responses.Accepted:
    """The customer asks to cancel their order; orders decides whether it still may be."""
    await _own_order(gw, principal.subject, order_id)
    await intake.record_cancellation(
        order_id=order_id,
        customer_id=principal.subject,
        correlation_id=uuid.uuid4(),
        deps=gw.intake,
    )
    return responses.Accepted(order_id=order_id, status_url=f"/v1/orders/{order_id}")


@router.get(
    "/customers/{customer_id}/orders",
    responses={
        200: {
            "links": {
                "GetFirstOrder": link(
                    "GET",
                    "/v1/orders/{order_id}",
                    "The first order listed.",
                    order_id="$response.body#/orders/0/order_id",
                )
            }
        }
    },
)
async def customer_orders(
    gw: GatewayDep, principal: CustomerDep, customer_id: CustomerId
) -> responses.Orders:
    """The customer's own orders (S1)."""
    require_self(principal, customer_id)
    found = await gw.queries.customer_orders(customer_id)
    return responses.Orders(orders=[responses.Order.model_validate(order) for order in found])
