"""The audit trail, read by staff (S1): who did what to what, and when. Reading it is itself
an audited action."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from allwan_gateway.adapters.audit import ENTRY_ID_PATTERN, AuditQuery
from allwan_gateway.entrypoints.routes.staff import audit
from allwan_gateway.entrypoints.schemas import responses
from allwan_gateway.entrypoints.schemas.requests import DateTimeText
from allwan_gateway.entrypoints.security import GatewayDep, StaffDep

router = APIRouter(prefix="/v1/staff", tags=["staff"])

ACTOR_PATTERN = r"^staff:[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
ACTION_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.?$"
PAGE_SIZE = 50

Actor = Annotated[
    str | None,
    Query(pattern=ACTOR_PATTERN, description="Only this actor's entries (``staff:<id>``)."),
]
Action = Annotated[
    str | None,
    Query(
        max_length=100,
        pattern=ACTION_PATTERN,
        description="Only this action (``privacy.request.extend``), or, ending in ``.``, "
        "every action that starts with it (``privacy.``).",
    ),
]
Since = Annotated[
    DateTimeText | None,
    Query(description="Only entries at or after this instant (RFC 3339, with its offset)."),
]
Until = Annotated[
    DateTimeText | None,
    Query(description="Only entries at or before this instant (RFC 3339, with its offset)."),
]
Limit = Annotated[
    int, Query(ge=1, le=200, description=f"Entries per page, 1 to 200 ({PAGE_SIZE} if absent).")
]
Cursor = Annotated[
    str | None,
    Query(
        pattern=ENTRY_ID_PATTERN,
        description="Where the page starts: the ``next`` of the page before; the newest "
        "entries if absent.",
    ),
]


@router.get("/audit")
async def audit_trail(
    *,
    gw: GatewayDep,
    who: StaffDep,
    actor: Actor = None,
    action: Action = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = PAGE_SIZE,
    cursor: Cursor = None,
) -> responses.AuditTrail:
    """The audit trail of staff actions, newest first, a page at a time: who
    (``staff:<id>``, ``staff:api-key`` for the back office's key), what (``policy.publish``,
    ``privacy.request.extend``, ``staff.sign_in``, ...), on what, when, and the request id
    the resulting events carry. Reading it is audited first (``audit.read``), so the first
    page shows that read. Entries recorded before the trail was kept in time order (with
    UUIDs for ids) come after all others."""
    await audit(gw, who, "audit.read", "audit")
    query = AuditQuery(actor=actor, action=action, since=since, until=until)
    page = await gw.audit.read(query, before=cursor, limit=limit)
    return responses.AuditTrail.model_validate({"entries": page.entries, "next": page.next})
