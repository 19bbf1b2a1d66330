"""The data-key store: one wrapped AES-256 key per customer, in its own database."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from allwan_contracts import Sealed
from cryptography.exceptions import InvalidTag
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from allwan_runtime.keystore.cipher import ERASED, KEY_BYTES, MasterKeyring, open_sealed, seal
from allwan_runtime.keystore.purposes import Purpose, PurposeNotGranted

Document = dict[str, Any]
DATA_KEYS = "data_keys"


class KeyStore:
    """Seal and open a customer's personal fields; shred the customer's key to erase them.

    ``subject`` is the customer id: it is also the ``kid`` of every value sealed for them.
    """

    def __init__(
        self,
        db: AsyncDatabase[Document],
        keyring: MasterKeyring,
        *,
        service: str,
        purposes: Collection[Purpose],
    ) -> None:
        self._keys: AsyncCollection[Document] = db[DATA_KEYS]
        self._keyring = keyring
        self._service = service
        self._purposes = frozenset(purposes)

    async def seal(self, subject: str, field: str, plaintext: str) -> Sealed:
        """Encrypt ``plaintext`` under the subject's data key, creating the key if needed.

        Sealing for an erased subject raises ``LookupError``: they must not get a new key.
        """
        return seal(await self._data_key(subject, create=True), subject, field, plaintext)

    async def open(self, sealed: Sealed, *, field: str, purpose: Purpose) -> str:
        """The plaintext of a sealed value, or ``ERASED`` once the subject's key is destroyed.

        Raises ``PurposeNotGranted`` if this service does not hold ``purpose`` (C4).
        """
        if purpose not in self._purposes:
            raise PurposeNotGranted(self._service, purpose)
        try:
            key = await self._data_key(sealed.kid, create=False)
        except LookupError:
            return ERASED
        try:
            return open_sealed(key, sealed, field)
        except InvalidTag as error:
            raise ValueError(f"sealed {field} does not open under its key") from error

    async def shred(self, subject: str) -> bool:
        """Destroy the subject's data key for good; True if there was one to destroy.

        A tombstone remains so the subject never gets a fresh key for new data by accident.
        """
        result = await self._keys.update_one(
            {"_id": subject, "wrapped": {"$exists": True}},
            {
                "$unset": {"wrapped": "", "master_kid": ""},
                "$set": {"shredded_at": datetime.now(UTC)},
            },
        )
        if result.matched_count == 0:
            try:
                await self._keys.insert_one({"_id": subject, "shredded_at": datetime.now(UTC)})
            except DuplicateKeyError:
                return False  # already shredded
        return True

    async def is_erased(self, subject: str) -> bool:
        """Whether the subject's key was shredded."""
        found = await self._keys.find_one({"_id": subject}, projection={"shredded_at": 1})
        return found is not None and "shredded_at" in found

    def blind_index(self, kind: str, value: str) -> str:
        """A keyed hash of a personal value, to look a record up without storing the value."""
        return self._keyring.blind_index(kind, value)

    async def rewrap(self, batch_size: int = 500) -> int:
        """Re-wrap every data key under the active master key (master-key rotation)."""
        active = self._keyring.active_id
        count = 0
        cursor = self._keys.find(
            {"wrapped": {"$exists": True}, "master_kid": {"$ne": active}}, batch_size=batch_size
        )
        async for document in cursor:
            subject = document["_id"]
            key = self._keyring.unwrap(document["master_kid"], document["wrapped"], subject)
            master_kid, wrapped = self._keyring.wrap(key, subject)
            await self._keys.update_one(
                {"_id": subject, "master_kid": document["master_kid"]},
                {"$set": {"master_kid": master_kid, "wrapped": wrapped}},
            )
            count += 1
        return count

    async def _data_key(self, subject: str, *, create: bool) -> bytes:
        document = await self._keys.find_one({"_id": subject})
        if document is None and create:
            master_kid, wrapped = self._keyring.wrap(os.urandom(KEY_BYTES), subject)
            # A concurrent writer may create it first: then we use theirs.
            with contextlib.suppress(DuplicateKeyError):
                await self._keys.insert_one(
                    {
                        "_id": subject,
                        "master_kid": master_kid,
                        "wrapped": wrapped,
                        "created_at": datetime.now(UTC),
                    }
                )
            document = await self._keys.find_one({"_id": subject})
        if document is None or "wrapped" not in document:
            raise LookupError(f"no data key for {subject}")
        return self._keyring.unwrap(document["master_kid"], document["wrapped"], subject)


__all__ = ["ERASED", "KeyStore"]
