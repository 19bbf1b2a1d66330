"""The staff API (S1: staff role, every action audited): policies, consent proof, withdrawals
received by email or phone (K3), and the notifier's delivery ledger (PC2)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from allwan_contracts import ConsentEvidence
from allwan_contracts.fields import Channel
from allwan_contracts.intake import ConsentAction
from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse

from allwan_gateway.adapters.notifier import NotifierUnavailable
from allwan_gateway.domain.auth import Principal
from allwan_gateway.domain.policy_window import EffectiveAtRefused, check_effective_at
from allwan_gateway.entrypoints.schemas import problems, responses
from allwan_gateway.entrypoints.schemas.parameters import ID_PATTERN, CustomerId
from allwan_gateway.entrypoints.schemas.problems import ProblemError
from allwan_gateway.entrypoints.schemas.requests import PublishPolicy, StaffWithdrawal
from allwan_gateway.entrypoints.schemas.responses import LOCATION, link
from allwan_gateway.entrypoints.security import GatewayDep, StaffDep
from allwan_gateway.handlers import intake

router = APIRouter(prefix="/v1/staff", tags=["staff"])


async def audit(gw: GatewayDep, who: Principal, action: str, target: str) -> uuid.UUID:
    """Write the audit entry first: an action that cannot be audited is not carried out."""
    request_id = uuid.uuid4()
    await gw.audit.record(who.actor, action, target, str(request_id))
    return request_id


@router.post(
    "/policies",
    status_code=202,
    responses={
        202: {
            "headers": LOCATION,
            "links": {
                "GetPolicy": link(
                    "GET", "/v1/policy", "The policy in force, once this version is published."
                )
            },
        }
    },
)
async def publish_policy(
    gw: GatewayDep, who: StaffDep, body: PublishPolicy, response: Response
) -> responses.Accepted:
    """Publish a new version of the privacy policy (PC1); the consent service numbers it and
    it is served at ``/v1/policy`` as soon as it is published. Material changes are emailed
    to every customer once (PC2). ``effective_at`` may be at most 5 minutes before now and
    at most 366 days ahead (422 ``effective-at-refused``)."""
    try:
        check_effective_at(body.effective_at, gw.clock())
    except EffectiveAtRefused as refused:
        raise ProblemError(
            422,
            "effective-at-refused",
            str(refused),
            extensions={"errors": [{"location": "body.effective_at", "kind": refused.kind}]},
        ) from None
    request_id = await audit(gw, who, "policy.publish", "policy:privacy")
    await intake.record_policy(
        body, requested_by=who.actor, correlation_id=request_id, deps=gw.intake
    )
    response.headers["Location"] = "/v1/policy"
    return responses.Accepted(status_url="/v1/policy")


@router.get("/customers/{customer_id}/consent-proof")
async def consent_proof(
    gw: GatewayDep, who: StaffDep, customer_id: CustomerId
) -> responses.ConsentProof:
    """Every grant and withdrawal of the customer, with channel, policy version and evidence."""
    await audit(gw, who, "consent.proof.read", f"customer:{customer_id}")
    entries = await gw.queries.consent_proof(customer_id)
    return responses.ConsentProof(customer_id=customer_id, entries=entries)


@router.post(
    "/customers/{customer_id}/consent-withdrawals",
    status_code=202,
    responses={
        202: {
            "headers": LOCATION,
            "links": {
                "GetConsentProof": link(
                    "GET",
                    "/v1/staff/customers/{customer_id}/consent-proof",
                    "The customer's consent proof, with this withdrawal once recorded.",
                    customer_id="$request.path.customer_id",
                )
            },
        }
    },
)
async def record_withdrawal(
    gw: GatewayDep,
    who: StaffDep,
    customer_id: CustomerId,
    body: StaffWithdrawal,
    response: Response,
) -> responses.Accepted:
    """K3: a withdrawal the customer sent by email or phone, with the message's reference."""
    request_id = await audit(gw, who, "consent.withdrawal.record", f"customer:{customer_id}")
    await intake.record_consent_change(
        customer_id=customer_id,
        purpose=body.purpose,
        action=ConsentAction.WITHDRAW,
        channel=Channel(body.channel),
        evidence=ConsentEvidence(message_reference=body.message_reference),
        requested_by=who.actor,
        correlation_id=request_id,
        deps=gw.intake,
    )
    location = f"/v1/staff/customers/{customer_id}/consent-proof"
    response.headers["Location"] = location
    return responses.Accepted(status_url=location)


async def _ledger(gw: GatewayDep, path: str, params: dict[str, str] | None = None) -> Any:
    try:
        status, body = await gw.notifier.get(path, params)
    except NotifierUnavailable as error:
        raise problems.unavailable(f"The notifier's ledger cannot be read: {error}.") from None
    if status == 200:
        return body
    if status in {400, 404}:
        detail = body.get("error") if isinstance(body, dict) else None
        raise problems.problem_for_status(status, str(detail or "") or None)
    raise problems.problem_for_status(502)


Version = Annotated[int, Path(ge=1, le=1_000_000)]
LedgerState = Literal["pending", "sending", "sent", "failed", "skipped"]


@router.get("/ledger/policies/{version}", response_model=Any)
async def policy_ledger(
    *,
    gw: GatewayDep,
    who: StaffDep,
    version: Version,
    status: LedgerState | None = None,
    customer_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    after: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JSONResponse:
    """PC2: who was told of policy version ``version`` and when, from the notifier's ledger
    (paged by ``after``; ``customer_id`` for one customer's entry)."""
    await audit(gw, who, "ledger.policy.read", f"policy:v{version}")
    params = {"version": str(version), "limit": str(limit)}
    params |= {
        k: v for k, v in {"status": status, "customer_id": customer_id, "after": after}.items() if v
    }
    return JSONResponse(await _ledger(gw, "/ledger/policies", params))


@router.get("/ledger/policies/{version}/counts", response_model=Any)
async def policy_ledger_counts(gw: GatewayDep, who: StaffDep, version: Version) -> JSONResponse:
    """PC2: how many customers were told of version ``version``, by delivery state."""
    await audit(gw, who, "ledger.counts.read", f"policy:v{version}")
    return JSONResponse(await _ledger(gw, "/ledger/policies/counts", {"version": str(version)}))


@router.get("/ledger/jobs", response_model=Any)
async def ledger_jobs(gw: GatewayDep, who: StaffDep) -> JSONResponse:
    """The notifier's fan-out jobs (one per material policy version) and their progress."""
    await audit(gw, who, "ledger.jobs.read", "ledger")
    return JSONResponse(await _ledger(gw, "/ledger/jobs"))
