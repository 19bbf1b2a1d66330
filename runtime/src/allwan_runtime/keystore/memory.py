"""A key store in memory, for unit tests: the real cipher, the real rules, no database.

It keeps ``KeyStore``'s contract (``tests/unit/runtime/test_memory_stores.py`` runs the same
checks against both): values sealed under a customer's own AES-256 key (T2), opened only for
the purposes the service holds (C4), ``ERASED`` once the key is shredded, and no fresh key
for a shredded customer.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection

from allwan_contracts import Sealed
from cryptography.exceptions import InvalidTag

from allwan_runtime.keystore.cipher import ERASED, KEY_BYTES, MasterKeyring, open_sealed, seal
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
        self._keys: dict[str, bytes | None] = {}
        self._keyring = MasterKeyring(
            keys={"k1": os.urandom(KEY_BYTES)}, active_id="k1", index_key=_BLIND_INDEX_KEY
        )

    @property
    def shredded(self) -> set[str]:
        """Customers whose key was destroyed."""
        return {subject for subject, key in self._keys.items() if key is None}

    @property
    def subjects(self) -> set[str]:
        """Every subject a data key was made for, shredded or not."""
        return set(self._keys)

    async def seal(self, subject: str, field: str, plaintext: str) -> Sealed:
        return self.seal_now(subject, field, plaintext)

    def seal_now(self, subject: str, field: str, plaintext: str) -> Sealed:
        """``seal`` without awaiting, for building test inputs."""
        if subject not in self._keys:
            self._keys[subject] = os.urandom(KEY_BYTES)
        key = self._keys[subject]
        if key is None:
            raise LookupError(f"no data key for {subject}")
        return seal(key, subject, field, plaintext)

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

    async def shred(self, subject: str) -> bool:
        fresh = self._keys.get(subject, b"") is not None
        self._keys[subject] = None
        return fresh

    async def is_erased(self, subject: str) -> bool:
        return subject in self._keys and self._keys[subject] is None

    def blind_index(self, kind: str, value: str) -> str:
        return self._keyring.blind_index(kind, value)

    async def rewrap(self, batch_size: int = 500) -> int:
        return 0
