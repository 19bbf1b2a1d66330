"""Staff and privacy requests (S1: staff role, every action audited first): the queue with
the days left on each, requests received by email or phone (with the identity check staff
made), an extension of the deadline (once, up to 30 days, with a reason the customer is
told) and a denial for a legal reason."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from allwan_contracts.fields import Channel
from allwan_contracts.privacy import (
    IdentityCheck,
    PrivacyRequestState,
)
from allwan_runtime.mongo import Document
from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from allwan_gateway.adapters.privacy_views import request_view
from allwan_gateway.domain.privacy import (
    Refused,
    check_denial,
    check_extension,
    days_left,
    overdue,
)
from allwan_gateway.entrypoints.routes.privacy import PROBLEM, REQUEST, refusal, shown, submit
from allwan_gateway.entrypoints.routes.staff import audit
from allwan_gateway.entrypoints.schemas import problems
from allwan_gateway.entrypoints.schemas.parameters import PrivacyIdempotencyKey, RequestId
from allwan_gateway.entrypoints.schemas.privacy_requests import (
    Denial,
    Extension,
    StaffPrivacyRequest,
)
from allwan_gateway.entrypoints.schemas.privacy_responses import PrivacyQueue, QueueItem
from allwan_gateway.entrypoints.schemas.responses import LOCATION, link
from allwan_gateway.entrypoints.security import GatewayDep, StaffDep
from allwan_gateway.handlers.privacy import record_privacy_denial, record_privacy_extension

router = APIRouter(prefix="/v1/staff", tags=["staff"])

QUEUE = "/v1/staff/privacy-requests"
ITEM = QUEUE + "/{request_id}"


def item_url(request_id: str) -> str:
    return ITEM.format(request_id=request_id)


def _links(request_id: str) -> dict[str, Any]:
    return {
        "GetQueuedPrivacyRequest": link("GET", ITEM, "The request.", request_id=request_id),
        "ExtendPrivacyRequest": link(
            "POST", ITEM + "/extension", "Extend its deadline.", request_id=request_id
        ),
        "DenyPrivacyRequest": link(
            "POST", ITEM + "/denial", "Refuse it for a legal reason.", request_id=request_id
        ),
    }


def queue_item(document: Document, now: datetime) -> dict[str, Any]:
    view = request_view(document)
    left = days_left(view.deadline, now) if view.is_open else None
    return shown(document, QueueItem, days_left=left, overdue=overdue(view, now))


def _accepted(document: Document, now: datetime) -> JSONResponse:
    location = item_url(document["_id"])
    return JSONResponse(queue_item(document, now), status_code=202, headers={"Location": location})


async def _found(gw: GatewayDep, request_id: str) -> Document:
    found = await gw.privacy.get(request_id)
    if found is None:
        raise problems.not_found("privacy request")
    return found


@router.get(
    "/privacy-requests",
    responses={200: {"links": _links("$response.body#/requests/0/request_id")}},
)
async def queue(
    gw: GatewayDep,
    who: StaffDep,
    state: Annotated[
        PrivacyRequestState | None,
        Query(description="Requests in this state; the open ones when absent."),
    ] = None,
    overdue_only: Annotated[
        bool | None,
        Query(
            alias="overdue",
            description="true: only those past their deadline; false: only those that are not.",
        ),
    ] = None,
) -> PrivacyQueue:
    """The privacy requests to answer, oldest deadline first, with the days left on each
    (PDPL: 30 days from receipt, or the extended date)."""
    await audit(gw, who, "privacy.queue.read", "privacy_requests")
    now = gw.clock()
    items = []
    for document in await gw.privacy.everyone():
        view = request_view(document)
        if (view.state is not state) if state is not None else not view.is_open:
            continue
        if overdue_only is not None and overdue(view, now) is not overdue_only:
            continue
        items.append((view.deadline, view.received_at, document))
    items.sort(key=lambda item: (item[0], item[1], item[2]["_id"]))
    return PrivacyQueue.model_validate({"requests": [queue_item(d, now) for *_, d in items]})


@router.get(
    "/privacy-requests/{request_id}", responses={200: {"links": _links("$request.path.request_id")}}
)
async def queued(gw: GatewayDep, who: StaffDep, request_id: RequestId) -> QueueItem:
    """One privacy request, with the days left."""
    await audit(gw, who, "privacy.request.read", f"privacy_request:{request_id}")
    return QueueItem.model_validate(queue_item(await _found(gw, request_id), gw.clock()))


@router.post(
    "/privacy-requests",
    status_code=202,
    response_model=QueueItem,
    responses={
        202: {
            "description": "Recorded; the privacy service takes it from here.",
            "headers": LOCATION,
            "links": _links("$response.body#/request_id")
            | {
                "CustomersView": link(
                    "GET",
                    REQUEST,
                    "The request as the customer sees it (with their own token).",
                    customer_id="$response.body#/customer_id",
                    request_id="$response.body#/request_id",
                )
            },
        },
        409: {
            "description": "A request of this kind is open for the customer (``open_request``"
            " and Location name it), the Idempotency-Key was used for another request, or "
            "there is nothing left to correct (erased).",
            "content": PROBLEM,
        },
    },
)
async def record(
    gw: GatewayDep,
    who: StaffDep,
    body: Annotated[StaffPrivacyRequest, Body()],
    idempotency_key: PrivacyIdempotencyKey = None,
) -> JSONResponse:
    """A request the customer sent by email or phone, with the check staff made that the
    requester is the customer. Its clock runs from now, as a web request's does."""
    correlation_id = await audit(gw, who, "privacy.request.record", f"customer:{body.customer_id}")
    request_id = await submit(
        gw,
        body,
        customer_id=body.customer_id,
        key=idempotency_key,
        channel=Channel(body.channel),
        identity_check=IdentityCheck(body.identity_check),
        requested_by=who.actor,
        location=item_url,
        correlation_id=correlation_id,
    )
    return _accepted(await _found(gw, request_id), gw.clock())


_CHANGED: dict[int | str, dict[str, Any]] = {
    202: {
        "description": "Recorded; the request shows it once the privacy service applies it.",
        "headers": LOCATION,
    },
    409: {
        "description": "The request is finished, already extended, or past its deadline.",
        "content": PROBLEM,
    },
}


@router.post(
    "/privacy-requests/{request_id}/extension",
    status_code=202,
    response_model=QueueItem,
    responses={
        **_CHANGED,
        202: _CHANGED[202] | {"links": _links("$request.path.request_id")},
    },
)
async def extend(
    gw: GatewayDep, who: StaffDep, request_id: RequestId, body: Extension
) -> JSONResponse:
    """PDPL: extend the deadline once, by 1 to 30 days, before it passes; the customer is
    emailed the new date and the reason."""
    correlation_id = await audit(gw, who, "privacy.request.extend", f"privacy_request:{request_id}")
    document = await _found(gw, request_id)
    view = request_view(document)
    now = gw.clock()
    try:
        check_extension(view, now)
    except Refused as refused:
        raise refusal(refused) from None
    await record_privacy_extension(
        view,
        days=body.days,
        reason=body.reason,
        requested_by=who.actor,
        correlation_id=correlation_id,
        deps=gw.intake,
    )
    return _accepted(document, now)


@router.post(
    "/privacy-requests/{request_id}/denial",
    status_code=202,
    response_model=QueueItem,
    responses={
        **_CHANGED,
        202: _CHANGED[202] | {"links": _links("$request.path.request_id")},
        409: {"description": "The request is finished.", "content": PROBLEM},
    },
)
async def deny(gw: GatewayDep, who: StaffDep, request_id: RequestId, body: Denial) -> JSONResponse:
    """Refuse an open request for a legal reason; the customer is emailed the reason."""
    correlation_id = await audit(gw, who, "privacy.request.deny", f"privacy_request:{request_id}")
    document = await _found(gw, request_id)
    view = request_view(document)
    try:
        check_denial(view)
    except Refused as refused:
        raise refusal(refused) from None
    await record_privacy_denial(
        view,
        reason=body.reason,
        explanation=body.explanation,
        requested_by=who.actor,
        correlation_id=correlation_id,
        deps=gw.intake,
    )
    return _accepted(document, gw.clock())
