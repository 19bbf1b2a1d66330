"""A customer's privacy requests (PDPL: access and a copy, correction, destruction; answered
within 30 days): asking, following, cancelling before work starts, and downloading the
export of an access request. Own data only (S1): another customer's path is 403, another
customer's request under one's own path does not exist (404)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from allwan_contracts.fields import Channel
from allwan_contracts.privacy import (
    IdentityCheck,
)
from allwan_runtime.mongo import Document
from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from allwan_gateway.adapters.privacy_views import public_view, request_view
from allwan_gateway.domain.idempotency import (
    InvalidIdempotencyKey,
    fresh_order_id,
    privacy_request_id_for,
)
from allwan_gateway.domain.privacy import Refused, check_cancellation
from allwan_gateway.entrypoints.schemas import problems
from allwan_gateway.entrypoints.schemas.parameters import (
    CustomerId,
    PrivacyIdempotencyKey,
    RequestId,
)
from allwan_gateway.entrypoints.schemas.privacy_requests import NewPrivacyRequest
from allwan_gateway.entrypoints.schemas.privacy_responses import (
    PrivacyRequestOut,
    PrivacyRequestsOut,
)
from allwan_gateway.entrypoints.schemas.problems import PROBLEM_JSON, ProblemError
from allwan_gateway.entrypoints.schemas.responses import LOCATION, link
from allwan_gateway.entrypoints.security import (
    CustomerDep,
    GatewayDep,
    require_self,
)
from allwan_gateway.handlers.intake import CustomerErased, IdempotencyKeyReused
from allwan_gateway.handlers.ports import PrivacyRequestBody
from allwan_gateway.handlers.privacy import (
    AlreadyOpen,
    record_privacy_cancellation,
    record_privacy_request,
)

router = APIRouter(prefix="/v1", tags=["privacy"])

REQUESTS = "/v1/customers/{customer_id}/privacy-requests"
REQUEST = REQUESTS + "/{request_id}"
EXPORT = REQUEST + "/export"
_CUSTOMER = "$request.path.customer_id"
PROBLEM = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def request_url(customer_id: str, request_id: str) -> str:
    return REQUEST.format(customer_id=customer_id, request_id=request_id)


def request_links(request_id: str) -> dict[str, Any]:
    """Links from an answer naming a request (by ``request_id``, a runtime expression)."""
    ids = {"customer_id": _CUSTOMER, "request_id": request_id}
    return {
        "GetPrivacyRequest": link("GET", REQUEST, "The request.", **ids),
        "CancelPrivacyRequest": link(
            "DELETE", REQUEST, "Cancel it, before work on it starts.", **ids
        ),
        "GetPrivacyExport": link(
            "GET", EXPORT, "Its export, once an access request is completed.", **ids
        ),
    }


def refusal(refused: Refused) -> ProblemError:
    """A rule of ``domain.privacy`` broken: the request's state does not allow it."""
    return ProblemError(409, refused.kind, refused.detail)


def request_id_for(customer_id: str, key: str | None) -> str:
    try:
        return privacy_request_id_for(customer_id, key) if key is not None else fresh_order_id()
    except InvalidIdempotencyKey as error:
        raise ProblemError(400, "invalid-idempotency-key", str(error)) from None


async def submit(
    gw: GatewayDep,
    body: PrivacyRequestBody,
    *,
    customer_id: str,
    key: str | None,
    channel: Channel,
    identity_check: IdentityCheck,
    requested_by: str,
    location: Callable[[str], str],
    correlation_id: uuid.UUID,
) -> str:
    """Record a request (``handlers.privacy``); its id, or the problem that refuses it."""
    request_id = request_id_for(customer_id, key)
    try:
        await record_privacy_request(
            body,
            request_id=request_id,
            customer_id=customer_id,
            channel=channel,
            identity_check=identity_check,
            requested_by=requested_by,
            correlation_id=correlation_id,
            deps=gw.intake,
        )
    except AlreadyOpen as duplicate:
        where = location(duplicate.request_id)
        raise ProblemError(
            409,
            "privacy-request-open",
            "A request of this kind is open: follow it (open_request); another can be made "
            "once it is finished.",
            headers={"Location": where},
            extensions={"open_request": where},
        ) from None
    except IdempotencyKeyReused:
        raise ProblemError(
            409, "idempotency-key-reused", "This Idempotency-Key was used for a different request."
        ) from None
    except CustomerErased:
        raise ProblemError(
            409,
            "customer-erased",
            "This customer's personal data was erased: there is nothing left to correct.",
        ) from None
    return request_id


def shown(document: Document, model: type[BaseModel], **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = model.model_validate(public_view(document) | extra).model_dump(
        mode="json"
    )
    return found


async def own(gw: GatewayDep, customer_id: str, request_id: str) -> Document:
    found = await gw.privacy.get(request_id)
    if found is None or found.get("customer_id") != customer_id:
        raise problems.not_found("privacy request")  # someone else's does not exist for you
    return found


@router.post(
    "/customers/{customer_id}/privacy-requests",
    status_code=202,
    response_model=PrivacyRequestOut,
    responses={
        202: {
            "description": "Recorded; the privacy service takes it from here.",
            "headers": LOCATION,
            "links": request_links("$response.body#/request_id"),
        },
        409: {
            "description": "A request of this kind is open (``open_request`` and Location "
            "name it), the Idempotency-Key was used for another request, or there is "
            "nothing left to correct (erased).",
            "content": PROBLEM,
        },
    },
)
async def ask(
    gw: GatewayDep,
    principal: CustomerDep,
    customer_id: CustomerId,
    body: Annotated[NewPrivacyRequest, Body()],
    idempotency_key: PrivacyIdempotencyKey = None,
) -> JSONResponse:
    """Ask to exercise a right: ``access`` (a copy of everything held), ``correction``
    (``changes``: name, email, phone, billing address) or ``erasure``. Answered within 30
    days (``due_at``). The customer's token proves who asks. One open request per kind: a
    second one is 409 with a link to the first."""
    require_self(principal, customer_id)
    request_id = await submit(
        gw,
        body,
        customer_id=customer_id,
        key=idempotency_key,
        channel=Channel.WEB,
        identity_check=IdentityCheck.CUSTOMER_TOKEN,
        requested_by=principal.actor,
        location=lambda other: request_url(customer_id, other),
        correlation_id=uuid.uuid4(),
    )
    document = await own(gw, customer_id, request_id)
    location = request_url(customer_id, request_id)
    return JSONResponse(
        shown(document, PrivacyRequestOut), status_code=202, headers={"Location": location}
    )


@router.get(
    "/customers/{customer_id}/privacy-requests",
    responses={
        200: {
            "links": request_links("$response.body#/requests/0/request_id")
            | {
                "AskForPrivacy": link(
                    "POST", REQUESTS, "Ask to exercise a right.", customer_id=_CUSTOMER
                )
            }
        }
    },
)
async def requests_of(
    gw: GatewayDep, principal: CustomerDep, customer_id: CustomerId
) -> PrivacyRequestsOut:
    """The customer's privacy requests, newest first, each with its history."""
    require_self(principal, customer_id)
    found = await gw.privacy.customer_documents(customer_id)
    return PrivacyRequestsOut.model_validate({"requests": [public_view(d) for d in found]})


@router.get(
    "/customers/{customer_id}/privacy-requests/{request_id}",
    responses={200: {"links": request_links("$request.path.request_id")}},
)
async def one_request(
    gw: GatewayDep, principal: CustomerDep, customer_id: CustomerId, request_id: RequestId
) -> PrivacyRequestOut:
    """One of the customer's requests: its state, deadline and history (who, when). Until
    the privacy service acknowledges it, as the gateway recorded it."""
    require_self(principal, customer_id)
    return PrivacyRequestOut.model_validate(public_view(await own(gw, customer_id, request_id)))


@router.delete(
    "/customers/{customer_id}/privacy-requests/{request_id}",
    status_code=202,
    response_model=PrivacyRequestOut,
    responses={
        202: {
            "description": "The cancellation is recorded; the request reads cancelled once "
            "the privacy service applies it. It stays listed (proof).",
            "headers": LOCATION,
            "links": {
                "GetPrivacyRequest": request_links("$request.path.request_id")["GetPrivacyRequest"]
            },
        },
        409: {"description": "Work on it has started, or it is finished.", "content": PROBLEM},
    },
)
async def cancel(
    gw: GatewayDep, principal: CustomerDep, customer_id: CustomerId, request_id: RequestId
) -> JSONResponse:
    """Withdraw a request before work on it starts (``received`` or ``identity_verified``):
    an erasure in its grace period, or awaiting its confirming WhatsApp message. An access or
    correction request from the web starts as soon as it is received."""
    require_self(principal, customer_id)
    document = await own(gw, customer_id, request_id)
    view = request_view(document)
    try:
        check_cancellation(view)
    except Refused as refused:
        raise refusal(refused) from None
    await record_privacy_cancellation(view, correlation_id=uuid.uuid4(), deps=gw.intake)
    location = request_url(customer_id, request_id)
    return JSONResponse(
        shown(document, PrivacyRequestOut), status_code=202, headers={"Location": location}
    )
