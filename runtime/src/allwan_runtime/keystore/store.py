"""The data-key store: wrapped AES-256 keys, one document per key, in its own database.

A subject's first key is the document ``{_id: <subject>}``, as it always was; it also carries
the erasure tombstone. Each later generation (``rotate``) is a document of its own,
``{_id: <subject>.<n>}``, made by an insert against the unique ``_id``. On FerretDB an update
reads and rewrites the whole document without isolation, so generations kept together in one
document could be dropped or replaced by a concurrent writer after a value was sealed under
them; an inserted document is never replaced, and two rotations racing for generation n make n
and n + 1. A destroyed key keeps its document, without ``wrapped`` and ``master_kid``, so the
chain 1, 2, ..., n stays walkable by ``_id`` lookups.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from allwan_contracts import Sealed
from cryptography.exceptions import InvalidTag
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from allwan_runtime.keystore.cipher import ERASED, KEY_BYTES, MasterKeyring, open_sealed, seal
from allwan_runtime.keystore.generations import check_subject, generation_of, kid_of
from allwan_runtime.keystore.purposes import Purpose, PurposeNotGranted

Document = dict[str, Any]
DATA_KEYS = "data_keys"
_DESTROY: Document = {"$unset": {"wrapped": "", "master_kid": ""}}


class KeyStore:
    """Seal and open a customer's personal fields; shred the customer's key to erase them.

    ``subject`` is the customer id. New values are sealed under the subject's newest key
    generation: its ``kid`` is the subject itself until the first ``rotate``, then
    ``<subject>.<n>`` (``allwan_contracts.sealed.subject_of`` maps a kid back to its subject).
    ``open`` finds the key by the sealed value's kid, whatever its generation.
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
        """Encrypt ``plaintext`` under the subject's newest data key, creating the first if needed.

        Sealing for an erased subject raises ``LookupError``: they must not get a new key.
        """
        return (await self.seal_many(subject, {field: plaintext}))[field]

    async def seal_many(self, subject: str, fields: Mapping[str, str]) -> dict[str, Sealed]:
        """``seal`` for several fields of one subject, under one generation, with one lookup
        of the subject's key (a request's contact: four fields, one key)."""
        check_subject(subject)
        newest = await self._newest(subject)
        if newest is None:
            # A concurrent writer may create it first: then we use theirs.
            with contextlib.suppress(DuplicateKeyError):
                await self._keys.insert_one(self._key_document(subject, os.urandom(KEY_BYTES)))
            newest = await self._newest(subject)
        if newest is None or "wrapped" not in newest[1]:
            raise LookupError(f"no data key for {subject}")
        kid, document = newest
        key = self._unwrap(kid, document)
        return {field: seal(key, kid, field, plaintext) for field, plaintext in fields.items()}

    async def open(self, sealed: Sealed, *, field: str, purpose: Purpose) -> str:
        """The plaintext of a sealed value, or ``ERASED`` once its key generation is destroyed
        (``shred``, or ``retire`` after a correction).

        Raises ``PurposeNotGranted`` if this service does not hold ``purpose`` (C4).
        """
        return (await self.open_many({field: sealed}, purpose=purpose))[field]

    async def open_many(self, sealed: Mapping[str, Sealed], *, purpose: Purpose) -> dict[str, str]:
        """``open`` for several fields (name → sealed value), with one lookup per key
        generation among them, run together: a contact's four fields sealed by one request
        cost one read of their key, not four."""
        if purpose not in self._purposes:
            raise PurposeNotGranted(self._service, purpose)
        kids = list(dict.fromkeys(value.kid for value in sealed.values()))
        documents = await asyncio.gather(*(self._keys.find_one({"_id": kid}) for kid in kids))
        keys = {
            kid: None
            if document is None or "wrapped" not in document
            else self._unwrap(kid, document)
            for kid, document in zip(kids, documents, strict=True)
        }
        opened: dict[str, str] = {}
        for field, value in sealed.items():
            key = keys[value.kid]
            if key is None:
                opened[field] = ERASED
                continue
            try:
                opened[field] = open_sealed(key, value, field)
            except InvalidTag as error:
                raise ValueError(f"sealed {field} does not open under its key") from error
        return opened

    async def rotate(self, subject: str) -> str:
        """Make a new generation of the subject's data key; its kid, which every later ``seal``
        uses. Values sealed under older generations still open until ``retire``.

        Refused (``LookupError``) for an erased subject. Safe to repeat: another call, or a
        concurrent one, makes one more generation and never replaces one.
        """
        check_subject(subject)
        newest = await self._newest(subject)
        generation = 1 if newest is None else generation_of(subject, newest[0]) + 1
        key = os.urandom(KEY_BYTES)
        while True:
            kid = kid_of(subject, generation)
            try:
                await self._keys.insert_one(self._key_document(kid, key))
                break
            except DuplicateKeyError:
                generation += 1  # a concurrent rotation (or first seal) took this one
        if await self.is_erased(subject):
            # A concurrent shred may have walked the generations before this one existed.
            await self._keys.update_one({"_id": kid}, _DESTROY)
            raise LookupError(f"no data key for {subject}")
        return kid

    async def retire(self, subject: str, keep_kid: str) -> int:
        """Destroy every generation of the subject's key older than ``keep_kid``'s; how many.

        From then on every value sealed under them opens to ``ERASED``, in every topic, store
        and backup: how a corrected value stops being readable. Idempotent; 0 for an erased
        subject. ``ValueError`` if ``keep_kid`` is not the subject's, ``LookupError`` if it is
        not a live key (retiring below a key that does not exist would destroy the newest).
        Retire once no writer can still be sealing under an older generation (one that read
        the key before ``rotate``): its value would be destroyed with it.
        """
        check_subject(subject)
        keep = generation_of(subject, keep_kid)
        kept = await self._keys.find_one({"_id": keep_kid}, projection={"wrapped": 1})
        if kept is None or "wrapped" not in kept:
            if await self.is_erased(subject):
                return 0
            raise LookupError(f"{keep_kid} is not a live data key")
        if keep == 1:
            return 0
        # One command of _id statements: each uses the _id index (docs/ARCHITECTURE.md).
        result = await self._keys.bulk_write(
            [UpdateOne({"_id": kid_of(subject, n)}, _DESTROY) for n in range(1, keep)],
            ordered=False,
        )
        return result.modified_count

    async def current_kid(self, subject: str) -> str | None:
        """The kid ``seal`` uses for the subject now; None if they have no key (or were erased)."""
        check_subject(subject)
        try:
            newest = await self._newest(subject)
        except LookupError:
            return None
        return newest[0] if newest is not None and "wrapped" in newest[1] else None

    async def shred(self, subject: str) -> bool:
        """Destroy every generation of the subject's data key for good; False if the subject
        was already erased.

        A tombstone remains so the subject never gets a fresh key for new data by accident.
        Safe to repeat: a repeat (after a crash, say) destroys what the first call left.
        """
        check_subject(subject)
        fresh = await self._tombstone(subject)
        # After the tombstone no rotation adds a generation that stays (``rotate`` checks).
        generation = 2
        while (
            await self._keys.update_one({"_id": kid_of(subject, generation)}, _DESTROY)
        ).matched_count:
            generation += 1
        return fresh

    async def is_erased(self, subject: str) -> bool:
        """Whether the subject's key was shredded."""
        found = await self._keys.find_one({"_id": subject}, projection={"shredded_at": 1})
        return found is not None and "shredded_at" in found

    def blind_index(self, kind: str, value: str) -> str:
        """A keyed hash of a personal value, to look a record up without storing the value."""
        return self._keyring.blind_index(kind, value)

    async def rewrap(self, batch_size: int = 500) -> int:
        """Re-wrap every live data key, of every generation, under the active master key
        (master-key rotation)."""
        active = self._keyring.active_id
        count = 0
        cursor = self._keys.find(
            {"wrapped": {"$exists": True}, "master_kid": {"$ne": active}}, batch_size=batch_size
        )
        async for document in cursor:
            kid = document["_id"]
            master_kid, wrapped = self._keyring.wrap(self._unwrap(kid, document), kid)
            await self._keys.update_one(
                {"_id": kid, "master_kid": document["master_kid"]},
                {"$set": {"master_kid": master_kid, "wrapped": wrapped}},
            )
            count += 1
        return count

    async def _newest(self, subject: str) -> tuple[str, Document] | None:
        """The subject's newest generation (kid, document), None if they never had a key.

        ``LookupError`` if they were erased. Most subjects never rotate: their answer costs the
        two concurrent lookups of generations 1 and 2.
        """
        first, following = await asyncio.gather(
            self._keys.find_one({"_id": subject}), self._keys.find_one({"_id": kid_of(subject, 2)})
        )
        if first is None:
            return None
        if "shredded_at" in first:
            raise LookupError(f"no data key for {subject}")
        kid, document, generation = subject, first, 2
        while following is not None:
            kid, document = kid_of(subject, generation), following
            generation += 1
            following = await self._keys.find_one({"_id": kid_of(subject, generation)})
        return kid, document

    async def _tombstone(self, subject: str) -> bool:
        now = datetime.now(UTC)
        document = await self._keys.find_one({"_id": subject}, projection={"shredded_at": 1})
        if document is None:
            try:
                await self._keys.insert_one({"_id": subject, "shredded_at": now})
            except DuplicateKeyError:
                document = {}  # a seal created the first key meanwhile: destroy that one
            else:
                return True
        if "shredded_at" in document:
            return False
        await self._keys.update_one({"_id": subject}, {**_DESTROY, "$set": {"shredded_at": now}})
        return True

    def _key_document(self, kid: str, key: bytes) -> Document:
        master_kid, wrapped = self._keyring.wrap(key, kid)
        return {
            "_id": kid,
            "master_kid": master_kid,
            "wrapped": wrapped,
            "created_at": datetime.now(UTC),
        }

    def _unwrap(self, kid: str, document: Document) -> bytes:
        return self._keyring.unwrap(document["master_kid"], document["wrapped"], kid)


__all__ = ["ERASED", "KeyStore"]
