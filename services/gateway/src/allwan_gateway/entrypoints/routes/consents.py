"""A customer's consents (K2, K3) and cookie preferences (CK1, CK2), and the one-click
unsubscribe every marketing email carries."""

from __future__ import annotations

import hmac
import uuid
from typing import Annotated, Literal

from allwan_contracts import ConsentPurpose
from allwan_contracts.fields import Channel
from allwan_contracts.intake import ConsentAction
from allwan_contracts.links import UNSUBSCRIBE_TOKEN_KIND
from fastapi import APIRouter, Query, Request, Response

from allwan_gateway.domain.consents import allows
from allwan_gateway.entrypoints.schemas import problems, responses
from allwan_gateway.entrypoints.schemas.parameters import ID_PATTERN, CustomerId
from allwan_gateway.entrypoints.schemas.requests import ConsentChange, CookiePreferences
from allwan_gateway.entrypoints.schemas.responses import LOCATION, link
from allwan_gateway.entrypoints.security import (
    CustomerDep,
    GatewayDep,
    consent_evidence,
    require_self,
)
from allwan_gateway.handlers import intake

router = APIRouter(prefix="/v1", tags=["consent"])
COOKIE_PURPOSES = {
    "functional": ConsentPurpose.FUNCTIONAL_COOKIES,
    "analytics": ConsentPurpose.ANALYTICS_COOKIES,
}


@router.get("/customers/{customer_id}/consents")
async def consents(
    gw: GatewayDep, principal: CustomerDep, customer_id: CustomerId
) -> responses.Consents:
    """The customer's consents, per purpose (K2, K3)."""
    require_self(principal, customer_id)
    return responses.Consents.model_validate(await gw.queries.consents(customer_id))


@router.get("/customers/{customer_id}/consents/history")
async def consent_history(
    gw: GatewayDep, principal: CustomerDep, customer_id: CustomerId
) -> responses.ConsentProof:
    """Every grant, withdrawal, suspension and erasure of the customer's own consents,
    oldest first, with its proof (channel, policy version, evidence): what staff see as the
    customer's consent proof (K3)."""
    require_self(principal, customer_id)
    entries = await gw.queries.consent_proof(customer_id)
    return responses.ConsentProof(customer_id=customer_id, entries=entries)


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
    status_code=202,
    responses={
        202: {
            "headers": LOCATION,
            "links": {
                "GetConsents": link(
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
) -> responses.Accepted:
    """Grant or withdraw one purpose, at any time (K2, K3); the consent service records it
    with its proof. Follow ``status_url`` to see it take effect."""
    require_self(principal, customer_id)
    await _change(gw, request, customer_id, [(body.purpose, body.action)])
    location = f"/v1/customers/{customer_id}/consents"
    response.headers["Location"] = location
    return responses.Accepted(status_url=location)


@router.post(
    "/unsubscribe",
    status_code=202,
    responses={
        202: {
            "links": {
                "GetConsents": link(
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
) -> responses.Accepted:
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
    return responses.Accepted(status_url=f"/v1/customers/{customer}/consents")


@router.get("/customers/{customer_id}/cookie-preferences")
async def cookie_preferences(
    gw: GatewayDep, principal: CustomerDep, customer_id: CustomerId
) -> responses.CookiePreferencesOut:
    """CK1, CK2: non-essential cookies are off until granted."""
    require_self(principal, customer_id)
    found = await gw.queries.consents(customer_id)
    purposes, erased = found["purposes"], found["erased"]
    return responses.CookiePreferencesOut(
        functional=allows(purposes, erased, ConsentPurpose.FUNCTIONAL_COOKIES),
        analytics=allows(purposes, erased, ConsentPurpose.ANALYTICS_COOKIES),
    )


@router.put(
    "/customers/{customer_id}/cookie-preferences",
    status_code=202,
    responses={
        202: {
            "headers": LOCATION,
            "links": {
                "GetCookiePreferences": link(
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
) -> responses.Accepted:
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
    return responses.Accepted(status_url=location)
