"""The API by resource, one router each, in the order the OpenAPI document lists them."""

from __future__ import annotations

from fastapi import APIRouter

from allwan_gateway.entrypoints.routes import (
    auth,
    catalogue,
    consents,
    orders,
    policy,
    staff,
    webhooks,
)

ROUTERS: tuple[APIRouter, ...] = (
    catalogue.router,
    policy.router,
    auth.router,
    orders.router,
    consents.router,
    staff.router,
    webhooks.router,
)
