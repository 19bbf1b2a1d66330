"""The delivery ledger, read-only over HTTP, for the gateway's staff API to proxy (PC2).

    GET /ledger/policies?version=3[&status=<state>][&after=<customer>][&limit=100]
    GET /ledger/policies?version=3&customer_id=<customer>
    GET /ledger/policies/counts?version=3[&exact=true]
    GET /ledger/jobs

Answers are JSON and never personal data: customer ids, states, Message-IDs and times. The
notifier's port is internal; authentication and staff roles are the gateway's (S1).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol
from urllib.parse import parse_qs

from allwan_notifier.domain.deliveries import State

ASGIReceive = Callable[[], Awaitable[dict[str, Any]]]
ASGISend = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Mapping[str, Any], ASGIReceive, ASGISend], Awaitable[None]]
MAX_LIMIT = 1000
_PENDING = "pending"


class Queries(Protocol):
    """What the routes ask (``adapters.queries.LedgerQueries`` answers)."""

    async def policy_entries(
        self, version: int, *, state: State | None = None, after: str | None = None, limit: int
    ) -> list[dict[str, Any]]: ...

    async def policy_entry(self, version: int, customer_id: str) -> dict[str, Any] | None: ...

    async def policy_counts(
        self, version: int, *, exact: bool = False
    ) -> dict[str, Any] | None: ...

    async def jobs(self) -> list[dict[str, Any]]: ...


class BadRequest(Exception):
    pass


def ledger_routes(queries: Queries) -> list[tuple[str, ASGIApp]]:
    """The ledger's routes, as ``(path, ASGI app)`` pairs for ``ServiceRuntime.asgi_app``."""

    async def entries(params: Mapping[str, str]) -> tuple[int, object]:
        version = _version(params)
        customer = params.get("customer_id")
        if customer:
            found = await queries.policy_entry(version, customer)
            return (200, found) if found else (404, {"error": "no such entry"})
        status = params.get("status")
        states = _states(status)
        limit = _int(params, "limit", default=100, low=1, high=MAX_LIMIT)
        after = params.get("after") or None
        found_entries: list[dict[str, Any]] = []
        for state in states:
            found_entries += await queries.policy_entries(
                version, state=state, after=after, limit=limit
            )
        found_entries = sorted(found_entries, key=lambda entry: entry["customer_id"])[:limit]
        following = found_entries[-1]["customer_id"] if len(found_entries) == limit else None
        return 200, {"version": version, "entries": found_entries, "next": following}

    async def counts(params: Mapping[str, str]) -> tuple[int, object]:
        version = _version(params)
        exact = params.get("exact", "false").lower() in {"1", "true", "yes"}
        found = await queries.policy_counts(version, exact=exact)
        if found is None:
            return 404, {"error": "no notice for this version (not material, or not yet seen)"}
        return 200, found

    async def jobs(params: Mapping[str, str]) -> tuple[int, object]:
        return 200, {"jobs": await queries.jobs()}

    return [
        ("/ledger/policies", _get(entries)),
        ("/ledger/policies/counts", _get(counts)),
        ("/ledger/jobs", _get(jobs)),
    ]


def _get(answer: Callable[[Mapping[str, str]], Awaitable[tuple[int, object]]]) -> ASGIApp:
    async def app(scope: Mapping[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
        if scope.get("method") not in {"GET", "HEAD"}:
            await _json(send, 405, {"error": "read-only"}, allow=True)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        params = {name: values[-1] for name, values in query.items()}
        try:
            status, body = await answer(params)
        except BadRequest as error:
            status, body = 400, {"error": str(error)}
        await _json(send, status, body)

    return app


def _version(params: Mapping[str, str]) -> int:
    return _int(params, "version", default=None, low=1, high=None)


def _int(
    params: Mapping[str, str], name: str, *, default: int | None, low: int, high: int | None
) -> int:
    raw = params.get(name)
    if raw is None:
        if default is None:
            raise BadRequest(f"{name} is required")
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number") from None
    if value < low or (high is not None and value > high):
        raise BadRequest(f"{name} must be between {low} and {high or 'any'}")
    return value


def _states(status: str | None) -> list[State | None]:
    if not status:
        return [None]
    if status == _PENDING:  # as staff count it: not yet sent, whether or not under way
        return [State.PENDING, State.SENDING]
    try:
        return [State(status)]
    except ValueError:
        raise BadRequest(f"status must be one of {', '.join(s.value for s in State)}") from None


async def _json(send: ASGISend, status: int, body: object, *, allow: bool = False) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]
    if allow:
        headers.append((b"allow", b"GET, HEAD"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
