"""The privacy centre's calls to the gateway: the policy and its contact (public), and the
customer's own consents, cookie preferences, privacy requests and disclosures, each with the
customer's token (S1: the gateway serves a customer their own data only).

Every change a customer makes carries their browser (``Browser``) so that the consent proof
names it, as keyed hashes only (C2); a privacy request carries the Idempotency-Key its form
was shown with, so a double submit asks once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from allwan_web.adapters.gateway import Answer, Browser, GatewayClient, GatewayProblem
from allwan_web.adapters.sessions import Session
from allwan_web.domain.requests import Kind, Request
from allwan_web.handlers.identity import customer_token

EXPORT_TYPES = {"json": "application/json", "html": "text/html"}


@dataclass(frozen=True)
class Customer:
    """The session's customer, as the gateway knows them: their own paths and token."""

    gateway: GatewayClient
    path: str
    token: str

    async def get(self, tail: str, **params: str | int) -> Any:
        answer = await self.gateway.call("GET", self.path + tail, token=self.token, params=params)
        return answer.body


async def customer(gateway: GatewayClient, session: Session, now: datetime) -> Customer | None:
    """The session's customer, or None for a visitor who has not ordered yet."""
    if session.customer_id is None:
        return None
    token = await customer_token(gateway, session, now)
    return Customer(gateway, f"/v1/customers/{session.customer_id}", token)


# -- public: the policy and how to reach the store ------------------------------------------


async def policy(gateway: GatewayClient, version: int | None = None) -> dict[str, Any]:
    """The policy in force (PC1), or one published version; both texts and the contact."""
    path = "/v1/policy" if version is None else f"/v1/policy/versions/{version}"
    found: dict[str, Any] = (await gateway.call("GET", path)).body
    return found


async def policy_versions(gateway: GatewayClient) -> list[dict[str, Any]]:
    """Every published version, newest first (the gateway answers oldest first)."""
    versions: list[dict[str, Any]] = (await gateway.call("GET", "/v1/policy/versions")).body[
        "versions"
    ]
    return list(reversed(versions))


async def contact(gateway: GatewayClient) -> dict[str, str] | None:
    """The store's privacy contact (CT1), None while no policy is published."""
    try:
        found: dict[str, str] = (await gateway.call("GET", "/v1/privacy-contact")).body
    except GatewayProblem as problem:
        if problem.status == 404:
            return None
        raise
    return found


# -- the customer's consents (K2, K3, CK1) --------------------------------------------------


async def consents(who: Customer) -> dict[str, Any]:
    """Per purpose: status, the policy version it was given under, channel and date."""
    found: dict[str, Any] = await who.get("/consents")
    return found


async def consent_history(who: Customer) -> list[dict[str, Any]]:
    """Every grant, withdrawal, suspension and erasure, newest first."""
    entries: list[dict[str, Any]] = (await who.get("/consents/history"))["entries"]
    return list(reversed(entries))


async def cookie_preferences(who: Customer) -> dict[str, Any]:
    """What the consent ledger recorded for the cookie categories (CK1, CK2)."""
    found: dict[str, Any] = await who.get("/cookie-preferences")
    return found


async def change_consent(who: Customer, purpose: str, action: str, browser: Browser) -> None:
    """Grant or withdraw ``purpose``; the ledger records it with the browser's proof (K3, C2).
    It takes effect within seconds (the gateway answers 202)."""
    await who.gateway.call(
        "POST",
        who.path + "/consents",
        token=who.token,
        json={"purpose": purpose, "action": action},
        browser=browser,
    )


# -- privacy requests (PDPL) ----------------------------------------------------------------


async def privacy_requests(who: Customer) -> list[Request]:
    """The customer's requests, newest first."""
    found = await who.get("/privacy-requests")
    return [Request.of(shown) for shown in found["requests"]]


async def privacy_request(who: Customer, request_id: str) -> tuple[Request, list[dict[str, Any]]]:
    """One of the customer's requests and its history (state, when, by whom), oldest first."""
    shown = await who.get(f"/privacy-requests/{request_id}")
    return Request.of(shown), list(shown["history"])


async def ask(
    who: Customer,
    kind: Kind,
    *,
    changes: dict[str, str] | None,
    idempotency_key: str,
    browser: Browser,
) -> str:
    """Ask to exercise a right; the new request's id. The form's key makes a repeated submit
    the same request; ``GatewayProblem`` says why one is refused (409 open or erased, 422)."""
    body: dict[str, Any] = {"kind": kind.value}
    if kind is Kind.CORRECTION:
        body["changes"] = changes or {}
    answer = await who.gateway.call(
        "POST",
        who.path + "/privacy-requests",
        token=who.token,
        json=body,
        browser=browser,
        idempotency_key=idempotency_key,
    )
    return str(answer.body["request_id"])


async def cancel(who: Customer, request_id: str, browser: Browser) -> None:
    """Withdraw a request before work on it starts (409 once it has)."""
    await who.gateway.call(
        "DELETE", f"{who.path}/privacy-requests/{request_id}", token=who.token, browser=browser
    )


async def export(who: Customer, request_id: str, kind: str) -> Answer:
    """The export of a completed access request, as JSON or the bilingual page (``kind``:
    ``json`` or ``html``); the gateway keeps none of it and neither does this server."""
    return await who.gateway.call(
        "GET",
        f"{who.path}/privacy-requests/{request_id}/export",
        token=who.token,
        accept=EXPORT_TYPES[kind],
    )


# -- the disclosure ledger (D1-D3) ----------------------------------------------------------


async def disclosures(who: Customer, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the customer's disclosures, newest first, and the cursor of the next."""
    params: dict[str, str | int] = {"cursor": cursor} if cursor else {}
    found = await who.get("/disclosures", **params)
    return list(found["disclosures"]), found.get("next_cursor")
