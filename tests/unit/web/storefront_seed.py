"""What the storefront's page tests share: a gateway that has the catalogue and a policy, a
checkout as a browser posts it, and the decisions of the orders service seeded as it would
publish them."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from allwan_contracts import (
    CancellationReason,
    CatalogueProduct,
    CatalogueUpdated,
    OrderCancelled,
    OrderRejected,
    OrderRequestKind,
    RejectionReason,
)
from allwan_contracts.intake import OrderRequested

from tests.builders import catalogue_updated
from tests.unit.gateway.seed import activated, deliver, paid, placed, publish_policy
from tests.unit.web.harness import WebHarness, csrf_of, web_harness

PLAN = "shahid-vip-1m"
_FORM_KEY = re.compile(r'name="form_key" value="([^"]+)"')
CONTACT = {
    "name": "Noura Alqahtani",
    "email": "noura@example.com",
    "phone": "+966512345678",
    "billing_address": "",
    "quantity": "1",
    "age_attestation": "legal_age",
}


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


async def store(
    clock: Clock | None = None, *products: CatalogueProduct, test_payments: bool = False
) -> WebHarness:
    """The pages over a gateway that has the catalogue (the builders' one, or ``products``)
    and policy version 1."""
    h = web_harness(clock=clock) if clock else web_harness()
    catalogue = catalogue_updated("ab" * 32)
    if products:
        catalogue = CatalogueUpdated(
            content_hash="cd" * 32, currency="SAR", vat_rate_percent=15, products=products
        )
    await deliver(h.gateway.gateway, catalogue, 1)
    await publish_policy(h.gateway.gateway, 1)
    h.web.settings.web_test_payments = test_payments
    return h


def form_key_of(html: str) -> str:
    found = _FORM_KEY.search(html)
    assert found, "the page has no checkout form"
    return found.group(1)


@dataclass
class Form:
    """A checkout form as shown: its CSRF token and its own key."""

    csrf: str
    key: str


async def show_checkout(browser: httpx.AsyncClient, plan: str = PLAN) -> Form:
    shown = await browser.get(f"/checkout/{plan}")
    assert shown.status_code == 200, shown.text
    return Form(csrf_of(shown.text), form_key_of(shown.text))


async def submit(
    browser: httpx.AsyncClient, form: Form, plan: str = PLAN, **fields: Any
) -> httpx.Response:
    data = CONTACT | {"csrf": form.csrf, "form_key": form.key} | fields
    return await browser.post(
        f"/checkout/{plan}", data={k: v for k, v in data.items() if v is not None}
    )


async def checkout(browser: httpx.AsyncClient, plan: str = PLAN, **fields: Any) -> httpx.Response:
    """Show the checkout form and send it filled in (``fields`` override the contact)."""
    return await submit(browser, await show_checkout(browser, plan), plan, **fields)


async def order(browser: httpx.AsyncClient, **fields: Any) -> str:
    """A checkout that places an order; its id."""
    sent = await checkout(browser, **fields)
    assert sent.status_code == 303, sent.text
    location = sent.headers["location"]
    assert location.startswith("/orders/")
    return location.removeprefix("/orders/")


def requested(h: WebHarness) -> list[OrderRequested]:
    found = h.gateway.intake("OrderRequested")
    assert all(isinstance(event, OrderRequested) for event in found)
    return found


def customer_of(h: WebHarness, order_id: str) -> str:
    [request] = [r for r in requested(h) if r.order_id == order_id]
    return request.customer_id


async def decide(h: WebHarness, order_id: str, *steps: str) -> None:
    """Orders' decisions on ``order_id``, in order: ``placed``, ``paid``, ``active``,
    ``cancelled``, ``rejected`` (its placement), ``cancellation-refused``."""
    customer = customer_of(h, order_id)
    events: dict[str, Any] = {
        "placed": lambda: placed(order_id, customer),
        "paid": lambda: paid(order_id, customer),
        "active": lambda: activated(order_id, customer),
        "cancelled": lambda: OrderCancelled(
            order_id=order_id,
            customer_id=customer,
            reason=CancellationReason.CUSTOMER_REQUEST,
            refund_halalas=0,
            currency="SAR",
        ),
        "rejected": lambda: refusal(order_id, customer, OrderRequestKind.PLACE),
        "cancellation-refused": lambda: refusal(order_id, customer, OrderRequestKind.CANCELLATION),
    }
    for step in steps:
        # The next version of the order's stream, as orders would number it.
        version = int(h.gateway.documents.collections["orders"][order_id]["_v"]) + 1
        await deliver(h.gateway.gateway, events[step](), version)


def refusal(order_id: str, customer_id: str, kind: OrderRequestKind) -> OrderRejected:
    reason = (
        RejectionReason.AGE_ATTESTATION_MISSING
        if kind is OrderRequestKind.PLACE
        else RejectionReason.INVALID_TRANSITION
    )
    return OrderRejected(
        order_id=order_id,
        customer_id=customer_id,
        request=kind,
        request_id=uuid.uuid4(),
        reason=reason,
        message="Refused.",
    )


def main_of(html: str) -> str:
    """The page's ``<main>``: what the page itself says, without the frame."""
    return html[html.index("<main") : html.index("</main>")]
