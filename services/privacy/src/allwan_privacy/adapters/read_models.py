"""The read model of privacy requests, built from this service's own events on
``allwan.privacy``. Each update is applied once per request version (``apply_once``), so
redelivery changes nothing; ``allwan-privacy rebuild`` replays the event store into fresh
collections. Events of other producers are skipped.

- ``privacy_requests``: one document per request (``_id`` = request id): customer, kind,
  channel, state, received_at, due_at, extended_until, ``deadline`` (the one in force),
  awaiting_confirmation, the services that answered, completion and export dates, and the
  history (state, at, by). No personal data: ids, states and dates.
- ``privacy_customers``: one document per customer (``_id`` = customer id) listing the ids of
  their requests, so that what a customer asked is found by ``_id`` lookups.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    PrivacyRequestReceived,
    PrivacyRequestServiceAnswered,
    PrivacyRequestStarted,
)
from allwan_contracts.privacy import (
    PrivacyRequestState as State,
)
from allwan_runtime.dispatch import TransientError
from allwan_runtime.mongo import Document
from allwan_runtime.projection import apply_once
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from allwan_privacy.domain.request import PRIVACY_SERVICE, PrivacyRequest

REQUESTS = "privacy_requests"
CUSTOMERS = "privacy_customers"
_LISTING_ATTEMPTS = 5


def _step(state: State, at: Any, by: str, **fields: Any) -> Document:
    """The request reached ``state``: its history grows by one step."""
    return {
        "$set": {"state": state.value, **fields},
        "$push": {"history": {"state": state.value, "at": at, "by": by}},
    }


def update_for(event: Event) -> Document | None:
    """The read-model update one event makes (Mongo update operators), None if it makes none."""
    update: Document | None = None
    match event:
        case PrivacyRequestReceived():
            update = _step(
                State.RECEIVED,
                event.received_at,
                event.by,
                customer_id=event.customer_id,
                kind=event.kind.value,
                channel=event.channel.value,
                received_at=event.received_at,
                due_at=event.due_at,
                deadline=event.due_at,
                extended_until=None,
                awaiting_confirmation=event.awaiting_confirmation,
            )
        case PrivacyRequestIdentityVerified():
            update = _step(State.IDENTITY_VERIFIED, event.at, event.by)
        case PrivacyRequestStarted():
            update = _step(State.IN_PROGRESS, event.at, event.by, awaiting_confirmation=False)
        case PrivacyRequestExtended():
            until = event.extended_until
            update = {"$set": {"extended_until": until, "deadline": until}}
        case PrivacyRequestServiceAnswered():
            update = {"$set": {f"answered.{event.service}": event.at}}
        case PrivacyRequestCompleted():
            update = _step(
                State.COMPLETED,
                event.at,
                PRIVACY_SERVICE,
                completed_at=event.at,
                export_expires_at=event.export_expires_at,
            )
        case PrivacyRequestDenied():
            update = _step(State.DENIED, event.at, event.by, denial_reason=event.reason.value)
        case PrivacyRequestCancelled():
            update = _step(State.CANCELLED, event.at, event.by)
        case PrivacyExportDestroyed():
            update = {"$set": {"export_destroyed_at": event.at}}
    return update


class RequestProjection:
    """``privacy_requests`` and ``privacy_customers`` from the requests' events."""

    name = "privacy_requests"
    collections: Sequence[str] = (REQUESTS, CUSTOMERS)

    def __init__(self, db: AsyncDatabase[Document], producer: str) -> None:
        self._requests = db[REQUESTS]
        self._customers = db[CUSTOMERS]
        self._producer = producer

    async def __call__(self, envelope: Envelope, event: Any) -> None:
        mine = envelope.producer == self._producer
        if not mine or envelope.aggregate_type != PrivacyRequest.aggregate_type:
            return
        update = update_for(event)
        if update is None:
            return
        await apply_once(self._requests, envelope.aggregate_id, envelope.aggregate_version, update)
        if isinstance(event, PrivacyRequestReceived):
            await self._list(event.customer_id, event.request_id)

    async def _list(self, customer_id: str, request_id: str) -> None:
        """Add the request to its customer's list, and check it is there: two replicas adding
        two requests of one customer at once could each rewrite the list without the other's
        (FerretDB updates are not isolated), so the loser adds it again."""
        for _ in range(_LISTING_ATTEMPTS):
            try:
                await self._customers.update_one(
                    {"_id": customer_id}, {"$addToSet": {"requests": request_id}}, upsert=True
                )
            except DuplicateKeyError:
                continue  # a concurrent first listing of the customer: add to theirs
            found = await self._customers.find_one({"_id": customer_id})
            if found is not None and request_id in found.get("requests", []):
                return
        raise TransientError("the customer's request list keeps losing a concurrent update")


async def project_request(event: Event, envelope: Envelope, projection: RequestProjection) -> None:
    """A request's event into the read model of requests and the customer's list."""
    await projection(envelope, event)
