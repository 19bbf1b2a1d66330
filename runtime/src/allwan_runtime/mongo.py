"""PyMongo's native async client, the one way services reach MongoDB (or FerretDB)."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

from allwan_runtime.settings import RuntimeSettings

Document = dict[str, Any]


def connect(settings: RuntimeSettings, **options: Any) -> AsyncMongoClient[Document]:
    """Create a client; it connects lazily. FerretDB is standalone, so no retryable writes."""
    return AsyncMongoClient(
        settings.mongo_url.get_secret_value(),
        tz_aware=True,
        retryWrites=False,
        serverSelectionTimeoutMS=5000,
        appname=settings.service_name,
        **options,
    )
