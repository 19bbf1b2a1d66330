"""The disclosure ledger (D1-D3, P2): every time a customer's personal data left the store
for a recipient (the platform, a processor, an authority), what categories, why and on what
legal basis. The customer reads their own (S1), staff read any customer's and record the
disclosures the law required (D2), and the recipients' registry. Kept and served by the
privacy service (``routes.accountability.ask_privacy``)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from allwan_contracts.accountability import Disclosure, DisclosurePage
from fastapi import APIRouter, Body, Response

from allwan_gateway.domain.auth import Principal
from allwan_gateway.entrypoints.routes.accountability import (
    ask_privacy,
    contract_of,
    creation_key,
)
from allwan_gateway.entrypoints.routes.privacy import PROBLEM
from allwan_gateway.entrypoints.routes.staff import audit
from allwan_gateway.entrypoints.schemas.accountability import LegalDisclosure, Recipients
from allwan_gateway.entrypoints.schemas.parameters import (
    PAGE_SIZE,
    CreationKey,
    Cursor,
    CustomerId,
    PageSize,
)
from allwan_gateway.entrypoints.schemas.responses import LOCATION, link
from allwan_gateway.entrypoints.security import CustomerDep, GatewayDep, StaffDep, require_self

router = APIRouter(prefix="/v1")

OWN = "/v1/customers/{customer_id}/disclosures"
STAFF_LEDGER = "/v1/staff/customers/{customer_id}/disclosures"
_NEXT = {
    "Link": {
        "description": 'The next page, older entries: ``<...?cursor=...>; rel="next"``; absent '
        "on the last page.",
        "schema": {"type": "string"},
    }
}
_PAGE: dict[int | str, dict[str, Any]] = {
    200: {"description": "Newest first; ``next_cursor`` asks for the next page.", "headers": _NEXT},
    400: {"description": "A cursor the ledger did not give.", "content": PROBLEM},
}


async def _page(
    *,
    gw: GatewayDep,
    who: Principal,
    response: Response,
    customer_id: str,
    limit: int,
    cursor: str | None,
    shown_at: str,
) -> DisclosurePage:
    params = {"limit": str(limit)} | ({"cursor": cursor} if cursor is not None else {})
    page = await ask_privacy(
        gw,
        who,
        "GET",
        f"/internal/customers/{customer_id}/disclosures",
        DisclosurePage,
        params=params,
    )
    if page.next_cursor is not None:
        query = urlencode({"limit": limit, "cursor": page.next_cursor})
        where = shown_at.format(customer_id=customer_id)
        response.headers["Link"] = f'<{where}?{query}>; rel="next"'
    return page


@router.get(OWN.removeprefix("/v1"), tags=["privacy"], responses=_PAGE)
async def own_disclosures(
    *,
    gw: GatewayDep,
    principal: CustomerDep,
    response: Response,
    customer_id: CustomerId,
    limit: PageSize = PAGE_SIZE,
    cursor: Cursor = None,
) -> DisclosurePage:
    """Every time the customer's personal data left the store (D1-D3, P2): to whom (the
    platform, a processor, an authority), which categories of data, for what purpose, on
    what legal basis (``contract``, ``law`` with its reference, ``processor``) and when.
    Newest first, a page at a time. Never the data itself."""
    require_self(principal, customer_id)
    return await _page(
        gw=gw,
        who=principal,
        response=response,
        customer_id=customer_id,
        limit=limit,
        cursor=cursor,
        shown_at=OWN,
    )


@router.get(STAFF_LEDGER.removeprefix("/v1"), tags=["staff"], responses=_PAGE)
async def customer_disclosures(
    *,
    gw: GatewayDep,
    who: StaffDep,
    response: Response,
    customer_id: CustomerId,
    limit: PageSize = PAGE_SIZE,
    cursor: Cursor = None,
) -> DisclosurePage:
    """A customer's disclosure ledger, as the customer sees it: newest first, paged."""
    await audit(gw, who, "disclosures.read", f"customer:{customer_id}")
    return await _page(
        gw=gw,
        who=who,
        response=response,
        customer_id=customer_id,
        limit=limit,
        cursor=cursor,
        shown_at=STAFF_LEDGER,
    )


@router.post(
    "/staff/disclosures",
    tags=["staff"],
    status_code=201,
    response_model=Disclosure,
    responses={
        201: {
            "description": "Recorded in the customer's ledger (and their access export).",
            "headers": LOCATION,
            "links": {
                "GetCustomerDisclosures": link(
                    "GET",
                    STAFF_LEDGER,
                    "The customer's ledger, with this disclosure.",
                    customer_id="$response.body#/customer_id",
                )
            },
        },
        409: {
            "description": "The Idempotency-Key was used for a different disclosure.",
            "content": PROBLEM,
        },
        422: {
            "description": "Invalid, card data (C3), a recipient not in the registry "
            "(unknown-recipient), or disclosed in the future.",
            "content": PROBLEM,
        },
    },
)
async def record_disclosure(
    gw: GatewayDep,
    who: StaffDep,
    response: Response,
    body: Annotated[LegalDisclosure, Body()],
    idempotency_key: CreationKey,
) -> Disclosure:
    """D2: a disclosure the law required (a court order, a regulator's request), recorded
    by staff with its legal reference. It shows in the customer's ledger with the legal
    basis ``law`` and who recorded it."""
    key = creation_key(idempotency_key)
    request = contract_of(body)
    await audit(gw, who, "disclosure.record", f"customer:{body.customer_id}")
    recorded = await ask_privacy(
        gw, who, "POST", "/internal/disclosures", Disclosure, body=request, idempotency_key=key
    )
    response.headers["Location"] = STAFF_LEDGER.format(customer_id=recorded.customer_id)
    return recorded


@router.get("/staff/recipients", tags=["staff"], response_model=Recipients)
async def recipients(gw: GatewayDep, who: StaffDep) -> Recipients:
    """The recipients' registry: who receives customers' personal data (the platform, each
    processor, the authorities), in which country, what they receive, why, and on what legal
    basis (D1-D3)."""
    await audit(gw, who, "recipients.read", "recipients")
    return await ask_privacy(gw, who, "GET", "/internal/recipients", Recipients)
