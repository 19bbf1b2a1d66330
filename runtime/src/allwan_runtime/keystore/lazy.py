"""The key store made on first use, so that commands that never touch personal data (printing
the AsyncAPI document) need no master keys."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from allwan_contracts import Sealed
from pymongo import AsyncMongoClient

from allwan_runtime.keystore.cipher import MasterKeyring
from allwan_runtime.keystore.purposes import Purpose
from allwan_runtime.keystore.store import KeyStore
from allwan_runtime.mongo import Document
from allwan_runtime.settings import RuntimeSettings


def configured(
    settings: RuntimeSettings, mongo: AsyncMongoClient[Document], purposes: Collection[Purpose]
) -> LazyKeyStore:
    """The shared data-key store of ``settings`` (its master keys, in ``keys_db``), opening
    personal data only for ``purposes`` (C4); built on first use."""

    def build() -> KeyStore:
        if settings.master_keys is None or settings.blind_index_key is None:
            raise RuntimeError("ALLWAN_MASTER_KEYS and ALLWAN_BLIND_INDEX_KEY must be set")
        keyring = MasterKeyring.parse(
            settings.master_keys.get_secret_value(),
            settings.blind_index_key.get_secret_value(),
            settings.master_key_id,
        )
        return KeyStore(
            mongo[settings.keys_db], keyring, service=settings.service_name, purposes=purposes
        )

    return LazyKeyStore(build)


class LazyKeyStore:
    """``KeyStore`` with the store built by ``factory`` on the first call."""

    def __init__(self, factory: Callable[[], KeyStore]) -> None:
        self._factory = factory
        self._store: KeyStore | None = None

    @property
    def store(self) -> KeyStore:
        """The real store (built now if needed): raises if the master keys are missing."""
        if self._store is None:
            self._store = self._factory()
        return self._store

    def check(self) -> None:
        """Fail fast at start when the keys are not configured."""
        _ = self.store

    async def seal(self, subject: str, field: str, plaintext: str) -> Sealed:
        return await self.store.seal(subject, field, plaintext)

    async def seal_many(self, subject: str, fields: Mapping[str, str]) -> dict[str, Sealed]:
        return await self.store.seal_many(subject, fields)

    async def open(self, sealed: Sealed, *, field: str, purpose: Purpose) -> str:
        return await self.store.open(sealed, field=field, purpose=purpose)

    async def open_many(self, sealed: Mapping[str, Sealed], *, purpose: Purpose) -> dict[str, str]:
        return await self.store.open_many(sealed, purpose=purpose)

    async def rotate(self, subject: str) -> str:
        return await self.store.rotate(subject)

    async def retire(self, subject: str, keep_kid: str) -> int:
        return await self.store.retire(subject, keep_kid)

    async def current_kid(self, subject: str) -> str | None:
        return await self.store.current_kid(subject)

    async def shred(self, subject: str) -> bool:
        return await self.store.shred(subject)

    async def is_erased(self, subject: str) -> bool:
        return await self.store.is_erased(subject)

    def blind_index(self, kind: str, value: str) -> str:
        return self.store.blind_index(kind, value)

    async def rewrap(self, batch_size: int = 500) -> int:
        return await self.store.rewrap(batch_size)
