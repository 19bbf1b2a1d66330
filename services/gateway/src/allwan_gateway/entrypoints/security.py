"""Authentication dependencies (S1): the storefront client, customers, staff."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from allwan_contracts import ConsentEvidence, ConsentPurpose, browser_of
from allwan_contracts.consent import may_name_browser
from allwan_contracts.intake import ConsentAction
from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from allwan_gateway.bootstrap import Gateway
from allwan_gateway.domain.auth import InvalidCredentials, Principal, Role, key_matches
from allwan_gateway.entrypoints.schemas import problems

api_key = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="ApiKey",
    description="The storefront's or the back office's API key.",
)
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="BearerToken",
    description="A customer or staff token (JWT, HS256), short-lived.",
)
ApiKey = Annotated[str | None, Security(api_key)]
BearerToken = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]


# Every dependency here is ``async def``: FastAPI runs a plain ``def`` dependency in its thread
# pool, two thread hops per request for work that never blocks.


async def gateway(request: Request) -> Gateway:
    found: Gateway = request.app.state.gateway
    return found


GatewayDep = Annotated[Gateway, Depends(gateway)]


def _token(gw: Gateway, credentials: HTTPAuthorizationCredentials | None) -> Principal | None:
    if credentials is None:
        return None
    try:
        return gw.tokens.verify(credentials.credentials)
    except InvalidCredentials as error:
        raise problems.unauthorized(f"Invalid token: {error} (S1).") from None


async def storefront(gw: GatewayDep, key: ApiKey) -> Principal:
    """The storefront client, by its API key."""
    if key_matches(key, gw.settings.gateway_storefront_api_key.get_secret_value()):
        return Principal(Role.CLIENT, "storefront", "storefront")
    raise problems.unauthorized("The storefront's API key is required (S1).")


async def customer(gw: GatewayDep, credentials: BearerToken) -> Principal:
    """A customer, by their token."""
    principal = _token(gw, credentials)
    if principal is None:
        raise problems.unauthorized("A customer token is required (S1).")
    if principal.role is not Role.CUSTOMER:
        raise problems.forbidden("This needs a customer's token (S1).")
    return principal


async def staff(gw: GatewayDep, key: ApiKey, credentials: BearerToken) -> Principal:
    """Staff, by a token with the staff role or by the staff API key."""
    if key is not None:
        if key_matches(key, gw.settings.gateway_staff_api_key.get_secret_value()):
            return Principal(Role.STAFF, "api-key", "back-office")
        raise problems.unauthorized("The staff API key is not valid (S1).")
    principal = _token(gw, credentials)
    if principal is None:
        raise problems.unauthorized("A staff token or the staff API key is required (S1).")
    if principal.role is not Role.STAFF:
        raise problems.forbidden("This needs the staff role (S1).")
    return principal


async def staff_member(gw: GatewayDep, credentials: BearerToken) -> Principal:
    """A staff member by their own token: the staff API key names no one."""
    principal = _token(gw, credentials)
    if principal is None:
        raise problems.unauthorized("A staff member's token is required (S1).")
    if principal.role is not Role.STAFF:
        raise problems.forbidden("This needs a staff member's token (S1).")
    return principal


StorefrontDep = Annotated[Principal, Depends(storefront)]
CustomerDep = Annotated[Principal, Depends(customer)]
StaffDep = Annotated[Principal, Depends(staff)]
StaffMemberDep = Annotated[Principal, Depends(staff_member)]


def require_self(principal: Principal, customer_id: str) -> None:
    """A customer sees and changes only their own data (S1)."""
    if principal.subject != customer_id:
        raise problems.forbidden("Customers may see and change only their own data (S1).")


def ip_hmac(gw: Gateway, request: Request) -> str | None:
    """C2: the client's address as a keyed hash, never raw."""
    if request.client is None:
        return None
    key = gw.settings.ip_hash_key.get_secret_value().encode()
    return hmac.new(key, request.client.host.encode(), hashlib.sha256).hexdigest()


def _user_agent(request: Request) -> str | None:
    return request.headers.get("user-agent", "").strip() or None


def user_agent_hmac(gw: Gateway, request: Request) -> str | None:
    """C2: the browser's ``User-Agent`` header as a keyed hash, never raw.

    The IP's key, with a label of its own so that the two hashes never compare: whoever
    holds the key can check that a browser's header is the one a consent was given with.
    """
    agent = _user_agent(request)
    if agent is None:
        return None
    key = gw.settings.ip_hash_key.get_secret_value().encode()
    return hmac.new(key, b"user-agent|" + agent.encode(), hashlib.sha256).hexdigest()


def consent_evidence(
    gw: Gateway,
    request: Request,
    purpose: ConsentPurpose,
    action: ConsentAction,
    message_reference: str | None = None,
) -> ConsentEvidence:
    """The proof of a consent change made by this request: keyed hashes of the address and
    of the browser (C2). Only a grant of analytics cookies also names the browser's family
    and device class (``allwan_contracts.consent.may_name_browser``); the raw header, never.
    """
    agent = _user_agent(request)
    browser = device = None
    if agent is not None and may_name_browser(purpose, granting=action is ConsentAction.GRANT):
        browser, device = browser_of(agent)
    return ConsentEvidence(
        ip_hmac=ip_hmac(gw, request),
        user_agent_hmac=user_agent_hmac(gw, request),
        browser=browser,
        device=device,
        message_reference=message_reference,
    )
