"""The storefront: the catalogue, a plan, the checkout, an order and the customer's orders."""

from __future__ import annotations

import re
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, HTTPException, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from allwan_web.adapters.gateway import GatewayProblem, GatewayUnavailable
from allwan_web.domain import orders as rules
from allwan_web.domain.catalogue import (
    Catalogue,
    Offer,
    months_key,
    plan_id_ok,
    recent_after_viewing,
    recent_plans,
)
from allwan_web.domain.checkout import (
    FIELDS,
    gateway_errors,
    read_checkout,
    valid_form_key,
)
from allwan_web.entrypoints.csrf import Form
from allwan_web.entrypoints.pages import RECENT_COOKIE, Page, page, render, see_other
from allwan_web.handlers import storefront
from allwan_web.handlers.cookies import record_choice

log = structlog.get_logger(__name__)
router = APIRouter()
Visitor = Annotated[Page, Depends(page)]

RECENT_MAX_AGE_S = 30 * 24 * 3600
_ORDER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def _recent_cookie(visitor: Page, response: Response, viewed: str | None = None) -> None:
    """Set the recent-plans cookie only with functional cookies allowed; otherwise a
    leftover one (from before a withdrawal) goes."""
    sent = visitor.request.cookies.get(RECENT_COOKIE)
    if not visitor.choice.functional:
        if sent is not None:
            response.delete_cookie(
                RECENT_COOKIE, path="/", secure=visitor.web.settings.web_cookie_secure,
                httponly=True, samesite="lax",
            )  # fmt: skip
        return
    if viewed is None:
        return
    response.set_cookie(
        RECENT_COOKIE, recent_after_viewing(sent, viewed), max_age=RECENT_MAX_AGE_S,
        secure=visitor.web.settings.web_cookie_secure, httponly=True, samesite="lax", path="/",
    )  # fmt: skip


def _plan_words(visitor: Page, offer: Offer | None) -> str | None:
    if offer is None:
        return None
    length = visitor.t(months_key(offer.months), n=visitor.number(offer.months))
    return visitor.t("plan.name", product=offer.product(visitor.locale), length=length)


async def _catalogue_or_none(visitor: Page) -> Catalogue | None:
    """The catalogue for naming plans on order pages: an order still shows without it."""
    try:
        return await storefront.catalogue(visitor.web.gateway)
    except (GatewayProblem, GatewayUnavailable):
        return None


def _common(visitor: Page) -> dict[str, Any]:
    return {
        "plan_words": lambda offer: _plan_words(visitor, offer),
        "months_key": months_key,
        "status_key": rules.status_key,
        "reason_key": rules.reason_key,
        "explain_key": rules.explain_key,
        "request_key": rules.request_key,
    }


@router.get("/")
async def catalogue_page(visitor: Visitor) -> HTMLResponse:
    """What the store sells, with prices VAT included; the plans viewed lately, for visitors
    who allowed functional cookies."""
    catalogue = await storefront.catalogue(visitor.web.gateway)
    recent: list[Offer] = []
    if visitor.choice.functional:
        for plan_id in recent_plans(visitor.request.cookies.get(RECENT_COOKIE)):
            offer = catalogue.offer(plan_id)
            if offer is not None and not offer.retired:
                recent.append(offer)
    response = await render(
        visitor,
        "storefront/catalogue.html",
        products=catalogue.on_sale(),
        recent=recent,
        vat_rate=visitor.number(catalogue.vat_rate_percent),
        **_common(visitor),
    )
    _recent_cookie(visitor, response)
    return response


async def _offer(visitor: Page, plan_id: str) -> tuple[Catalogue, Offer]:
    if not plan_id_ok(plan_id):
        raise HTTPException(404)
    catalogue = await storefront.catalogue(visitor.web.gateway)
    offer = catalogue.offer(plan_id)
    if offer is None:
        raise HTTPException(404)
    return catalogue, offer


@router.get("/plans/{plan_id}")
async def plan_page(visitor: Visitor, plan_id: str) -> HTMLResponse:
    """One plan: its price and VAT, and the way to order it (unless it is no longer sold)."""
    catalogue, offer = await _offer(visitor, plan_id)
    response = await render(
        visitor,
        "storefront/plan.html",
        offer=offer,
        vat_rate=visitor.number(catalogue.vat_rate_percent),
        **_common(visitor),
    )
    _recent_cookie(visitor, response, viewed=offer.plan_id)
    return response


async def _checkout_page(
    visitor: Page,
    offer: Offer,
    status_code: int,
    *,
    form_key: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    form_error: str | None = None,
) -> HTMLResponse:
    policy_version = await storefront.policy_in_force(visitor.web.gateway)
    limit = visitor.number(offer.max_quantity)
    return await render(
        visitor,
        "storefront/checkout.html",
        status_code,
        offer=offer,
        form_key=form_key,
        values=values or {name: "1" if name == "quantity" else "" for name in FIELDS},
        errors={field: visitor.t(key, max=limit) for field, key in (errors or {}).items()},
        form_error=visitor.t(form_error) if form_error else None,
        policy_version=policy_version,
        **_common(visitor),
    )


@router.get("/checkout/{plan_id}", response_model=None)
async def checkout_form(visitor: Visitor, plan_id: str) -> HTMLResponse | RedirectResponse:
    """The checkout form: contact, quantity, the age attestation (A1, none chosen for the
    visitor), marketing unticked (K2), the policy version accepted by ordering; no card
    field (C3). Its random key, made now, makes a second submission the same order."""
    _, offer = await _offer(visitor, plan_id)
    if offer.retired:
        return see_other(f"/plans/{offer.plan_id}")
    return await _checkout_page(visitor, offer, 200, form_key=storefront.new_form_key())


@router.post("/checkout/{plan_id}", response_model=None)
async def checkout(visitor: Visitor, form: Form, plan_id: str) -> HTMLResponse | RedirectResponse:
    """Place the order; the form again with each mistake beside its field (422), in the
    visitor's language, whether this page or the gateway found it."""
    _, offer = await _offer(visitor, plan_id)
    if offer.retired:
        return see_other(f"/plans/{offer.plan_id}")
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    filled = read_checkout(fields, offer.max_quantity)
    form_key = fields.get("form_key")
    if form_key is None or not valid_form_key(form_key):
        return await _checkout_page(
            visitor, offer, 422, form_key=storefront.new_form_key(), values=filled.values,
            errors=filled.errors, form_error="checkout.errors.expired",
        )  # fmt: skip
    if filled.checkout is None:
        return await _checkout_page(
            visitor, offer, 422, form_key=form_key, values=filled.values, errors=filled.errors
        )
    body = filled.checkout.order(
        offer.plan_id, storefront.payment_token(visitor.session, form_key), visitor.locale.value
    )
    now = visitor.web.clock()
    try:
        placed = await storefront.place_order(
            visitor.web.gateway, visitor.session, body=body, form_key=form_key,
            browser=visitor.browser, now=now,
        )  # fmt: skip
    except GatewayProblem as problem:
        if problem.status == 422:
            errors, elsewhere = gateway_errors(problem.errors)
            values = {
                name: "" if errors.get(name) == "checkout.errors.card_data" else value
                for name, value in filled.values.items()
            }
            return await _checkout_page(
                visitor, offer, 422, form_key=form_key, values=values, errors=errors,
                form_error="checkout.errors.form" if elsewhere or not errors else None,
            )  # fmt: skip
        if problem.slug == "idempotency-key-reused":
            # This form already placed an order with other values: a new form, a new order.
            return await _checkout_page(
                visitor, offer, 409, form_key=storefront.new_form_key(), values=filled.values,
                form_error="checkout.errors.reused",
            )  # fmt: skip
        raise
    if placed.first_order:
        visitor.request.state.remember_customer = True
        if visitor.choice.decided:
            await _record_cookie_choice(visitor)
    return see_other(f"/orders/{placed.order_id}")


async def _record_cookie_choice(visitor: Page) -> None:
    """The choice made before the first order, now with proof for the new customer (CK1).
    The order stands if this fails: the choice stays in the browser's cookie."""
    try:
        await record_choice(
            visitor.web.gateway, visitor.session, visitor.choice, visitor.browser,
            visitor.web.clock(),
        )  # fmt: skip
    except (GatewayProblem, GatewayUnavailable) as error:
        log.warning("web.cookie_choice_not_recorded", problem=str(error))


def _order_id(order_id: str) -> str:
    if not _ORDER_ID.fullmatch(order_id):
        raise HTTPException(404)
    return order_id


@router.get("/orders/{order_id}")
async def order_page(visitor: Visitor, order_id: str, updates: str | None = None) -> HTMLResponse:
    """One of the customer's orders: its status in words, amount, plan and dates; the page
    reloads itself while a decision is on its way (``?updates=off`` stops it)."""
    order_id = _order_id(order_id)
    now = visitor.web.clock()
    found = await storefront.order(visitor.web.gateway, visitor.session, order_id, now)
    asked = storefront.following(visitor.session, order_id)
    if asked is not None and not rules.awaiting(found, asked):
        storefront.stop_following(visitor.session, order_id)
    awaiting = rules.awaiting(found, asked)
    follows = rules.follows(found, asked, now)
    catalogue = await _catalogue_or_none(visitor)
    offer = catalogue.offer(str(found.get("plan_id"))) if catalogue else None
    return await render(
        visitor,
        "storefront/order.html",
        order=found,
        plan=_plan_words(visitor, offer) or found.get("plan_id") or "",
        refresh=follows and updates != "off",
        paused=follows and updates == "off",
        slow=awaiting and not follows,
        can_pay=visitor.web.settings.web_test_payments and rules.can_pay(found, asked, now),
        can_cancel=rules.can_cancel(found, asked, now),
        refresh_s=rules.REFRESH_S,
        **_common(visitor),
    )


@router.post("/orders/{order_id}/payment")
async def pay(visitor: Visitor, form: Form, order_id: str) -> RedirectResponse:
    """ "Pay (test)": the storefront's payment call, standing in for the provider; only
    with ``web_test_payments`` on (the dev stack and the browser tests)."""
    order_id = _order_id(order_id)
    if not visitor.web.settings.web_test_payments:
        raise HTTPException(404)
    now = visitor.web.clock()
    found = await storefront.order(visitor.web.gateway, visitor.session, order_id, now)
    asked = storefront.following(visitor.session, order_id)
    if rules.can_pay(found, asked, now):
        await storefront.pay_for_test(visitor.web.gateway, visitor.session, found, now)
    return see_other(f"/orders/{order_id}")


@router.get("/orders/{order_id}/cancel", response_model=None)
async def cancel_confirmation(visitor: Visitor, order_id: str) -> HTMLResponse | RedirectResponse:
    """Cancelling takes a second, deliberate step."""
    order_id = _order_id(order_id)
    now = visitor.web.clock()
    found = await storefront.order(visitor.web.gateway, visitor.session, order_id, now)
    if not rules.can_cancel(found, storefront.following(visitor.session, order_id), now):
        return see_other(f"/orders/{order_id}")
    catalogue = await _catalogue_or_none(visitor)
    offer = catalogue.offer(str(found.get("plan_id"))) if catalogue else None
    return await render(
        visitor,
        "storefront/cancel.html",
        order=found,
        plan=_plan_words(visitor, offer) or found.get("plan_id") or "",
        **_common(visitor),
    )


@router.post("/orders/{order_id}/cancellation")
async def cancel(visitor: Visitor, form: Form, order_id: str) -> RedirectResponse:
    """Ask orders to cancel; the order's page follows its answer."""
    order_id = _order_id(order_id)
    now = visitor.web.clock()
    found = await storefront.order(visitor.web.gateway, visitor.session, order_id, now)
    if rules.can_cancel(found, storefront.following(visitor.session, order_id), now):
        await storefront.cancel(
            visitor.web.gateway, visitor.session, order_id, visitor.browser, now
        )
        visitor.session.flash.append("order.cancel_asked")
    return see_other(f"/orders/{order_id}")


@router.get("/account/orders")
async def my_orders(visitor: Visitor) -> HTMLResponse:
    """The customer's orders, newest first; an empty page for a visitor with none."""
    found = await storefront.my_orders(visitor.web.gateway, visitor.session, visitor.web.clock())
    catalogue = await _catalogue_or_none(visitor) if found else None
    named = [
        (order, _plan_words(visitor, catalogue.offer(str(order.get("plan_id"))) if catalogue
                            else None) or order.get("plan_id") or "")
        for order in found
    ]  # fmt: skip
    return await render(visitor, "storefront/orders.html", orders=named, **_common(visitor))
