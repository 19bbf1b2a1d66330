"""Customer tokens: the storefront, having signed its customer in, gets one for them (S1)."""

from __future__ import annotations

from fastapi import APIRouter

from allwan_gateway.domain.auth import InvalidCredentials, Role
from allwan_gateway.entrypoints.schemas import problems, responses
from allwan_gateway.entrypoints.schemas.requests import CustomerTokenRequest
from allwan_gateway.entrypoints.schemas.responses import link
from allwan_gateway.entrypoints.security import GatewayDep, StorefrontDep

router = APIRouter(prefix="/v1", tags=["auth"])
_CUSTOMER_ROUTES = {
    "ListOrders": ("GET", "/v1/customers/{customer_id}/orders"),
    "GetConsents": ("GET", "/v1/customers/{customer_id}/consents"),
    "ChangeConsent": ("POST", "/v1/customers/{customer_id}/consents"),
    "GetCookiePreferences": ("GET", "/v1/customers/{customer_id}/cookie-preferences"),
    "SetCookiePreferences": ("PUT", "/v1/customers/{customer_id}/cookie-preferences"),
}
_TOKEN_LINKS = {
    name: link(
        method,
        path,
        "The customer's own data, with access_token as the Bearer token.",
        customer_id="$request.body#/customer_id",
    )
    for name, (method, path) in _CUSTOMER_ROUTES.items()
}


@router.post("/auth/customer-token", responses={200: {"links": _TOKEN_LINKS}})
async def customer_token(
    gw: GatewayDep, client: StorefrontDep, body: CustomerTokenRequest
) -> responses.Token:
    """The storefront, having signed its customer in, gets a short-lived token for them."""
    try:
        token = gw.tokens.issue(Role.CUSTOMER, body.customer_id, client.subject, gw.clock())
    except InvalidCredentials as error:
        raise problems.validation_failed(
            [{"location": "body.customer_id", "kind": str(error)}]
        ) from None
    return responses.Token(access_token=token, expires_in=gw.settings.customer_token_ttl_s)
