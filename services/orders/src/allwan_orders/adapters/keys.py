"""The shared key store, built on first use so that commands that never touch personal data
(printing the AsyncAPI document) need no master keys."""

from __future__ import annotations

from collections.abc import Callable

from allwan_contracts import Sealed
from allwan_runtime.keystore import KeyStore, Purpose


class LazyKeyStore:
    """``KeyStore``'s seal, open, shred and is_erased, with the store made on first call."""

    def __init__(self, factory: Callable[[], KeyStore]) -> None:
        self._factory = factory
        self._store: KeyStore | None = None

    @property
    def store(self) -> KeyStore:
        if self._store is None:
            self._store = self._factory()
        return self._store

    async def seal(self, subject: str, field: str, plaintext: str) -> Sealed:
        return await self.store.seal(subject, field, plaintext)

    async def open(self, sealed: Sealed, *, field: str, purpose: Purpose) -> str:
        return await self.store.open(sealed, field=field, purpose=purpose)

    async def shred(self, subject: str) -> bool:
        return await self.store.shred(subject)

    async def is_erased(self, subject: str) -> bool:
        return await self.store.is_erased(subject)
