"""The API by resource, one router each, in the order the OpenAPI document lists them."""

from __future__ import annotations

from fastapi import APIRouter

from allwan_gateway.entrypoints.routes import (
    accountability,
    audit_trail,
    auth,
    breaches,
    catalogue,
    consents,
    disclosures,
    orders,
    policy,
    privacy,
    privacy_export,
    privacy_staff,
    staff,
    webhooks,
)

ROUTERS: tuple[APIRouter, ...] = (
    catalogue.router,
    policy.router,
    auth.router,
    orders.router,
    consents.router,
    privacy.router,
    privacy_export.router,
    staff.router,
    audit_trail.router,
    privacy_staff.router,
    disclosures.router,
    breaches.router,
    accountability.router,
    webhooks.router,
)
