"""The export of a completed access request (PDPL: the right to obtain a copy), proxied
from the privacy service, which made it and keeps it sealed for 7 days; the gateway keeps
none of it. JSON (the published ``PrivacyExport`` schema) or, with ``Accept: text/html``,
the same in Arabic and English as a page to read and keep."""

from __future__ import annotations

from allwan_contracts.privacy_export import PrivacyExport
from fastapi import APIRouter, Request
from fastapi.responses import Response

from allwan_gateway.adapters.privacy_api import PrivacyUnavailable
from allwan_gateway.adapters.privacy_views import request_view
from allwan_gateway.domain.privacy import ExportExpired, NoExport, Refused, check_export
from allwan_gateway.entrypoints.routes.privacy import PROBLEM, own, refusal
from allwan_gateway.entrypoints.schemas import problems
from allwan_gateway.entrypoints.schemas.parameters import CustomerId, RequestId
from allwan_gateway.entrypoints.schemas.problems import ProblemError
from allwan_gateway.entrypoints.security import CustomerDep, GatewayDep, require_self

router = APIRouter(prefix="/v1", tags=["privacy"])
EXPORT_EXAMPLE = {
    "format": "allwan.privacy-export/1",
    "customer_id": "cust-1042",
    "request_id": "5b0c7a1e-3f43-5d5e-8a2b-91c0e6a4d7f2",
    "generated_at": "2026-03-01T09:31:02Z",
    "personal_data_held": True,
    "statement": None,
    "contact": {
        "name": "Noura Alqahtani",
        "email": "noura@example.com",
        "phone": "+966512345678",
        "billing_address": "Prince Sultan St 12, Jeddah",
    },
    "orders": [],
    "consents": [],
    "cookie_preferences": [],
    "emails": [{"kind": "order_placed", "at": "2026-02-20T18:02:11Z", "outcome": "sent"}],
    "privacy_requests": [],
    "disclosures": [],
}
# The page's own styles, nothing else: no scripts, images, fonts or frames.
_HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def wants_html(accept: str | None) -> bool:
    """Whether ``Accept`` asks for ``text/html`` (with a weight above 0)."""
    for member in (accept or "").split(","):
        media, *parameters = (part.strip() for part in member.split(";"))
        if media.lower() != "text/html":
            continue
        weights = [p[2:] for p in parameters if p.lower().startswith("q=")]
        try:
            return float(weights[0]) > 0 if weights else True
        except ValueError:
            return False
    return False


@router.get(
    "/customers/{customer_id}/privacy-requests/{request_id}/export",
    response_model=PrivacyExport,
    responses={
        200: {
            "description": "The export: JSON (the published ``PrivacyExport`` schema), or "
            "with ``Accept: text/html`` the same in Arabic and English as a page to read "
            "and keep. Never cached.",
            "content": {
                "application/json": {"example": EXPORT_EXAMPLE},
                "text/html": {
                    "schema": {"type": "string"},
                    "example": '<!doctype html><html lang="ar" dir="rtl">...</html>',
                },
            },
            "headers": {
                "Content-Disposition": {
                    "description": "A file name to save it under.",
                    "schema": {"type": "string"},
                }
            },
        },
        404: {"description": "No such request, or not an access request.", "content": PROBLEM},
        409: {"description": "Not completed yet.", "content": PROBLEM},
        410: {
            "description": "The export was destroyed: it is kept 7 days after completion.",
            "content": PROBLEM,
        },
    },
)
async def export(
    gw: GatewayDep,
    principal: CustomerDep,
    request: Request,
    customer_id: CustomerId,
    request_id: RequestId,
) -> Response:
    """The copy of the customer's data an access request made, from the privacy service
    (the gateway keeps none of it): available for 7 days after completion."""
    require_self(principal, customer_id)
    view = request_view(await own(gw, customer_id, request_id))
    try:
        check_export(view, gw.clock())
    except NoExport:
        raise problems.not_found("export") from None
    except ExportExpired as gone:
        raise ProblemError(410, gone.kind, gone.detail) from None
    except Refused as refused:
        raise refusal(refused) from None
    html = wants_html(request.headers.get("accept"))
    try:
        answer = await gw.privacy_api.export(request_id, customer_id, html=html)
    except PrivacyUnavailable:
        raise problems.unavailable("The privacy service cannot be reached; retry later.") from None
    if answer.status == 404:
        raise problems.not_found("export")
    if answer.status == 410:
        raise ProblemError(410, "export-expired", "The export was destroyed after 7 days.")
    headers = {
        "Cache-Control": "no-store",
        "Content-Disposition": (
            f'attachment; filename="privacy-export-{request_id}.{"html" if html else "json"}"'
        ),
    }
    if html:
        headers["Content-Security-Policy"] = _HTML_CSP  # its own styles, nothing else
    return Response(answer.content, media_type=answer.media_type, headers=headers)
