"""What the API answers about privacy requests: a request with its deadline and history
(who did what, when), a customer's list, and staff's queue with the days left on each."""

from __future__ import annotations

from datetime import datetime

from allwan_contracts.fields import Channel
from allwan_contracts.privacy import (
    DenialReason,
    PrivacyRequestKind,
    PrivacyRequestState,
)
from pydantic import BaseModel, ConfigDict, Field

_REQUEST_ID = "5b0c7a1e-3f43-5d5e-8a2b-91c0e6a4d7f2"


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class HistoryEntry(_Out):
    state: PrivacyRequestState
    at: datetime
    by: str = Field(description="Who: customer, staff:<id> or service:privacy.")


class PrivacyRequestOut(_Out):
    """A privacy request: until the privacy service acknowledges it, as the gateway recorded
    it (``received``, due 30 days later)."""

    model_config = ConfigDict(
        extra="ignore",
        title="PrivacyRequest",
        json_schema_extra={
            "examples": [
                {
                    "request_id": _REQUEST_ID,
                    "customer_id": "cust-1042",
                    "kind": "access",
                    "state": "in_progress",
                    "channel": "web",
                    "received_at": "2026-03-01T09:30:00Z",
                    "due_at": "2026-03-31T09:30:00Z",
                    "extended_until": None,
                    "export_expires_at": None,
                    "denial_reason": None,
                    "history": [
                        {"state": "received", "at": "2026-03-01T09:30:00Z", "by": "customer"},
                        {
                            "state": "identity_verified",
                            "at": "2026-03-01T09:30:00Z",
                            "by": "service:privacy",
                        },
                        {
                            "state": "in_progress",
                            "at": "2026-03-01T09:30:00Z",
                            "by": "service:privacy",
                        },
                    ],
                }
            ]
        },
    )

    request_id: str
    customer_id: str
    kind: PrivacyRequestKind
    state: PrivacyRequestState
    channel: Channel | None = None
    received_at: datetime
    due_at: datetime = Field(description="30 days after receipt (PDPL).")
    extended_until: datetime | None = Field(
        default=None, description="The new deadline, once extended (once, by up to 30 days)."
    )
    export_expires_at: datetime | None = Field(
        default=None, description="A completed access request: its export until then."
    )
    denial_reason: DenialReason | None = None
    history: list[HistoryEntry]


class PrivacyRequestsOut(_Out):
    """The customer's privacy requests, newest first."""

    requests: list[PrivacyRequestOut]


class QueueItem(PrivacyRequestOut):
    """A request in staff's queue: whose, and the days left to answer it."""

    model_config = ConfigDict(
        extra="ignore",
        title="PrivacyQueueItem",
        json_schema_extra={
            "examples": [
                {
                    "request_id": _REQUEST_ID,
                    "customer_id": "cust-1042",
                    "kind": "erasure",
                    "state": "in_progress",
                    "channel": "phone",
                    "received_at": "2026-03-01T09:30:00Z",
                    "due_at": "2026-03-31T09:30:00Z",
                    "extended_until": "2026-04-20T09:30:00Z",
                    "export_expires_at": None,
                    "denial_reason": None,
                    "history": [
                        {"state": "received", "at": "2026-03-01T09:30:00Z", "by": "staff:s-7"},
                        {
                            "state": "identity_verified",
                            "at": "2026-03-01T09:30:00Z",
                            "by": "staff:s-7",
                        },
                        {
                            "state": "in_progress",
                            "at": "2026-03-01T09:45:00Z",
                            "by": "service:privacy",
                        },
                    ],
                    "days_left": 12,
                    "overdue": False,
                }
            ]
        },
    )

    days_left: int | None = Field(
        description="Whole days to the deadline: 0 on its last day, negative once overdue; "
        "null once the request is finished."
    )
    overdue: bool


class PrivacyQueue(_Out):
    """Staff's queue: oldest deadline first."""

    requests: list[QueueItem]
