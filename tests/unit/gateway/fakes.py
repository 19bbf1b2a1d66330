"""The gateway over in-memory adapters: the runtime's event store and key store, and its own
collections (``MemoryDocuments``, the ``handlers.ports.Documents`` port in a dict)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from allwan_contracts import Sealed, read_event
from allwan_gateway.adapters.notifier import NotifierLedger
from allwan_gateway.adapters.privacy_api import PrivacyApi
from allwan_gateway.bootstrap import Gateway, assemble
from allwan_gateway.domain.auth import Role
from allwan_gateway.entrypoints.app import create_app
from allwan_gateway.settings import GatewaySettings
from allwan_runtime.keystore import InMemoryKeyStore, Purpose
from allwan_runtime.memory import InMemoryEventStore
from fastapi import FastAPI, HTTPException
from pydantic import SecretStr

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
SECRETS = {
    "gateway_jwt_secret": "jwt-secret-for-unit-tests-0123456789abcdef",
    "gateway_storefront_api_key": "storefront-key",
    "gateway_staff_api_key": "staff-key",
    "salla_webhook_secret": "salla-secret",
    "whatsapp_app_secret": "whatsapp-secret",
    "whatsapp_verify_token": "verify-me",
    "ip_hash_key": "ip-hash-key",
}


def settings(**overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {name: SecretStr(value) for name, value in SECRETS.items()}
    values |= {"decision_wait_s": 0.0, "rate_limit_per_s": 10_000, "rate_limit_burst": 10_000}
    return GatewaySettings(**(values | overrides))


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        document = document.setdefault(part, {})
    document[last] = value


_RANGES: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": lambda value, bound: value > bound,
    "$gte": lambda value, bound: value >= bound,
    "$lt": lambda value, bound: value < bound,
    "$lte": lambda value, bound: value <= bound,
}


def _matches(document: dict[str, Any], where: dict[str, Any]) -> bool:
    """MongoDB's meaning of a filter of equalities and ranges (the port's promise); any
    other operator fails the test that uses it."""
    for name, condition in where.items():
        value = document.get(name)
        if not isinstance(condition, dict):
            if value != condition:
                return False
            continue
        for operator, bound in condition.items():
            if operator not in _RANGES:
                raise AssertionError(f"the Documents port takes no {operator}")
            # MongoDB compares values of one type only: a missing field matches no range.
            if value is None or type(value) is not type(bound):
                return False
            if not _RANGES[operator](value, bound):
                return False
    return True


class MemoryDocuments:
    """Collections of documents by ``_id``, with ``apply_once``'s version guard."""

    def __init__(self) -> None:
        self.collections: dict[str, dict[str, dict[str, Any]]] = {}
        self.fail_inserts_into: set[str] = set()
        self.unreachable: Exception | None = None

    def collection(self, name: str) -> dict[str, dict[str, Any]]:
        if self.unreachable is not None:
            raise self.unreachable
        return self.collections.setdefault(name, {})

    async def get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        found = self.collection(collection).get(doc_id)
        return None if found is None else dict(found)

    async def get_many(
        self, collection: str, doc_ids: Sequence[str]
    ) -> list[dict[str, Any] | None]:
        return [await self.get(collection, doc_id) for doc_id in doc_ids]

    async def apply_once(
        self, collection: str, doc_id: str, version: int, fields: dict[str, Any]
    ) -> bool:
        document = self.collection(collection).get(doc_id)
        if document is not None and document.get("_v", version) >= version:
            return False
        document = document if document is not None else {"_id": doc_id}
        for path, value in fields.items():
            _set(document, path, value)
        document["_v"] = version
        self.collection(collection)[doc_id] = document
        return True

    async def scan(self, collection: str) -> list[dict[str, Any]]:
        return [dict(document) for document in self.collection(collection).values()]

    async def page(
        self, collection: str, where: dict[str, Any], *, before: str | None, limit: int
    ) -> list[dict[str, Any]]:
        assert "_id" not in where
        found = [
            dict(document)
            for doc_id, document in self.collection(collection).items()
            if (before is None or doc_id < before) and _matches(document, where)
        ]
        found.sort(key=lambda document: document["_id"], reverse=True)
        return found[:limit]

    async def insert(self, collection: str, document: dict[str, Any]) -> bool:
        if collection in self.fail_inserts_into:
            raise RuntimeError(f"{collection} is unavailable")
        if document["_id"] in self.collection(collection):
            return False
        self.collection(collection)[document["_id"]] = dict(document)
        return True

    async def insert_in_order(self, collection: str, documents: Sequence[dict[str, Any]]) -> int:
        for done, document in enumerate(documents):
            if not await self.insert(collection, document):
                return done
        return len(documents)


@dataclass
class Harness:
    """A gateway over fakes, and its app."""

    gateway: Gateway
    app: FastAPI
    store: InMemoryEventStore
    keys: InMemoryKeyStore
    documents: MemoryDocuments
    tokens_issued: list[str] = field(default_factory=list)

    def token(self, subject: str, role: Role = Role.CUSTOMER, client: str = "storefront") -> str:
        return self.gateway.tokens.issue(role, subject, client, datetime.now(UTC))

    def customer(self, subject: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(subject)}"}

    def staff(self, subject: str = "s-7") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(subject, Role.STAFF)}"}

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, raise_app_exceptions=False),
            base_url="https://gateway.test",
        )

    def database_down(self, error: Exception) -> None:
        """Every read and write of the event store and the collections raises ``error``."""

        async def unreachable(*args: Any, **kwargs: Any) -> Any:
            raise error

        self.store.append = self.store.load = unreachable  # type: ignore[method-assign]
        self.documents.unreachable = error

    def intake(self, event_type: str) -> list[Any]:
        return [read_event(e) for e in self.store.envelopes() if e.event_type == event_type]

    async def opened(self, sealed: Sealed, field: str) -> str:
        """A value the gateway sealed, opened as orders would (the gateway itself cannot)."""
        return await self.keys.open(sealed, field=field, purpose=Purpose.ORDER_PROCESSING)


def harness(
    notifier: NotifierLedger | None = None,
    privacy_api: PrivacyApi | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    **overrides: Any,
) -> Harness:
    store, keys, documents = InMemoryEventStore(), InMemoryKeyStore(), MemoryDocuments()
    gateway = assemble(
        settings(**overrides),
        store=store,
        keys=keys,
        documents=documents,
        notifier=notifier or NotifierLedger(None),
        privacy_api=privacy_api,
        clock=clock,
    )
    return Harness(gateway, create_app(gateway), store, keys, documents)


def stub_notifier() -> NotifierLedger:
    """The notifier's read-only ledger interface (``allwan_notifier.entrypoints.ledger_api``)
    as a tiny ASGI app: versions 1 to 5 exist."""
    notifier = FastAPI()

    def known(version: int) -> None:
        if not 1 <= version <= 5:
            raise HTTPException(404)

    @notifier.get("/ledger/policies")
    async def entries(version: int, limit: int = 100, after: str | None = None) -> Any:
        known(version)
        entries = [{"customer_id": "cust-1", "state": "sent"}][:limit]
        return {"version": version, "entries": entries, "next": None}

    @notifier.get("/ledger/policies/counts")
    async def counts(version: int) -> Any:
        known(version)
        return {"version": version, "sent": 2, "pending": 0, "failed": 0}

    @notifier.get("/ledger/jobs")
    async def jobs() -> Any:
        return {"jobs": [{"version": 2, "done": True}]}

    return NotifierLedger("http://notifier.test", httpx.ASGITransport(app=notifier))
