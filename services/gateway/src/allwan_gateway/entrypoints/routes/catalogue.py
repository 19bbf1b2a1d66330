"""What the store sells, as the orders service prices it (public)."""

from __future__ import annotations

from fastapi import APIRouter

from allwan_gateway.entrypoints.schemas import problems, responses
from allwan_gateway.entrypoints.security import GatewayDep

router = APIRouter(prefix="/v1")


@router.get("/catalogue", tags=["storefront"])
async def catalogue(gw: GatewayDep) -> responses.Catalogue:
    """What the store sells, with shelf prices (VAT included), as orders prices it."""
    found = await gw.queries.catalogue()
    if found is None:
        raise problems.unavailable("The catalogue has not reached the gateway yet.")
    return responses.Catalogue.model_validate(found)
