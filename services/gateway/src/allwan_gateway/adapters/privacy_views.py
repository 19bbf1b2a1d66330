"""The privacy requests the API shows, in the gateway's own database: each request by its
id (``privacy_requests``), and each customer's list of requests
(``customer_privacy_requests``, slots claimed by insert: ``allwan_runtime.customer_lists``).

A request the gateway records is shown at once as the gateway saw it (state ``received``,
due 30 days after it was recorded, version 0); the privacy service's events, from
``PrivacyRequestReceived`` on, replace that with what it decided. Each event is applied
once per version (``apply_once``); the history keeps one entry per change of state, keyed
by version (``PrivacyRequestReceived`` takes the place of the gateway's own entry).

Nothing personal is projected: ids, kinds, states, dates and who acted (``customer``,
``staff:<id>``, ``service:privacy``); a correction's values stay sealed in the intake event.
An erasure (``CustomerErased``) leaves these views as they are: they are the proof that the
request was answered, and in time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from allwan_contracts import Event
from allwan_contracts.envelope import Envelope
from allwan_contracts.privacy import (
    PrivacyExportDestroyed,
    PrivacyRequestCancelled,
    PrivacyRequestCompleted,
    PrivacyRequestDenied,
    PrivacyRequestExtended,
    PrivacyRequestIdentityVerified,
    PrivacyRequestKind,
    PrivacyRequestReceived,
    PrivacyRequestStarted,
    PrivacyRequestState,
)
from allwan_runtime.customer_lists import CustomerList
from allwan_runtime.mongo import Document

from allwan_gateway.domain.privacy import RequestView, due_at
from allwan_gateway.handlers.ports import Documents, PendingPrivacyRequest

PRIVACY_REQUESTS = "privacy_requests"
CUSTOMER_PRIVACY_REQUESTS = "customer_privacy_requests"
FINGERPRINT = "_fingerprint"
RECEIVED = "0"
"""The history key of the receipt: the gateway's own, then the privacy service's."""
PRIVACY_SERVICE = "service:privacy"


def _entry(state: PrivacyRequestState, at: datetime, by: str) -> Document:
    return {"state": state.value, "at": at, "by": by}


def pending_document(request: PendingPrivacyRequest) -> Document:
    """A request the gateway recorded that the privacy service has not acknowledged yet."""
    at, received = request.received_at, PrivacyRequestState.RECEIVED
    return {
        "_id": request.request_id,
        "_v": 0,
        "customer_id": request.customer_id,
        "kind": request.kind.value,
        "channel": request.channel.value,
        "state": received.value,
        "received_at": at,
        "due_at": due_at(at),
        "extended_until": None,
        "history": {RECEIVED: _entry(received, at, request.requested_by)},
    }


def _moved(state: PrivacyRequestState, version: int, at: datetime, by: str) -> Document:
    return {"state": state.value, f"history.{version}": _entry(state, at, by)}


def request_fields(envelope: Envelope, event: Event) -> Document:  # noqa: PLR0911 - one arm each
    """What one of the privacy service's events says about the request, as ``$set`` fields."""
    version = envelope.aggregate_version
    match event:
        case PrivacyRequestReceived():
            received = PrivacyRequestState.RECEIVED
            return {
                "customer_id": event.customer_id,
                "kind": event.kind.value,
                "channel": event.channel.value,
                "state": received.value,
                "received_at": event.received_at,
                "due_at": event.due_at,
                f"history.{RECEIVED}": _entry(received, event.received_at, event.by),
            }
        case PrivacyRequestIdentityVerified():
            return _moved(PrivacyRequestState.IDENTITY_VERIFIED, version, event.at, event.by)
        case PrivacyRequestStarted():
            return _moved(PrivacyRequestState.IN_PROGRESS, version, event.at, event.by)
        case PrivacyRequestExtended():
            return {"extended_until": event.extended_until}
        case PrivacyRequestCompleted():
            done = _moved(PrivacyRequestState.COMPLETED, version, event.at, PRIVACY_SERVICE)
            return done | {"export_expires_at": event.export_expires_at}
        case PrivacyRequestDenied():
            denied = _moved(PrivacyRequestState.DENIED, version, event.at, event.by)
            return denied | {"denial_reason": event.reason.value}
        case PrivacyRequestCancelled():
            return _moved(PrivacyRequestState.CANCELLED, version, event.at, event.by)
        case PrivacyExportDestroyed():
            return {"export_destroyed_at": event.at}
    return {}


def _received(document: Document) -> bool:
    # Events of a request whose receipt this view never saw (it left ``allwan.privacy``
    # before a brand-new gateway database read the topic) say too little to show it.
    return "kind" in document and "received_at" in document


def request_view(document: Document) -> RequestView:
    """A request as the rules of ``domain.privacy`` read it."""
    return RequestView(
        request_id=document["_id"],
        customer_id=document["customer_id"],
        kind=PrivacyRequestKind(document["kind"]),
        state=PrivacyRequestState(document["state"]),
        received_at=document["received_at"],
        due_at=document["due_at"],
        extended_until=document.get("extended_until"),
        export_expires_at=document.get("export_expires_at"),
        export_destroyed=document.get("export_destroyed_at") is not None,
        acknowledged=int(document.get("_v", 0)) > 0,
    )


def public_view(document: Document) -> dict[str, Any]:
    """A request as the API shows it: its history oldest first."""
    history = document.get("history") or {}
    return {
        "request_id": document["_id"],
        "customer_id": document["customer_id"],
        "kind": document["kind"],
        "state": document["state"],
        "channel": document.get("channel"),
        "received_at": document["received_at"],
        "due_at": document["due_at"],
        "extended_until": document.get("extended_until"),
        "export_expires_at": document.get("export_expires_at"),
        "denial_reason": document.get("denial_reason"),
        "history": [history[key] for key in sorted(history, key=int)],
    }


@dataclass
class PrivacyViews:
    """The privacy views and the customers' lists: ``handlers.ports.PrivacyRequests`` for
    intake, and what the API reads."""

    documents: Documents
    customers: CustomerList

    @classmethod
    def over(cls, documents: Documents) -> PrivacyViews:
        return cls(documents, CustomerList(documents, CUSTOMER_PRIVACY_REQUESTS, "request_id"))

    async def get(self, request_id: str) -> Document | None:
        found = await self.documents.get(PRIVACY_REQUESTS, request_id)
        return found if found is not None and _received(found) else None

    async def known(self, request_id: str) -> bool:
        return await self.get(request_id) is not None

    async def customer_documents(self, customer_id: str) -> list[Document]:
        """The customer's requests, newest first."""
        ids = await self.customers.ids(customer_id)
        found = await self.documents.get_many(PRIVACY_REQUESTS, ids)
        requests = [d for d in found if d is not None and _received(d)]
        return sorted(requests, key=lambda d: (d["received_at"], d["_id"]), reverse=True)

    async def of_customer(self, customer_id: str) -> list[RequestView]:
        return [request_view(d) for d in await self.customer_documents(customer_id)]

    async def add(self, request: PendingPrivacyRequest, fingerprint: str) -> bool:
        document = pending_document(request) | {FINGERPRINT: fingerprint}
        if not await self.documents.insert(PRIVACY_REQUESTS, document):
            return False
        await self.customers.add(request.customer_id, request.request_id, surely_new=True)
        return True

    async def same_request(self, request_id: str, fingerprint: str) -> bool:
        earlier = await self.get(request_id)
        # Known without a fingerprint: it arrived from the privacy service first (a
        # rebuild); take it as a retry.
        return earlier is not None and earlier.get(FINGERPRINT, fingerprint) == fingerprint

    async def everyone(self) -> list[Document]:
        """Every request of every customer (staff's queue: a scan, see ``Documents``)."""
        return [d for d in await self.documents.scan(PRIVACY_REQUESTS) if _received(d)]


async def project_privacy_request(event: Event, envelope: Envelope, views: PrivacyViews) -> None:
    """Apply one of the privacy service's events to the request's view, once per version, and
    list the request for its customer (a request made on WhatsApp is first heard of here)."""
    fields = request_fields(envelope, event)
    if not fields:
        return
    await views.documents.apply_once(
        PRIVACY_REQUESTS, envelope.aggregate_id, envelope.aggregate_version, fields
    )
    if isinstance(event, PrivacyRequestReceived):
        await views.customers.add(event.customer_id, event.request_id)
