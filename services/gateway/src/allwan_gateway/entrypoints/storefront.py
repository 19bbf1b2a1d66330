"""The storefront API: catalogue, orders, consents, cookies, the policy and its contact."""

from __future__ import annotations

import hmac
import time
import uuid
from typing import Annotated, Any, Literal

import pymongo
from allwan_contracts import ConsentPurpose
from allwan_contracts.fields import Channel
from allwan_contracts.intake import ConsentAction
from allwan_contracts.links import UNSUBSCRIBE_TOKEN_KIND
from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from allwan_gateway.domain import problems
from allwan_gateway.domain.auth import InvalidCredentials, Role
from allwan_gateway.domain.idempotency import (
    KEY_PATTERN,
    InvalidIdempotencyKey,
    fresh_order_id,
    order_id_for,
)
from allwan_gateway.domain.problems import ProblemError
from allwan_gateway.domain.requests import (
    ConsentChange,
    CookiePreferences,
    CustomerTokenRequest,
    PlaceOrder,
    ReportPayment,
)
from allwan_gateway.entrypoints import schemas
from allwan_gateway.entrypoints.errors import problem_response
from allwan_gateway.entrypoints.middleware import DATABASE_BUDGET_S
from allwan_gateway.entrypoints.security import (
    CustomerDep,
    GatewayDep,
    StorefrontDep,
    consent_evidence,
    require_self,
)
from allwan_gateway.handlers import intake

router = APIRouter(prefix="/v1")
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
CustomerId = Annotated[str, Path(pattern=ID_PATTERN, description="The customer's id.")]
OrderId = Annotated[str, Path(pattern=ID_PATTERN, description="The order's id.")]
COOKIE_PURPOSES = {
    "functional": ConsentPurpose.FUNCTIONAL_COOKIES,
    "analytics": ConsentPurpose.ANALYTICS_COOKIES,
}
# The key's rule is ``order_id_for``'s, which refuses a bad key with its own 400 problem; the
# document states the same rule (the pattern holds the lengths too).
IdempotencyKey = Annotated[
    str | None,
    Header(
        description=(
            "Makes retries safe: the same key maps to the same order. 8 to 200 printable "
            "ASCII characters; any other key is refused (400 invalid-idempotency-key)."
        ),
        json_schema_extra={"pattern": KEY_PATTERN.pattern, "minLength": 8, "maxLength": 200},
    ),
]
_ORDER_ID = "$response.body#/order_id"
_ORDER_LINKS = {
    "GetOrder": schemas.link("GET", "/v1/orders/{order_id}", "The order.", order_id=_ORDER_ID),
    "ReportPayment": schemas.link(
        "POST",
        "/v1/orders/{order_id}/payments",
        "Report its payment once placed.",
        order_id=_ORDER_ID,
    ),
    "CancelOrder": schemas.link(
        "POST", "/v1/orders/{order_id}/cancellation", "Ask to cancel it.", order_id=_ORDER_ID
    ),
}
_CUSTOMER_ROUTES = {
    "ListOrders": ("GET", "/v1/customers/{customer_id}/orders"),
    "GetConsents": ("GET", "/v1/customers/{customer_id}/consents"),
    "ChangeConsent": ("POST", "/v1/customers/{customer_id}/consents"),
    "GetCookiePreferences": ("GET", "/v1/customers/{customer_id}/cookie-preferences"),
    "SetCookiePreferences": ("PUT", "/v1/customers/{customer_id}/cookie-preferences"),
}
_TOKEN_LINKS = {
    name: schemas.link(
        method,
        path,
        "The customer's own data, with access_token as the Bearer token.",
        customer_id="$request.body#/customer_id",
    )
    for name, (method, path) in _CUSTOMER_ROUTES.items()
}


def _accepted(location: str, order_id: str | None = None) -> JSONResponse:
    body = schemas.Accepted(order_id=order_id, status_url=location)
    return JSONResponse(
        body.model_dump(mode="json"), status_code=202, headers={"Location": location}
    )


@router.get("/catalogue", tags=["storefront"])
async def catalogue(gw: GatewayDep) -> schemas.Catalogue:
    """What the store sells, with shelf prices (VAT included), as orders prices it."""
    found = await gw.queries.catalogue()
    if found is None:
        raise problems.unavailable("The catalogue has not reached the gateway yet.")
    return schemas.Catalogue.model_validate(found)


@router.get(
    "/policy",
    tags=["policy"],
    responses={
        200: {
            "links": {
                "GetVersion": schemas.link(
                    "GET",
                    "/v1/policy/versions/{version}",
                    "This version.",
                    version="$response.body#/version",
                ),
                "LedgerOfVersion": schemas.link(
                    "GET",
                    "/v1/staff/ledger/policies/{version}",
                    "Staff: who was told of this version (PC2).",
                    version="$response.body#/version",
                ),
                "LedgerCountsOfVersion": schemas.link(
                    "GET",
                    "/v1/staff/ledger/policies/{version}/counts",
                    "Staff: how many were told of this version (PC2).",
                    version="$response.body#/version",
                ),
            }
        }
    },
)
async def current_policy(gw: GatewayDep) -> schemas.Policy:
    """The privacy policy in force, in Arabic and English (PC1), with its contact (CT1)."""
    found = await gw.queries.policy()
    if found is None:
        raise problems.not_found("published policy")
    return schemas.Policy.model_validate(found)


@router.get(
    "/policy/versions",
    tags=["policy"],
    responses={
        200: {
            "links": {
                "GetFirstVersion": schemas.link(
                    "GET",
                    "/v1/policy/versions/{version}",
                    "The first version.",
                    version="$response.body#/versions/0/version",
                )
            }
        }
    },
)
async def policy_history(gw: GatewayDep) -> schemas.PolicyHistory:
    """Every published version, oldest first (PC1)."""
    versions = [schemas.PolicySummary.model_validate(v) for v in await gw.queries.policy_history()]
    return schemas.PolicyHistory(versions=versions)


@router.get("/policy/versions/{version}", tags=["policy"])
async def policy_version(
    gw: GatewayDep, version: Annotated[int, Path(ge=1, le=1_000_000)]
) -> schemas.Policy:
    """One published version, both texts."""
    found = await gw.queries.policy(version)
    if found is None:
        raise problems.not_found("policy version")
    return schemas.Policy.model_validate(found)


@router.get("/privacy-contact", tags=["policy"])
async def privacy_contact(gw: GatewayDep) -> schemas.Contact:
    """CT1: phone, WhatsApp and email for privacy questions and withdrawals (K3)."""
    found = await gw.queries.policy()
    if found is None:
        raise problems.not_found("published policy")
    return schemas.Contact.model_validate(found["contact"])


@router.post("/auth/customer-token", tags=["auth"], responses={200: {"links": _TOKEN_LINKS}})
async def customer_token(
    gw: GatewayDep, client: StorefrontDep, body: CustomerTokenRequest
) -> schemas.Token:
    """The storefront, having signed its customer in, gets a short-lived token for them."""
    try:
        token = gw.tokens.issue(Role.CUSTOMER, body.customer_id, client.subject, gw.clock())
    except InvalidCredentials as error:
        raise problems.validation_failed(
            [{"location": "body.customer_id", "kind": str(error)}]
        ) from None
    return schemas.Token(access_token=token, expires_in=gw.settings.customer_token_ttl_s)


@router.post(
    "/orders",
    tags=["orders"],
    status_code=201,
    response_model=schemas.Order,
    responses={
        201: {
            "description": "Placed by orders within the bound; Location names it.",
            "headers": schemas.LOCATION,
            "links": _ORDER_LINKS,
        },
        202: {
            "model": schemas.Accepted,
            "description": "Recorded; not decided yet.",
            "headers": schemas.LOCATION,
            "links": _ORDER_LINKS,
        },
    },
)
async def place_order(
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
        # after it has its own bound (``middleware.DECIDING``).
        with pymongo.timeout(DATABASE_BUDGET_S):
            await intake.record_order(
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
    order = await gw.decisions.wait(order_id, gw.queries.order, gw.settings.decision_wait_s)
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
    payload = schemas.Order.model_validate(order).model_dump(mode="json")
    return JSONResponse(payload, status_code=201, headers=timing)


async def _own_order(gw: GatewayDep, customer_id: str, order_id: str) -> dict[str, Any]:
    found = await gw.queries.order(order_id)
    if found is None or found.get("customer_id") != customer_id:
        raise problems.not_found("order")  # someone else's order does not exist for you
    return found


@router.get("/orders/{order_id}", tags=["orders"])
async def order_status(gw: GatewayDep, principal: CustomerDep, order_id: OrderId) -> schemas.Order:
    """One of the customer's own orders; anyone else's is not found (S1)."""
    return schemas.Order.model_validate(await _own_order(gw, principal.subject, order_id))


_FOLLOW_ORDER: dict[int | str, dict[str, Any]] = {
    202: {"links": {"GetOrder": _ORDER_LINKS["GetOrder"]}}
}


@router.post(
    "/orders/{order_id}/payments", tags=["orders"], status_code=202, responses=_FOLLOW_ORDER
)
async def report_payment(
    gw: GatewayDep, client: StorefrontDep, order_id: OrderId, body: ReportPayment
) -> schemas.Accepted:
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
    return schemas.Accepted(order_id=order_id, status_url=f"/v1/orders/{order_id}")


@router.post(
    "/orders/{order_id}/cancellation", tags=["orders"], status_code=202, responses=_FOLLOW_ORDER
)
async def cancel_order(
    gw: GatewayDep, principal: CustomerDep, order_id: OrderId
) -> schemas.Accepted:
    """The customer asks to cancel their order; orders decides whether it still may be."""
    await _own_order(gw, principal.subject, order_id)
    await intake.record_cancellation(
        order_id=order_id,
        customer_id=principal.subject,
        correlation_id=uuid.uuid4(),
        deps=gw.intake,
    )
    return schemas.Accepted(order_id=order_id, status_url=f"/v1/orders/{order_id}")


@router.get(
    "/customers/{customer_id}/orders",
    tags=["orders"],
    responses={
        200: {
            "links": {
                "GetFirstOrder": schemas.link(
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
) -> schemas.Orders:
    """The customer's own orders (S1)."""
    require_self(principal, customer_id)
    found = await gw.queries.customer_orders(customer_id)
    return schemas.Orders(orders=[schemas.Order.model_validate(order) for order in found])


@router.get("/customers/{customer_id}/consents", tags=["consent"])
async def consents(
    gw: GatewayDep, principal: CustomerDep, customer_id: CustomerId
) -> schemas.Consents:
    """The customer's consents, per purpose (K2, K3)."""
    require_self(principal, customer_id)
    return schemas.Consents.model_validate(await gw.queries.consents(customer_id))


async def _change(
    gw: GatewayDep,
    request: Request,
    customer_id: str,
    changes: list[tuple[ConsentPurpose, ConsentAction]],
) -> None:
    correlation_id = uuid.uuid4()
    for purpose, action in changes:
        evidence = consent_evidence(gw, request, purpose, action)  # C2: per record
        await intake.record_consent_change(
            customer_id=customer_id,
            purpose=purpose,
            action=action,
            channel=Channel.WEB,
            evidence=evidence,
            requested_by="customer",
            correlation_id=correlation_id,
            deps=gw.intake,
        )


@router.post(
    "/customers/{customer_id}/consents",
    tags=["consent"],
    status_code=202,
    responses={
        202: {
            "headers": schemas.LOCATION,
            "links": {
                "GetConsents": schemas.link(
                    "GET",
                    "/v1/customers/{customer_id}/consents",
                    "The consents, once the change takes effect.",
                    customer_id="$request.path.customer_id",
                )
            },
        }
    },
)
async def change_consent(
    *,
    gw: GatewayDep,
    principal: CustomerDep,
    request: Request,
    customer_id: CustomerId,
    body: ConsentChange,
    response: Response,
) -> schemas.Accepted:
    """Grant or withdraw one purpose, at any time (K2, K3); the consent service records it
    with its proof. Follow ``status_url`` to see it take effect."""
    require_self(principal, customer_id)
    await _change(gw, request, customer_id, [(body.purpose, body.action)])
    location = f"/v1/customers/{customer_id}/consents"
    response.headers["Location"] = location
    return schemas.Accepted(status_url=location)


@router.post(
    "/unsubscribe",
    tags=["consent"],
    status_code=202,
    responses={
        202: {
            "links": {
                "GetConsents": schemas.link(
                    "GET",
                    "/v1/customers/{customer_id}/consents",
                    "The customer's consents (with their own token).",
                    customer_id="$request.query.customer",
                )
            }
        }
    },
)
async def one_click_unsubscribe(
    *,
    gw: GatewayDep,
    request: Request,
    customer: Annotated[str, Query(pattern=ID_PATTERN)],
    token: Annotated[str, Query(pattern=r"^[0-9a-f]{64}$")],
    purpose: Annotated[Literal["marketing"], Query()] = "marketing",
) -> schemas.Accepted:
    """K2: the one-click refusal every marketing email carries (RFC 8058 ``POST``, no login).

    The link's token is a keyed hash of the customer id that only allwan can make
    (``allwan_contracts.links``); the withdrawal is recorded with channel email and the
    link as its evidence, like any other (K3).
    """
    expected = gw.intake.keys.blind_index(UNSUBSCRIBE_TOKEN_KIND, customer)
    if not hmac.compare_digest(expected, token):
        raise problems.forbidden("This unsubscribe link is not valid.")
    evidence = consent_evidence(
        gw,
        request,
        ConsentPurpose(purpose),
        ConsentAction.WITHDRAW,
        message_reference="list-unsubscribe",
    )
    await intake.record_consent_change(
        customer_id=customer,
        purpose=ConsentPurpose(purpose),
        action=ConsentAction.WITHDRAW,
        channel=Channel.EMAIL,
        evidence=evidence,
        requested_by="customer",
        correlation_id=uuid.uuid4(),
        deps=gw.intake,
    )
    return schemas.Accepted(status_url=f"/v1/customers/{customer}/consents")


def _granted(found: dict[str, Any], purpose: ConsentPurpose) -> bool:
    state = found["purposes"].get(purpose.value) or {}
    return not found["erased"] and state.get("status") == "granted"


@router.get("/customers/{customer_id}/cookie-preferences", tags=["consent"])
async def cookie_preferences(
    gw: GatewayDep, principal: CustomerDep, customer_id: CustomerId
) -> schemas.CookiePreferencesOut:
    """CK1, CK2: non-essential cookies are off until granted."""
    require_self(principal, customer_id)
    found = await gw.queries.consents(customer_id)
    return schemas.CookiePreferencesOut(
        functional=_granted(found, ConsentPurpose.FUNCTIONAL_COOKIES),
        analytics=_granted(found, ConsentPurpose.ANALYTICS_COOKIES),
    )


@router.put(
    "/customers/{customer_id}/cookie-preferences",
    tags=["consent"],
    status_code=202,
    responses={
        202: {
            "headers": schemas.LOCATION,
            "links": {
                "GetCookiePreferences": schemas.link(
                    "GET",
                    "/v1/customers/{customer_id}/cookie-preferences",
                    "The preferences, once the change takes effect.",
                    customer_id="$request.path.customer_id",
                )
            },
        }
    },
)
async def set_cookie_preferences(
    *,
    gw: GatewayDep,
    principal: CustomerDep,
    request: Request,
    customer_id: CustomerId,
    body: CookiePreferences,
    response: Response,
) -> schemas.Accepted:
    """Grant or withdraw the functional and analytics cookie categories (CK1, CK2)."""
    require_self(principal, customer_id)
    wanted = {"functional": body.functional, "analytics": body.analytics}
    await _change(
        gw,
        request,
        customer_id,
        [
            (COOKIE_PURPOSES[name], ConsentAction.GRANT if on else ConsentAction.WITHDRAW)
            for name, on in wanted.items()
        ],
    )
    location = f"/v1/customers/{customer_id}/cookie-preferences"
    response.headers["Location"] = location
    return schemas.Accepted(status_url=location)
