"""Who the browser is to the gateway: a customer (by a token the storefront client asks for
them) or a staff member (by the token they signed in for). Tokens stay in the session, on
the server; the browser never sees one."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from allwan_web.adapters.gateway import GatewayClient
from allwan_web.adapters.sessions import Session

_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
# A token is renewed this long before it expires, so a page never sends one that lapses on
# its way.
_MARGIN = timedelta(seconds=30)


def new_customer_id() -> str:
    """A customer id for a first-time buyer: random, letters first, never card-like (C3)."""
    return "c" + "".join(secrets.choice(_ALPHABET) for _ in range(23))


async def customer_token(gateway: GatewayClient, session: Session, now: datetime) -> str:
    """The session's customer token, asked for again when it is about to expire."""
    if session.customer_id is None:
        raise LookupError("the session has no customer")
    expires = session.customer_token_expires
    if session.customer_token is not None and expires is not None and now + _MARGIN < expires:
        return session.customer_token
    answer = await gateway.call(
        "POST",
        "/v1/auth/customer-token",
        client_key=True,
        json={"customer_id": session.customer_id},
    )
    session.customer_token = str(answer.body["access_token"])
    session.customer_token_expires = now + timedelta(seconds=int(answer.body["expires_in"]))
    return session.customer_token


def staff_token(session: Session, now: datetime) -> str | None:
    """The signed-in staff member's token while it is valid; staff sign in again after."""
    expires = session.staff_token_expires
    if session.staff_token is None or expires is None or now + _MARGIN >= expires:
        session.sign_out_staff()
        return None
    return session.staff_token
