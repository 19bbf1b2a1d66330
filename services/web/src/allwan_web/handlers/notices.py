"""The notice a customer sees on every page after a material policy change, until they
confirm the new version (PC2): the consent ledger marks their purposes
``reconfirmation_required``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from allwan_web.adapters.gateway import Browser, GatewayClient
from allwan_web.adapters.sessions import Session
from allwan_web.handlers.identity import customer_token


@dataclass(frozen=True)
class Reconfirm:
    version: int
    purposes: tuple[str, ...]


async def reconfirmation(
    gateway: GatewayClient, session: Session, now: datetime
) -> Reconfirm | None:
    """The version the customer has yet to confirm, and for which purposes; None if none."""
    if session.customer_id is None:
        return None
    token = await customer_token(gateway, session, now)
    answer = await gateway.call("GET", f"/v1/customers/{session.customer_id}/consents", token=token)
    waiting = {
        purpose: state
        for purpose, state in (answer.body.get("purposes") or {}).items()
        if state.get("status") == "reconfirmation_required"
    }
    if not waiting:
        return None
    version = max(int(state.get("reconfirm_for") or 0) for state in waiting.values())
    return Reconfirm(version, tuple(sorted(waiting)))


async def reconfirm(
    gateway: GatewayClient, session: Session, browser: Browser, now: datetime
) -> None:
    """Confirm every purpose waiting for the new version: a grant under it, with proof."""
    waiting = await reconfirmation(gateway, session, now)
    if waiting is None or session.customer_id is None:
        return
    token = await customer_token(gateway, session, now)
    for purpose in waiting.purposes:
        await gateway.call(
            "POST",
            f"/v1/customers/{session.customer_id}/consents",
            token=token,
            json={"purpose": purpose, "action": "grant"},
            browser=browser,
        )
