"""A key store in memory, for unit tests: the real cipher, the real rules, no database.

It keeps ``KeyStore``'s contract (``tests/unit/runtime/test_memory_stores.py`` runs the same
checks against both): values sealed under a customer's own AES-256 key (T2), opened only for
the purposes the service holds (C4), key generations made by ``rotate`` and destroyed by
``retire``, ``ERASED`` once a key is destroyed, and no fresh key for a shredded customer.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Mapping

from allwan_contracts import Sealed
from cryptography.exceptions import InvalidTag

from allwan_runtime.keystore.cipher import ERASED, KEY_BYTES, MasterKeyring, open_sealed, seal
from allwan_runtime.keystore.generations import check_subject, generation_of, kid_of
from allwan_runtime.keystore.purposes import Purpose, PurposeNotGranted

# Fixed, so that two in-memory stores agree on blind indexes as two real replicas do.
_BLIND_INDEX_KEY = hashlib.sha256(b"allwan in-memory blind index").digest()


class InMemoryKeyStore:
    """``allwan_runtime.keystore.KeyStore`` with its data keys in a dict."""

    def __init__(
        self, purposes: Collection[Purpose] = tuple(Purpose), *, service: str = "test"
    ) -> None:
        self._purposes = frozenset(purposes)
        self._service = service
        self._keys: dict[str, bytes | None] = {}  # by kid; None once destroyed
        self._newest: dict[str, int] = {}  # subject -> newest generation
        self._shredded: set[str] = set()
        self._keyring = MasterKeyring(
            keys={"k1": os.urandom(KEY_BYTES)}, active_id="k1", index_key=_BLIND_INDEX_KEY
        )

    @property
    def shredded(self) -> set[str]:
        """Customers whose key was destroyed."""
        return set(self._shredded)

    @property
    def subjects(self) -> set[str]:
        """Every subject a data key was made for, shredded or not."""
        return set(self._newest) | self._shredded

    async def seal(self, subject: str, field: str, plaintext: str) -> Sealed:
        return self.seal_now(subject, field, plaintext)

    async def seal_many(self, subject: str, fields: Mapping[str, str]) -> dict[str, Sealed]:
        return {field: self.seal_now(subject, field, text) for field, text in fields.items()}

    def seal_now(self, subject: str, field: str, plaintext: str) -> Sealed:
        """``seal`` without awaiting, for building test inputs."""
        check_subject(subject)
        if subject in self._shredded:
            raise LookupError(f"no data key for {subject}")
        if subject not in self._newest:
            self._create(subject, 1)
        kid = kid_of(subject, self._newest[subject])
        key = self._keys[kid]
        if key is None:
            raise LookupError(f"no data key for {subject}")
        return seal(key, kid, field, plaintext)

    async def open(self, sealed: Sealed, *, field: str, purpose: Purpose) -> str:
        if purpose not in self._purposes:
            raise PurposeNotGranted(self._service, purpose)
        key = self._keys.get(sealed.kid)
        if key is None:
            return ERASED
        try:
            return open_sealed(key, sealed, field)
        except InvalidTag as error:
            raise ValueError(f"sealed {field} does not open under its key") from error

    async def open_many(self, sealed: Mapping[str, Sealed], *, purpose: Purpose) -> dict[str, str]:
        if purpose not in self._purposes:
            raise PurposeNotGranted(self._service, purpose)
        return {
            field: await self.open(value, field=field, purpose=purpose)
            for field, value in sealed.items()
        }

    async def rotate(self, subject: str) -> str:
        check_subject(subject)
        if subject in self._shredded:
            raise LookupError(f"no data key for {subject}")
        return self._create(subject, self._newest.get(subject, 0) + 1)

    async def retire(self, subject: str, keep_kid: str) -> int:
        check_subject(subject)
        keep = generation_of(subject, keep_kid)
        if self._keys.get(keep_kid) is None:
            if subject in self._shredded:
                return 0
            raise LookupError(f"{keep_kid} is not a live data key")
        destroyed = 0
        for generation in range(1, keep):
            kid = kid_of(subject, generation)
            destroyed += self._keys.get(kid) is not None
            self._keys[kid] = None
        return destroyed

    async def current_kid(self, subject: str) -> str | None:
        check_subject(subject)
        if subject in self._shredded or subject not in self._newest:
            return None
        return kid_of(subject, self._newest[subject])

    async def shred(self, subject: str) -> bool:
        check_subject(subject)
        fresh = subject not in self._shredded
        self._shredded.add(subject)
        for generation in range(1, self._newest.get(subject, 0) + 1):
            self._keys[kid_of(subject, generation)] = None
        return fresh

    async def is_erased(self, subject: str) -> bool:
        return subject in self._shredded

    def blind_index(self, kind: str, value: str) -> str:
        return self._keyring.blind_index(kind, value)

    async def rewrap(self, batch_size: int = 500) -> int:
        return 0

    def _create(self, subject: str, generation: int) -> str:
        kid = kid_of(subject, generation)
        self._keys[kid] = os.urandom(KEY_BYTES)
        self._newest[subject] = generation
        return kid
