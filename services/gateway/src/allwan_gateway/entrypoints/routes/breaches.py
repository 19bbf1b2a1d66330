"""The breach register (S2; PDPL: the regulator is told within 72 hours of detection), for
staff: open a breach, follow it (overdue first), record that the regulator was told, have
every affected customer told (each once, by email, in their language), close it, and the
report for the regulator. Kept by the privacy service (``routes.accountability``); each
call audited first, naming the breach."""

from __future__ import annotations

from typing import Annotated, Any

from allwan_contracts.accountability import Breach, BreachList, BreachReport
from allwan_contracts.breaches import BreachState
from fastapi import APIRouter, Body, Query, Response

from allwan_gateway.entrypoints.routes.accountability import (
    StaffBody,
    ask_privacy,
    contract_of,
    creation_key,
)
from allwan_gateway.entrypoints.routes.privacy import PROBLEM
from allwan_gateway.entrypoints.routes.staff import audit
from allwan_gateway.entrypoints.schemas.accountability import (
    BreachClosure,
    CustomerNotification,
    NewBreach,
    RegulatorNotification,
)
from allwan_gateway.entrypoints.schemas.parameters import BreachId, CreationKey
from allwan_gateway.entrypoints.schemas.responses import LOCATION, link
from allwan_gateway.entrypoints.security import GatewayDep, StaffDep

router = APIRouter(prefix="/v1/staff", tags=["staff"])

BREACHES = "/v1/staff/breaches"
BREACH = BREACHES + "/{breach_id}"
# The customers' notification can take a while: one notice recorded per affected customer.
NOTIFYING_TIMEOUT_S = 30.0


def breach_url(breach_id: str) -> str:
    return BREACH.format(breach_id=breach_id)


def _links(breach_id: str) -> dict[str, Any]:
    """Links from an answer naming a breach (``breach_id``, a runtime expression)."""
    steps = {
        "GetBreach": ("GET", "", "The breach."),
        "NotifyRegulator": ("POST", "/regulator-notification", "Record the regulator's notice."),
        "NotifyCustomers": ("POST", "/notifications", "Tell every affected customer."),
        "CloseBreach": ("POST", "/closure", "Close it."),
        "GetBreachReport": ("GET", "/report", "The report for the regulator."),
    }
    return {
        name: link(method, BREACH + tail, description, breach_id=breach_id)
        for name, (method, tail, description) in steps.items()
    }


_HERE = _links("$request.path.breach_id")
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such breach.", "content": PROBLEM}
}
_STEP: dict[int | str, dict[str, Any]] = _NOT_FOUND | {
    409: {
        "description": "The breach's state does not allow this step (open, regulator_notified, "
        "customers_notified, closed, in that order; closed also from regulator_notified), or "
        "the step was made with another body.",
        "content": PROBLEM,
    }
}


async def _step(
    gw: GatewayDep,
    who: StaffDep,
    breach_id: str,
    body: StaffBody,
    *,
    step: str,
    action: str,
    **options: Any,
) -> Breach:
    """One step of the breach's life: validated, audited, then asked of the privacy service."""
    request = contract_of(body)
    await audit(gw, who, action, f"breach:{breach_id}")
    path = f"/internal/breaches/{breach_id}/{step}"
    return await ask_privacy(gw, who, "POST", path, Breach, body=request, **options)


@router.post(
    "/breaches",
    status_code=201,
    response_model=Breach,
    responses={
        201: {
            "description": "Registered, with its regulator deadline (detected + 72 h).",
            "headers": LOCATION,
            "links": _links("$response.body#/breach_id"),
        },
        409: {
            "description": "The Idempotency-Key was used for a different breach.",
            "content": PROBLEM,
        },
        422: {
            "description": "Invalid, card data (C3), or detected in the future "
            "(detected-in-future).",
            "content": PROBLEM,
        },
    },
)
async def open_breach(
    gw: GatewayDep,
    who: StaffDep,
    response: Response,
    body: Annotated[NewBreach, Body()],
    idempotency_key: CreationKey,
) -> Breach:
    """Register a breach of personal data (S2). Its regulator deadline is 72 hours after
    ``detected_at`` (PDPL); the affected customers are counted when it is opened (listed by
    id, or every customer with an order placed in the window)."""
    key = creation_key(idempotency_key)
    request = contract_of(body)
    await audit(gw, who, "breach.open", "breaches")
    opened = await ask_privacy(
        gw, who, "POST", "/internal/breaches", Breach, body=request, idempotency_key=key
    )
    response.headers["Location"] = breach_url(opened.breach_id)
    return opened


@router.get("/breaches", responses={200: {"links": _links("$response.body#/breaches/0/breach_id")}})
async def breaches(
    gw: GatewayDep,
    who: StaffDep,
    state: Annotated[
        BreachState | None, Query(description="Breaches in this state; all when absent.")
    ] = None,
    overdue: Annotated[
        bool | None,
        Query(
            description="true: only those whose regulator deadline passed unnotified; false: "
            "only those that are not."
        ),
    ] = None,
) -> BreachList:
    """The register: overdue breaches first, then by nearest regulator deadline, then by
    detection; each with its hours to the deadline while the regulator is not notified."""
    await audit(gw, who, "breaches.read", "breaches")
    params = {"state": state.value} if state is not None else {}
    if overdue is not None:
        params["overdue"] = "true" if overdue else "false"
    return await ask_privacy(gw, who, "GET", "/internal/breaches", BreachList, params=params)


@router.get("/breaches/{breach_id}", responses=_NOT_FOUND | {200: {"links": _HERE}})
async def breach(gw: GatewayDep, who: StaffDep, breach_id: BreachId) -> Breach:
    """One breach: its state, deadline, the steps so far (when, who) and how many customers
    it affects."""
    await audit(gw, who, "breach.read", f"breach:{breach_id}")
    return await ask_privacy(gw, who, "GET", f"/internal/breaches/{breach_id}", Breach)


@router.post(
    "/breaches/{breach_id}/regulator-notification",
    response_model=Breach,
    responses=_STEP | {200: {"links": _HERE}},
)
async def notify_regulator(
    gw: GatewayDep, who: StaffDep, breach_id: BreachId, body: RegulatorNotification
) -> Breach:
    """Record that the regulator was told (its reference, and when): the deadline no
    longer runs. The same body again answers the breach as it is."""
    return await _step(
        gw, who, breach_id, body, step="regulator-notification", action="breach.regulator.notify"
    )


@router.post(
    "/breaches/{breach_id}/notifications",
    status_code=202,
    response_model=Breach,
    responses=_STEP
    | {
        202: {
            "description": "Every affected customer is owed the notice, once; the notifier "
            "emails each in their language.",
            "links": _HERE,
        }
    },
)
async def notify_customers(
    gw: GatewayDep, who: StaffDep, breach_id: BreachId, body: CustomerNotification
) -> Breach:
    """Tell every affected customer (after the regulator): each gets one email in their
    language, whatever the retries. ``notified_customers`` is how many."""
    return await _step(
        gw,
        who,
        breach_id,
        body,
        step="notifications",
        action="breach.customers.notify",
        timeout_s=max(NOTIFYING_TIMEOUT_S, gw.settings.privacy_timeout_s),
    )


@router.post(
    "/breaches/{breach_id}/closure",
    response_model=Breach,
    responses=_STEP | {200: {"links": _HERE}},
)
async def close_breach(
    gw: GatewayDep, who: StaffDep, breach_id: BreachId, body: BreachClosure
) -> Breach:
    """Close the breach with a summary: after the customers were told, or after the
    regulator when no customer needs telling."""
    return await _step(gw, who, breach_id, body, step="closure", action="breach.close")


@router.get(
    "/breaches/{breach_id}/report",
    responses=_NOT_FOUND | {200: {"description": "The report, as JSON."}},
)
async def report(gw: GatewayDep, who: StaffDep, breach_id: BreachId) -> BreachReport:
    """The breach as the regulator is told of it (``allwan.breach-report/1``): the
    controller and its contact, and the breach with its history."""
    await audit(gw, who, "breach.report.read", f"breach:{breach_id}")
    path = f"/internal/breaches/{breach_id}/report"
    return await ask_privacy(gw, who, "GET", path, BreachReport)
