"""The gateway benchmark's baseline: a bare FastAPI endpoint doing the least a place-order must.

It validates the body with the gateway's own ``PlaceOrder`` model and inserts it, one
document per request, into the same MongoDB-protocol server; no authentication, rate limit,
sealing, idempotency or event store. It runs in a process of its own under uvicorn with the
gateway's server options, so both are reached the same way.

``python -m bench.bare <port>``, with ``BENCH_MONGO_URL`` and ``BENCH_MONGO_DB`` in the
environment (a URL may carry a password: not on the command line).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

from allwan_gateway.entrypoints.schemas.requests import PlaceOrder
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pymongo import AsyncMongoClient

PATH = "/v1/orders"


def create_app(mongo_url: str, database: str) -> FastAPI:
    """The bare endpoint, and ``/ready`` once the server answers a ping."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_url, tz_aware=True, retryWrites=False, serverSelectionTimeoutMS=5000
    )
    orders = client[database]["orders"]

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await client.close()

    app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)

    @app.post(PATH, status_code=202)
    async def place(order: PlaceOrder) -> dict[str, str]:
        stored = await orders.insert_one(order.model_dump(mode="json"))
        return {"order_id": str(stored.inserted_id)}

    @app.get("/ready")
    async def ready() -> JSONResponse:
        await client[database].command("ping")
        return JSONResponse({"status": "ready"})

    return app


def main() -> None:
    import uvicorn  # noqa: PLC0415 - only the server needs it

    app = create_app(os.environ["BENCH_MONGO_URL"], os.environ["BENCH_MONGO_DB"])
    # The gateway's own server options (``allwan_gateway.entrypoints.cli.serve``).
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        server_header=False,
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
