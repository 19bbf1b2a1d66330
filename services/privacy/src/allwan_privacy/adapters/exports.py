"""The sealed documents of access requests: each service's part as it sent it
(``privacy_export_parts``, ``_id`` = ``<request>:<part name>``) and the export made from
them (``privacy_exports``, ``_id`` = request id), both written once by an insert against the
unique ``_id``. Parts are dropped when their request completes, exports when their days end.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any, get_args

from allwan_contracts import Sealed
from allwan_contracts.privacy_replies import (
    ExportPartName,
)
from allwan_contracts.sealed import (
    SealedDocument,
)
from allwan_runtime.mongo import Document
from pymongo import ASCENDING, DeleteOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from allwan_privacy.handlers.ports import StoredExport, StoredPart, StoredText

PARTS = "privacy_export_parts"
EXPORTS = "privacy_exports"
PART_NAMES: tuple[ExportPartName, ...] = get_args(ExportPartName)


def _text_document(text: StoredText) -> Document:
    return {"sealed": [piece.model_dump() for piece in text.sealed], "plain": text.plain}


def _text(document: Document) -> StoredText:
    return StoredText(
        sealed=tuple(Sealed.model_validate(piece) for piece in document["sealed"]),
        plain=document["plain"],
    )


def _export(document: Document) -> StoredExport:
    return StoredExport(
        request_id=document["_id"],
        customer_id=document["customer_id"],
        generated_at=document["generated_at"],
        expires_at=document["expires_at"],
        json=_text(document["json"]),
        html=_text(document["html"]),
    )


class MongoExports:
    """``handlers.ports.Exports`` in MongoDB."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._exports: AsyncCollection[Document] = db[EXPORTS]

    async def ensure_indexes(self) -> None:
        await self._exports.create_index([("expires_at", ASCENDING)], name="by_expiry")

    async def keep(self, export: StoredExport) -> StoredExport:
        try:
            await self._exports.insert_one(
                {
                    "_id": export.request_id,
                    "customer_id": export.customer_id,
                    "generated_at": export.generated_at,
                    "expires_at": export.expires_at,
                    "json": _text_document(export.json),
                    "html": _text_document(export.html),
                }
            )
        except DuplicateKeyError:
            kept = await self.get(export.request_id)
            if kept is None:  # dropped in between: its days were over
                raise
            return kept
        return export

    async def get(self, request_id: str) -> StoredExport | None:
        found = await self._exports.find_one({"_id": request_id})
        return None if found is None else _export(found)

    async def expired(self, now: datetime) -> list[str]:
        # Live exports only: a week of access requests, a small collection to scan.
        cursor = self._exports.find({"expires_at": {"$lte": now}}, projection={"_id": 1})
        return [document["_id"] async for document in cursor]

    async def drop(self, request_id: str) -> None:
        await self._exports.delete_one({"_id": request_id})


class MongoParts:
    """``handlers.ports.Parts`` in MongoDB."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._parts: AsyncCollection[Document] = db[PARTS]

    async def keep(self, request_id: str, customer_id: str, part: StoredPart) -> None:
        document: dict[str, Any] = {
            "_id": f"{request_id}:{part.part_name}",
            "request_id": request_id,
            "customer_id": customer_id,
            "service": part.service,
            "part_name": part.part_name,
            "part": None if part.part is None else part.part.model_dump(),
        }
        with contextlib.suppress(DuplicateKeyError):  # kept as first sent: redelivery is a no-op
            await self._parts.insert_one(document)

    async def of(self, request_id: str) -> list[StoredPart]:
        found = await asyncio.gather(
            *(self._parts.find_one({"_id": f"{request_id}:{name}"}) for name in PART_NAMES)
        )
        return [
            StoredPart(
                service=document["service"],
                part_name=document["part_name"],
                part=None if document["part"] is None else SealedDocument(**document["part"]),
            )
            for document in found
            if document is not None
        ]

    async def drop(self, request_id: str) -> None:
        # One command of _id statements, each using the index (docs/ARCHITECTURE.md).
        await self._parts.bulk_write(
            [DeleteOne({"_id": f"{request_id}:{name}"}) for name in PART_NAMES], ordered=False
        )
