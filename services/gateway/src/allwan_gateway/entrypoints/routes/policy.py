"""The privacy policy in force, every published version, and its privacy contact (public)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from allwan_gateway.entrypoints.schemas import problems, responses
from allwan_gateway.entrypoints.schemas.responses import link
from allwan_gateway.entrypoints.security import GatewayDep

router = APIRouter(prefix="/v1", tags=["policy"])


@router.get(
    "/policy",
    responses={
        200: {
            "links": {
                "GetVersion": link(
                    "GET",
                    "/v1/policy/versions/{version}",
                    "This version.",
                    version="$response.body#/version",
                ),
                "LedgerOfVersion": link(
                    "GET",
                    "/v1/staff/ledger/policies/{version}",
                    "Staff: who was told of this version (PC2).",
                    version="$response.body#/version",
                ),
                "LedgerCountsOfVersion": link(
                    "GET",
                    "/v1/staff/ledger/policies/{version}/counts",
                    "Staff: how many were told of this version (PC2).",
                    version="$response.body#/version",
                ),
            }
        }
    },
)
async def current_policy(gw: GatewayDep) -> responses.Policy:
    """The privacy policy in force, in Arabic and English (PC1), with its contact (CT1)."""
    found = await gw.queries.policy()
    if found is None:
        raise problems.not_found("published policy")
    return responses.Policy.model_validate(found)


@router.get(
    "/policy/versions",
    responses={
        200: {
            "links": {
                "GetFirstVersion": link(
                    "GET",
                    "/v1/policy/versions/{version}",
                    "The first version.",
                    version="$response.body#/versions/0/version",
                )
            }
        }
    },
)
async def policy_history(gw: GatewayDep) -> responses.PolicyHistory:
    """Every published version, oldest first (PC1)."""
    versions = [
        responses.PolicySummary.model_validate(v) for v in await gw.queries.policy_history()
    ]
    return responses.PolicyHistory(versions=versions)


@router.get("/policy/versions/{version}")
async def policy_version(
    gw: GatewayDep, version: Annotated[int, Path(ge=1, le=1_000_000)]
) -> responses.Policy:
    """One published version, both texts."""
    found = await gw.queries.policy(version)
    if found is None:
        raise problems.not_found("policy version")
    return responses.Policy.model_validate(found)


@router.get("/privacy-contact")
async def privacy_contact(gw: GatewayDep) -> responses.Contact:
    """CT1: phone, WhatsApp and email for privacy questions and withdrawals (K3)."""
    found = await gw.queries.policy()
    if found is None:
        raise problems.not_found("published policy")
    return responses.Contact.model_validate(found["contact"])
