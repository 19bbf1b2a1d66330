"""Recording a cookie choice (CK1, CK2): in the browser's essential cookie always, and with
proof in the consent ledger once the visitor is a customer."""

from __future__ import annotations

from datetime import datetime

from allwan_web.adapters.gateway import Browser, GatewayClient
from allwan_web.adapters.sessions import Session
from allwan_web.domain.cookies import CookieChoice
from allwan_web.handlers.identity import customer_token


async def record_choice(
    gateway: GatewayClient, session: Session, choice: CookieChoice, browser: Browser, now: datetime
) -> bool:
    """Record ``choice`` for the session's customer; False when the visitor is no customer yet
    (the choice is recorded at their first order)."""
    if session.customer_id is None:
        return False
    token = await customer_token(gateway, session, now)
    await gateway.call(
        "PUT",
        f"/v1/customers/{session.customer_id}/cookie-preferences",
        token=token,
        json={"functional": choice.functional, "analytics": choice.analytics},
        browser=browser,
    )
    return True
