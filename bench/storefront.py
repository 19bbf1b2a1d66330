"""A storefront, as the gateway sees one, for benchmarks that break the system underneath it.

Each order goes the way the e2e tests take it: a customer token, ``POST /v1/orders`` with an
``Idempotency-Key``, polls of ``GET /v1/orders/{id}`` until orders placed it, the payment
reported with the storefront's key, polls until the subscription is ``active``. Like a real
storefront's server it retries on connection errors, 5xx and 429, with the same key and the
same body, so a retry is the same request (the gateway maps it to the same order).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import httpx

RETRY_INITIAL_S = 0.1
RETRY_MAX_S = 2.0
POLL_S = 0.2
DECIDED = frozenset({"placed", "paid", "active", "rejected", "cancelled", "refunded", "expired"})
"""Statuses after orders decided; ``pending`` is the gateway's own record of the request."""
PAYABLE = frozenset({"placed", "paid", "active"})


class GaveUp(Exception):
    """The run stopped waiting for this order (see ``Storefront.stop``)."""


@dataclass
class Traffic:
    """What the storefront met on the wire."""

    requests: int = 0
    server_errors: int = 0
    connection_errors: int = 0
    throttled: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "http_5xx": self.server_errors,
            "connection_errors": self.connection_errors,
            "http_429": self.throttled,
        }


@dataclass
class Order:
    """One order as the storefront tracks it; times are ``time.monotonic()``."""

    customer_id: str
    key: str
    body: dict[str, Any]
    payment_reference: str
    started: float = 0.0
    order_id: str | None = None
    accepted_at: float | None = None
    placed_at: float | None = None
    paid_at: float | None = None
    active_at: float | None = None
    status: str | None = None
    refusal: str | None = None
    token: str | None = None


def order_body(customer_id: str, phone: str) -> dict[str, Any]:
    """A one-month plan, paid by a provider token; the contact is unique to the customer."""
    return {
        "plan_id": "shahid-vip-1m",
        "quantity": 1,
        "contact": {
            "name": "Noura Alqahtani",
            "email": f"{customer_id}@chaos.example.com",
            "phone": phone,
            "billing_address": "Prince Sultan St 12, Jeddah",
        },
        "age_attestation": "legal_age",
        "payment_token": f"tok_{customer_id}",
        "marketing_opt_in": False,
        "locale": "ar",
    }


@dataclass
class Storefront:
    """Calls the gateway at ``http``'s base URL; ``stop`` ends every wait with ``GaveUp``."""

    http: httpx.AsyncClient
    api_key: str
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    traffic: Traffic = field(default_factory=Traffic)
    progressed_at: float = field(default_factory=time.monotonic)

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        retry_on: Collection[int] = (),
    ) -> httpx.Response:
        """The first answer that is neither a connection error, a 5xx, a 429 nor one of
        ``retry_on``; the same request is sent again after a growing pause until then."""
        pause = RETRY_INITIAL_S
        while not self.stop.is_set():
            self.traffic.requests += 1
            try:
                answer = await self.http.request(method, path, json=json, headers=headers)
            except httpx.TransportError:
                self.traffic.connection_errors += 1
            else:
                if answer.status_code >= 500:
                    self.traffic.server_errors += 1
                elif answer.status_code == 429:
                    self.traffic.throttled += 1
                elif answer.status_code not in retry_on:
                    return answer
            await asyncio.sleep(pause)
            pause = min(RETRY_MAX_S, pause * 2)
        raise GaveUp(path)

    async def customer_token(self, customer_id: str) -> str:
        answer = await self.call(
            "POST",
            "/v1/auth/customer-token",
            json={"customer_id": customer_id},
            headers={"X-API-Key": self.api_key},
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    async def place(self, order: Order) -> bool:
        """Place ``order`` (retrying with its key); False if the gateway or orders refused it."""
        order.started = order.started or time.monotonic()
        order.token = await self.customer_token(order.customer_id)
        answer = await self.call(
            "POST",
            "/v1/orders",
            json=order.body,
            headers={"Authorization": f"Bearer {order.token}", "Idempotency-Key": order.key},
        )
        if answer.status_code not in {201, 202}:
            problem = answer.json() if answer.content else {}
            order.refusal = str(problem.get("reason") or problem.get("type") or answer.status_code)
            return False
        order.order_id = str(answer.json()["order_id"])
        order.accepted_at = time.monotonic()
        self.progressed_at = order.accepted_at
        return True

    async def status(self, order: Order) -> dict[str, Any]:
        """The order as the gateway shows it to its customer (404 until the gateway has it)."""
        assert order.order_id is not None
        while True:
            if order.token is None:
                order.token = await self.customer_token(order.customer_id)
            answer = await self.call(
                "GET",
                f"/v1/orders/{order.order_id}",
                headers={"Authorization": f"Bearer {order.token}"},
                retry_on={404},
            )
            if answer.status_code == 401:  # the token outlived its TTL during a long outage
                order.token = None
                continue
            answer.raise_for_status()
            found: dict[str, Any] = answer.json()
            order.status = str(found["status"])
            return found

    async def until(self, order: Order, statuses: Collection[str]) -> dict[str, Any]:
        """Poll the order until its status is one of ``statuses`` or it can no longer get there."""
        while True:
            found = await self.status(order)
            if found["status"] in statuses or found["status"] in DECIDED - PAYABLE:
                return found
            await asyncio.sleep(POLL_S)

    async def pay(self, order: Order, total_halalas: int) -> None:
        """Report the provider's payment; a retry carries the same reference (orders keeps one)."""
        answer = await self.call(
            "POST",
            f"/v1/orders/{order.order_id}/payments",
            json={"payment_reference": order.payment_reference, "amount_halalas": total_halalas},
            headers={"X-API-Key": self.api_key},
            retry_on={404},  # the gateway has not heard of the placement yet
        )
        answer.raise_for_status()
        order.paid_at = time.monotonic()

    async def buy(self, order: Order) -> None:
        """The whole purchase: placed, paid, then active (or stopped where it was refused)."""
        if not await self.place(order):
            return
        placed = await self.until(order, PAYABLE)
        if placed["status"] not in PAYABLE:
            order.refusal = placed["status"]
            return
        order.placed_at = time.monotonic()
        self.progressed_at = order.placed_at
        await self.pay(order, int(placed["total_halalas"]))
        active = await self.until(order, {"active"})
        if active["status"] == "active":
            order.active_at = time.monotonic()
            self.progressed_at = order.active_at

    async def decided(self, order: Order) -> None:
        """Place ``order`` and wait until orders decided it (a probe of the whole path)."""
        if await self.place(order):
            await self.until(order, DECIDED)
