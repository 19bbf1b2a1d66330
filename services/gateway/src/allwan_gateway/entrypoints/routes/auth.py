"""Tokens (S1): the storefront, having signed its customer in, gets one for them; a staff
member signs in as themselves through the web console (the storefront client) and gets a
short-lived staff token, so that every audited action names a person."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from fastapi import APIRouter

from allwan_gateway.domain.auth import InvalidCredentials, Principal, Role
from allwan_gateway.entrypoints.routes.staff import audit
from allwan_gateway.entrypoints.schemas import problems, responses
from allwan_gateway.entrypoints.schemas.problems import PROBLEM_JSON
from allwan_gateway.entrypoints.schemas.requests import CustomerTokenRequest, StaffTokenRequest
from allwan_gateway.entrypoints.schemas.responses import link
from allwan_gateway.entrypoints.security import GatewayDep, StaffMemberDep, StorefrontDep

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


SIGN_IN_PATH = "/v1/auth/staff-token"


def _problem_example(status: int, kind: str, detail: str) -> dict[str, Any]:
    problem = problems.ProblemError(status, kind, detail)
    return {PROBLEM_JSON: {"examples": {kind: {"value": problem.body(SIGN_IN_PATH)}}}}


_STAFF_TOKEN_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A staff token (``role`` staff, ``sub`` the staff id), short-lived.",
        "links": {
            "GetStaffMember": link(
                "GET", "/v1/auth/staff", "Who the token names, with access_token as Bearer."
            ),
            "ReadAuditTrail": link(
                "GET", "/v1/staff/audit", "The audit trail, with access_token as Bearer."
            ),
        },
    },
    401: {
        "description": "The storefront's API key is missing or wrong, or the staff id and "
        "password match no account (one answer for both: it does not tell which ids exist).",
        "content": _problem_example(401, "sign-in-refused", problems.sign_in_refused().detail),
    },
    429: {
        "description": "Five failed sign-ins for this staff id within 15 minutes: refused "
        "until the first of them is 15 minutes old (Retry-After), right password or not; or "
        "the client's rate limit.",
        "content": _problem_example(429, "sign-in-locked", problems.sign_in_locked(60).detail),
    },
}


@router.post(SIGN_IN_PATH.removeprefix("/v1"), responses=_STAFF_TOKEN_ANSWERS)
async def staff_token(
    gw: GatewayDep, client: StorefrontDep, body: StaffTokenRequest
) -> responses.Token:
    """A staff member signs in with their own id and password, through the web console (the
    storefront's API key), and gets a short-lived staff token (``ALLWAN_STAFF_TOKEN_TTL_S``,
    15 minutes) for the staff API: everything done with it is audited under their name
    (``staff:<id>``, S1). Every attempt is audited too (``staff.sign_in``,
    ``staff.sign_in.refused``)."""
    who = Principal(Role.STAFF, body.staff_id, client.subject)
    now = gw.clock()
    wait = gw.sign_ins.attempt(body.staff_id, now)
    if wait is not None:
        await audit(gw, who, "staff.sign_in.refused", "staff-token:locked")
        raise problems.sign_in_locked(wait.total_seconds())
    # scrypt takes a tenth of a second of CPU: off the event loop.
    member = await asyncio.to_thread(
        gw.staff.check, body.staff_id, body.password.get_secret_value()
    )
    if member is None:
        await audit(gw, who, "staff.sign_in.refused", "staff-token")
        raise problems.sign_in_refused()
    await audit(gw, who, "staff.sign_in", "staff-token")
    gw.sign_ins.succeeded(body.staff_id)
    ttl = timedelta(seconds=gw.settings.staff_token_ttl_s)
    token = gw.tokens.issue(Role.STAFF, member.staff_id, client.subject, now, ttl=ttl)
    return responses.Token(access_token=token, expires_in=gw.settings.staff_token_ttl_s)


@router.get(
    "/auth/staff",
    responses={
        403: {"description": "Not a staff member's token (S1)."},
        404: {"description": "The token's staff id has no account any more."},
    },
)
async def staff_member(gw: GatewayDep, who: StaffMemberDep) -> responses.StaffIdentity:
    """Who a staff member's token names: their id and the name the console greets them by
    (from the accounts the gateway is configured with). The staff API key names no one."""
    name = gw.staff.name_of(who.subject)
    if name is None:
        raise problems.not_found("staff account")
    return responses.StaffIdentity(staff_id=who.subject, name=name)
