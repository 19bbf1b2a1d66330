"""Accountability, proxied from the privacy service that keeps it (``adapters.privacy_api``):
the retention schedule with what its next run would do, and the record of processing. The
disclosure ledger and the breach register have routers of their own (``disclosures``,
``breaches``), which call the privacy service through ``ask_privacy``.

The gateway keeps none of it: it authenticates, audits staff's calls first (S1), validates
bodies (``schemas.accountability``), names the caller to the privacy service, and passes its
refusals on as the same problem. A privacy service it cannot read is a 503 with
``Retry-After``.
"""

from __future__ import annotations

from typing import Any

import structlog
from allwan_contracts.accountability import RecordOfProcessing, RetentionView
from fastapi import APIRouter
from pydantic import BaseModel, ValidationError

from allwan_gateway.adapters.privacy_api import Answer, PrivacyRefused, PrivacyUnavailable
from allwan_gateway.domain.auth import Principal
from allwan_gateway.domain.idempotency import InvalidIdempotencyKey, checked_key
from allwan_gateway.entrypoints.errors import location
from allwan_gateway.entrypoints.routes.staff import audit
from allwan_gateway.entrypoints.schemas import problems
from allwan_gateway.entrypoints.schemas.accountability import (
    BreachClosure,
    CustomerNotification,
    LegalDisclosure,
    NewBreach,
    RegulatorNotification,
)
from allwan_gateway.entrypoints.schemas.problems import ProblemError
from allwan_gateway.entrypoints.security import GatewayDep, StaffDep

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/v1/staff", tags=["staff"])

StaffBody = (
    LegalDisclosure | NewBreach | RegulatorNotification | CustomerNotification | BreachClosure
)


def creation_key(key: str) -> str:
    """The Idempotency-Key of a creation, or the 400 that refuses it."""
    try:
        return checked_key(key)
    except InvalidIdempotencyKey as error:
        raise ProblemError(400, "invalid-idempotency-key", str(error)) from None


def contract_of(body: StaffBody) -> BaseModel:
    """The contracts' request for ``body``, as the privacy service takes it."""
    try:
        return body.contract()
    except ValidationError as error:
        # Not expected (the gateway's model states the contract's rules), but a refusal.
        errors = [
            {"location": location(("body", *e["loc"])), "kind": e["type"]} for e in error.errors()
        ]
        raise problems.validation_failed(errors) from None


async def ask_privacy(
    gw: GatewayDep,
    who: Principal,
    method: str,
    path: str,
    answer: type[Answer],
    **options: Any,
) -> Answer:
    """``method path`` on the privacy service's internal API as ``who``; its refusal as the
    same problem, or 503 ``unavailable`` with ``Retry-After`` when it cannot be read."""
    try:
        return await gw.privacy_api.call(method, path, answer, actor=who.actor, **options)
    except PrivacyRefused as refused:
        raise ProblemError(
            refused.status, refused.kind, refused.detail, given_title=refused.title
        ) from None
    except PrivacyUnavailable as error:
        # The reason names a status or an exception type, never the request's data.
        log.warning("privacy.unavailable", reason=str(error))
        raise problems.unavailable("The privacy service cannot be reached; retry later.") from None


@router.get("/retention", response_model=RetentionView)
async def retention(gw: GatewayDep, who: StaffDep) -> RetentionView:
    """The retention schedule (each rule: the data, the event that ends its purpose, the
    period after it, the notice the customer gets first, what happens and why) and what its
    next run would do, in counts only: notices due, erasures due, customers in their notice
    period. Never who."""
    await audit(gw, who, "retention.read", "retention")
    return await ask_privacy(gw, who, "GET", "/internal/retention", RetentionView)


@router.get("/records-of-processing", response_model=RecordOfProcessing)
async def records_of_processing(gw: GatewayDep, who: StaffDep) -> RecordOfProcessing:
    """The record of processing activities: per purpose, the data held, its sources, the
    services that hold it, the recipients it is disclosed to and how long it is kept;
    generated from each service's declaration."""
    await audit(gw, who, "records_of_processing.read", "records_of_processing")
    return await ask_privacy(gw, who, "GET", "/internal/records-of-processing", RecordOfProcessing)
