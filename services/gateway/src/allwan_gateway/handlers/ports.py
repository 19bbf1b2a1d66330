"""What the handlers need, as protocols: the real adapters and the unit tests' fakes fit them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from allwan_contracts import Sealed
from allwan_contracts.envelope import Envelope

Document = dict[str, Any]


class EventLog(Protocol):
    """``allwan_runtime.eventstore.EventStore`` as the intake handlers use it."""

    async def append(self, events: Sequence[Envelope], *, expected_version: int) -> int: ...

    async def load(self, stream_id: str) -> list[Envelope]: ...


class Sealer(Protocol):
    """``allwan_runtime.keystore.KeyStore`` as the gateway uses it: it seals, never opens (C4)."""

    async def seal(self, subject: str, field: str, plaintext: str) -> Sealed: ...

    def blind_index(self, kind: str, value: str) -> str: ...


class Documents(Protocol):
    """The gateway's own collections, read and written by ``_id`` only (see README)."""

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
