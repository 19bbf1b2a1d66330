"""What the storefront pages ask of the gateway: the catalogue and the policy in force, placing
an order as the session's customer, reading the customer's orders, the test payment and a
cancellation.

Payment is a provider's token, never card data (C3): the pages stand in for the provider
with a random ``tok_...`` made once per checkout form. The form's own random key is the
order's ``Idempotency-Key``, and the token is kept with it in the session, so a form sent
twice is the same request twice and the gateway places one order.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from allwan_web.adapters.gateway import Browser, GatewayClient, GatewayProblem
from allwan_web.adapters.sessions import Session
from allwan_web.domain.catalogue import Catalogue
from allwan_web.domain.orders import Asked, Following
from allwan_web.handlers.identity import customer_token, new_customer_id

# Keys of ``Session.pending`` (scratch values of the session, never in a URL).
_CHECKOUT = "storefront.checkout:"
_PAYMENT = "storefront.payment:"
_FOLLOW = "storefront.follow:"
_UNCONFIRMED = "storefront.customer-unconfirmed"
_KEEP = 5
"""Of each kind of scratch value, the newest kept: a visitor's open forms and orders."""


@dataclass(frozen=True)
class Placed:
    order_id: str
    first_order: bool
    """The session's customer is new with this order: remember them, record their choices."""


def new_form_key() -> str:
    """A checkout form's own key, made when the form is shown."""
    return secrets.token_urlsafe(24)


def _keep(session: Session, prefix: str, key: str, value: str) -> str:
    pending = session.pending
    pending.pop(prefix + key, None)
    pending[prefix + key] = value
    mine = [name for name in pending if name.startswith(prefix)]
    for name in mine[:-_KEEP]:
        del pending[name]
    return value


def payment_token(session: Session, form_key: str) -> str:
    """The stand-in provider token of the checkout form ``form_key``: the same for every
    submission of that form (C3: a token, never a card)."""
    known = session.pending.get(_CHECKOUT + form_key)
    return _keep(session, _CHECKOUT, form_key, known or f"tok_{secrets.token_urlsafe(18)}")


async def catalogue(gateway: GatewayClient) -> Catalogue:
    """The store's catalogue as the orders service prices it (``GET /v1/catalogue``)."""
    answer = await gateway.call("GET", "/v1/catalogue")
    return Catalogue.read(answer.body)


async def policy_in_force(gateway: GatewayClient) -> int | None:
    """The version of the privacy policy in force; None before any is published."""
    try:
        answer = await gateway.call("GET", "/v1/policy")
    except GatewayProblem as problem:
        if problem.status == 404:
            return None
        raise
    return int(answer.body["version"])


def _forget_customer(session: Session) -> None:
    session.customer_id = None
    session.customer_token = None
    session.customer_token_expires = None
    session.pending.pop(_UNCONFIRMED, None)


def _new_customer(session: Session) -> None:
    session.customer_id = new_customer_id()
    session.customer_token = None
    session.customer_token_expires = None
    session.pending[_UNCONFIRMED] = "1"


async def place_order(
    gateway: GatewayClient,
    session: Session,
    *,
    body: dict[str, Any],
    form_key: str,
    browser: Browser,
    now: datetime,
) -> Placed:
    """Place ``body`` (``POST /v1/orders``) as the session's customer, who gets a new id at
    their first order. The order's id whether orders placed it, has yet to decide, or refused
    it (its page tells which); a ``GatewayProblem`` when the gateway recorded nothing.

    A customer whose data was erased at their request is gone for good: the order is placed
    for a new customer, as the gateway asks."""
    if session.customer_id is None:
        _new_customer(session)
    for attempt in (1, 2):
        try:
            answer = await gateway.call(
                "POST",
                "/v1/orders",
                token=await customer_token(gateway, session, now),
                json=body,
                browser=browser,
                idempotency_key=form_key,
            )
            order_id = str(answer.body["order_id"])
            break
        except GatewayProblem as problem:
            refused_order = problem.extensions.get("order_id")
            if problem.slug == "order-rejected" and isinstance(refused_order, str):
                order_id = refused_order
                break
            if problem.slug == "customer-erased" and attempt == 1:
                _new_customer(session)
                continue
            if _UNCONFIRMED in session.pending:
                # Nothing was recorded for this id: the visitor is still no customer.
                _forget_customer(session)
            raise
    # An unreachable gateway leaves the new id in the session: the visitor's retry of the
    # same form is then the same order (the same customer and Idempotency-Key).
    first_order = session.pending.pop(_UNCONFIRMED, None) is not None
    return Placed(order_id, first_order)


async def order(gateway: GatewayClient, session: Session, order_id: str, now: datetime) -> Any:
    """One of the customer's own orders (``GET /v1/orders/{id}``); anyone else's is not
    found (404 ``GatewayProblem``)."""
    if session.customer_id is None:
        raise GatewayProblem(404, "urn:allwan:problem:not-found")
    token = await customer_token(gateway, session, now)
    return (await gateway.call("GET", f"/v1/orders/{order_id}", token=token)).body


async def my_orders(gateway: GatewayClient, session: Session, now: datetime) -> list[Any]:
    """The customer's orders, newest first; none for a visitor who is no customer."""
    if session.customer_id is None:
        return []
    token = await customer_token(gateway, session, now)
    answer = await gateway.call("GET", f"/v1/customers/{session.customer_id}/orders", token=token)
    return list(reversed(answer.body["orders"]))


def following(session: Session, order_id: str) -> Following | None:
    """What the customer asked of ``order_id`` from its page, if anything."""
    return Following.decode(session.pending.get(_FOLLOW + order_id))


def stop_following(session: Session, order_id: str) -> None:
    """The answer came (or a refusal did): the order's page stops following it."""
    session.pending.pop(_FOLLOW + order_id, None)


async def pay_for_test(
    gateway: GatewayClient, session: Session, found: dict[str, Any], now: datetime
) -> None:
    """Report a payment of the order's whole total, standing in for the payment provider
    (``web_test_payments``): the storefront server's own call, with its API key. One
    reference per order and session, so a second click reports the same payment (orders
    records it once)."""
    order_id = str(found["order_id"])
    reference = session.pending.get(_PAYMENT + order_id) or f"pay_{secrets.token_hex(12)}"
    _keep(session, _PAYMENT, order_id, reference)
    await gateway.call(
        "POST",
        f"/v1/orders/{order_id}/payments",
        client_key=True,
        json={"payment_reference": reference, "amount_halalas": int(found["total_halalas"])},
    )
    _keep(session, _FOLLOW, order_id, Following(Asked.PAYMENT, now).encode())


async def cancel(
    gateway: GatewayClient, session: Session, order_id: str, browser: Browser, now: datetime
) -> None:
    """Ask to cancel (``POST /v1/orders/{id}/cancellation``); orders decides."""
    token = await customer_token(gateway, session, now)
    await gateway.call("POST", f"/v1/orders/{order_id}/cancellation", token=token, browser=browser)
    _keep(session, _FOLLOW, order_id, Following(Asked.CANCELLATION, now).encode())
