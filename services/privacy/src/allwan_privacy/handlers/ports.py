"""What the handlers need: one ``Deps`` for every privacy handler, built by ``bootstrap`` from
the real adapters and by the unit tests from the runtime's in-memory stores and small fakes.

The stores here are the service's own records, outside its event store: the sealed parts the
services sent, the sealed exports, the erasure confirmations that arrived before their
request, and which request holds a customer's one open request of each kind. The ports of
the disclosure ledger and the breach register are in ``accountability_ports``; those other
modules of the service implement (the customer-activity read model, the retention preview)
are declared here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from allwan_contracts import Sealed
from allwan_contracts.accountability import Disclosure, RetentionView
from allwan_contracts.fields import utc_now
from allwan_contracts.privacy import (
    EXPORT_DAYS,
    PrivacyRequestKind,
)
from allwan_contracts.privacy_export import PrivacyExport
from allwan_contracts.privacy_replies import (
    ExportPartName,
)
from allwan_contracts.sealed import (
    SealedDocument,
)
from allwan_runtime.keystore import Purpose
from allwan_runtime.repository import AggregateRepository

from allwan_privacy.domain.request import PrivacyRequest

Requests = AggregateRepository[PrivacyRequest]


class Secrets(Protocol):
    """The part of the key store the service uses (C4: it holds ``DATA_ACCESS`` only)."""

    async def seal(self, subject: str, field: str, plaintext: str) -> Sealed: ...

    async def open(self, sealed: Sealed, *, field: str, purpose: Purpose) -> str: ...

    async def is_erased(self, subject: str) -> bool: ...


@dataclass(frozen=True)
class StoredText:
    """A text kept at rest: sealed under the customer's key, in pieces (T2), or plain when it
    holds no personal data (the export of a customer of whom nothing is held)."""

    sealed: tuple[Sealed, ...] = ()
    plain: str | None = None


@dataclass(frozen=True)
class StoredExport:
    """An access request's export, as JSON and as HTML, until ``expires_at``."""

    request_id: str
    customer_id: str
    generated_at: datetime
    expires_at: datetime
    json: StoredText
    html: StoredText


@dataclass(frozen=True)
class StoredPart:
    """One service's part of an access request's export, still sealed; None if it holds
    nothing about the customer."""

    service: str
    part_name: ExportPartName
    part: SealedDocument | None


@dataclass(frozen=True)
class Slot:
    """Which request holds a customer's one open request of a kind, since when."""

    request_id: str
    claimed_at: datetime


class Slots(Protocol):
    """Claims on "the customer's open request of kind K", by insert against a unique id."""

    async def claim(
        self, customer_id: str, kind: PrivacyRequestKind, request_id: str, at: datetime
    ) -> Slot:
        """Claim the slot for ``request_id``; the slot's holder after the attempt."""
        ...

    async def take_over(
        self, customer_id: str, kind: PrivacyRequestKind, held: Slot, request_id: str, at: datetime
    ) -> bool:
        """Take a slot ``held`` by a request that no longer holds it; False if another did."""
        ...

    async def holder(self, customer_id: str, kind: PrivacyRequestKind) -> Slot | None: ...

    async def release(self, customer_id: str, kind: PrivacyRequestKind, request_id: str) -> None:
        """Free the slot if ``request_id`` holds it."""
        ...


class Parts(Protocol):
    """The sealed parts of access requests, one per (request, part name), kept as first sent."""

    async def keep(self, request_id: str, customer_id: str, part: StoredPart) -> None: ...

    async def of(self, request_id: str) -> list[StoredPart]: ...

    async def drop(self, request_id: str) -> None: ...


class Exports(Protocol):
    """The exports, one per access request."""

    async def keep(self, export: StoredExport) -> StoredExport:
        """Keep ``export`` unless one is kept for its request already; the one kept."""
        ...

    async def get(self, request_id: str) -> StoredExport | None: ...

    async def expired(self, now: datetime) -> list[str]:
        """The requests whose export is past its days."""
        ...

    async def drop(self, request_id: str) -> None: ...


class Confirmations(Protocol):
    """Each service's confirmation that a customer's erasure left nothing readable in it."""

    async def remember(self, customer_id: str, service: str, at: datetime) -> None: ...

    async def of(self, customer_id: str, services: frozenset[str]) -> dict[str, datetime]:
        """When each of ``services`` confirmed (those that did)."""
        ...


class CustomerRequests(Protocol):
    """The ids of a customer's privacy requests (the read model)."""

    async def request_ids(self, customer_id: str) -> list[str]: ...


class Renderer(Protocol):
    def render(self, export: PrivacyExport) -> str:
        """The export as a human-readable, bilingual HTML page."""
        ...


class CustomerDisclosures(Protocol):
    """The customer's disclosure ledger, for the access export (D3)."""

    async def of(self, customer_id: str) -> list[Disclosure]:
        """Every disclosure of the customer's data, newest first."""
        ...


class Activity(Protocol):
    """Who ordered when: the customer-activity read model."""

    async def ordered_between(self, start: datetime, end: datetime) -> list[str]:
        """The customers (not erased) with an order placed in [``start``, ``end``), sorted."""
        ...


class RetentionPreview(Protocol):
    """The retention schedule and what its next run would do, in counts (no one named)."""

    async def view(self, now: datetime) -> RetentionView: ...


@dataclass(frozen=True)
class Deps:
    """Everything a privacy handler may use.

    ``disclosures``: the customer's ledger, for the access export; ``expected``: the
    services whose answers complete a request, by kind; ``export_days``: how long an export
    can be downloaded; ``erasure_grace``: how long a verified erasure waits before it
    starts (0: at once); ``contact_owner``: the service that owns the customer's contact
    details (its "nothing held" ends a correction); ``clock``: the time, injected so that
    tests move it.
    """

    requests: Requests
    secrets: Secrets
    slots: Slots
    parts: Parts
    exports: Exports
    confirmations: Confirmations
    customers: CustomerRequests
    renderer: Renderer
    disclosures: CustomerDisclosures
    expected: Mapping[PrivacyRequestKind, frozenset[str]]
    export_days: int = EXPORT_DAYS
    erasure_grace: timedelta = timedelta(0)
    contact_owner: str = "orders"
    clock: Callable[[], datetime] = utc_now
