"""What the intake handlers need: their dependencies (``IntakeDeps``) and, as protocols, the
adapters behind them (the real ones and the unit tests' in-memory ones fit)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from allwan_contracts import AgeAttestation, CardBrand, Sealed
from allwan_contracts.fields import Channel
from allwan_contracts.privacy import (
    PrivacyRequestKind,
)
from allwan_runtime.eventstore import Streams
from allwan_runtime.mongo import Document
from allwan_runtime.recorder import EventRecorder

from allwan_gateway.domain.privacy import RequestView


class PersonalFields(Protocol):
    """The customer's contact as sent (C1): each field is sealed before anything is stored."""

    def model_dump(self, *, exclude_none: bool) -> dict[str, Any]: ...


class OrderRequest(Protocol):
    """An order as the storefront sent it (``entrypoints.schemas.requests.PlaceOrder``)."""

    @property
    def plan_id(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def contact(self) -> PersonalFields: ...
    @property
    def age_attestation(self) -> AgeAttestation | None: ...
    @property
    def payment_token(self) -> str: ...
    @property
    def marketing_opt_in(self) -> bool: ...
    @property
    def locale(self) -> str: ...

    def model_dump(self, *, mode: str) -> dict[str, Any]:
        """The request as JSON values, for its fingerprint."""
        ...


class PaymentReport(Protocol):
    """The provider's confirmation, as the storefront's server reports it (C3: a reference,
    at most brand and last four digits)."""

    @property
    def payment_reference(self) -> str: ...
    @property
    def amount_halalas(self) -> int: ...
    @property
    def card_brand(self) -> CardBrand | None: ...
    @property
    def card_last4(self) -> str | None: ...


class PolicyVersion(Protocol):
    """A policy version staff asked to publish (PC1, PC2)."""

    @property
    def text_ar(self) -> str: ...
    @property
    def text_en(self) -> str: ...
    @property
    def summary_ar(self) -> str: ...
    @property
    def summary_en(self) -> str: ...
    @property
    def material(self) -> bool: ...
    @property
    def effective_at(self) -> datetime | None: ...


class Sealer(Protocol):
    """``allwan_runtime.keystore.KeyStore`` as the gateway uses it: it seals, never opens (C4)."""

    async def seal(self, subject: str, field: str, plaintext: str) -> Sealed: ...

    async def seal_many(self, subject: str, fields: Mapping[str, str]) -> dict[str, Sealed]: ...

    def blind_index(self, kind: str, value: str) -> str: ...


class Documents(Protocol):
    """The gateway's own collections, read and written by ``_id`` (see README), but for
    staff's queries (``scan``, ``page``)."""

    async def get(self, collection: str, doc_id: str) -> Document | None: ...

    async def get_many(self, collection: str, doc_ids: Sequence[str]) -> list[Document | None]:
        """One ``_id`` lookup per id, in the order given."""
        ...

    async def apply_once(
        self, collection: str, doc_id: str, version: int, fields: Document
    ) -> bool:
        """``$set`` ``fields`` for aggregate ``version`` unless it was applied already."""
        ...

    async def insert(self, collection: str, document: Document) -> bool:
        """Insert-only; False when the ``_id`` exists (the first writer wins)."""
        ...

    async def insert_in_order(self, collection: str, documents: Sequence[Document]) -> int:
        """``insert`` of each document in turn, in one round trip, stopping at the first
        whose ``_id`` exists; how many went in."""
        ...

    async def scan(self, collection: str) -> list[Document]:
        """Every document of ``collection``: for staff's queries of small collections only,
        never on a customer's path (it reads the whole collection on FerretDB)."""
        ...

    async def page(
        self, collection: str, where: Document, *, before: str | None, limit: int
    ) -> list[Document]:
        """Up to ``limit`` documents that match ``where`` (a MongoDB filter of equalities
        and ``$gt``/``$gte``/``$lt``/``$lte`` ranges, not on ``_id``), in descending
        ``_id`` order, only those whose ``_id`` is below ``before`` if given.

        For staff's queries only, never on a customer's path. On FerretDB any filter but an
        exact ``_id`` reads the whole collection, and the sort is made on what it read
        (docs/ARCHITECTURE.md, storage rules), so a page costs a little more than a scan
        and grows with the collection: measured on the audit trail (2 cores under load),
        30 ms at 200 documents, 0.5-0.8 s at 6,000, 3.3-3.8 s at 20,000, where a
        ``find_one`` on another field than ``_id`` took 16 ms, 0.7 s and 2.3 s. MongoDB
        walks its ``_id`` index down from ``before`` and stops at the ``limit``-th match.
        """
        ...


@dataclass(frozen=True)
class PendingOrder:
    """An order the gateway recorded and orders has not decided yet."""

    order_id: str
    customer_id: str
    plan_id: str
    quantity: int
    requested_at: datetime


class PendingOrders(Protocol):
    """The orders the API lists, as intake adds the pending ones (``adapters.order_views``)."""

    async def add(self, order: PendingOrder, fingerprint: str) -> bool:
        """List ``order`` as pending for its customer, with the fingerprint of the request;
        False if the order id was known already."""
        ...

    async def same_request(self, order_id: str, fingerprint: str) -> bool:
        """Whether the known order ``order_id`` was listed for a request with this
        fingerprint."""
        ...


class PrivacyRequestBody(Protocol):
    """A privacy request as the customer or staff sent it
    (``entrypoints.schemas.privacy_requests``): its kind, and the corrected contact of a
    correction."""

    @property
    def kind(self) -> str: ...

    def corrections(self) -> PersonalFields | None:
        """The corrected fields of a correction, None for other kinds."""
        ...

    def model_dump(self, *, mode: str) -> dict[str, Any]:
        """The request as JSON values, for its fingerprint."""
        ...


@dataclass(frozen=True)
class PendingPrivacyRequest:
    """A privacy request the gateway recorded and the privacy service has not acknowledged."""

    request_id: str
    customer_id: str
    kind: PrivacyRequestKind
    channel: Channel
    requested_by: str
    received_at: datetime


class PrivacyRequests(Protocol):
    """The privacy requests the API shows, as intake adds the pending ones
    (``adapters.privacy_views``)."""

    async def known(self, request_id: str) -> bool: ...

    async def of_customer(self, customer_id: str) -> list[RequestView]:
        """Every request of the customer the gateway knows of."""
        ...

    async def add(self, request: PendingPrivacyRequest, fingerprint: str) -> bool:
        """List ``request`` as received for its customer, with the fingerprint of what was
        sent; False if the request id was known already."""
        ...

    async def same_request(self, request_id: str, fingerprint: str) -> bool:
        """Whether the known request was listed for a request with this fingerprint."""
        ...


@dataclass
class IntakeDeps:
    """The intake handlers' dependencies: the event store (to tell a retry from a first
    request), the recorder that appends to it, the sealer, the pending orders and privacy
    requests."""

    store: Streams
    recorder: EventRecorder
    keys: Sealer
    pending: PendingOrders
    privacy: PrivacyRequests
    fingerprint_key: bytes
    clock: Callable[[], datetime]
