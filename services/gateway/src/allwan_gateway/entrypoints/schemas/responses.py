"""What the API answers: response models, documented in the OpenAPI schema with examples,
and the links from one answer to the requests it leads to."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from allwan_contracts import ConsentPurpose
from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Problem(BaseModel):
    """RFC 9457 problem details; some problems add ``errors`` or ``order_id``/``reason``."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:allwan:problem:card-data-refused",
                    "title": "Unprocessable Content",
                    "status": 422,
                    "detail": "Card numbers and security codes are never accepted (C3).",
                    "instance": "/v1/orders",
                    "errors": [{"location": "$.payment_token", "kind": "card_data"}],
                }
            ]
        },
    )

    type: str
    title: str
    status: int
    detail: str
    instance: str


class Rejection(_Out):
    request: str
    reason: str
    message: str
    at: datetime


class Order(_Out):
    """An order as the gateway last heard of it; ``pending`` until orders decided."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "order_id": "0b8f7a5e-4a55-5a1c-9a52-1f9d0a3c2e11",
                    "status": "placed",
                    "customer_id": "cust-1042",
                    "plan_id": "shahid-vip-1m",
                    "quantity": 1,
                    "total_halalas": 2990,
                    "currency": "SAR",
                }
            ]
        },
    )

    order_id: str
    status: Literal[
        "pending", "placed", "paid", "active", "cancelled", "refunded", "expired", "rejected"
    ]
    customer_id: str
    plan_id: str | None = None
    quantity: int | None = None
    total_halalas: int | None = None
    currency: str | None = None
    requested_at: datetime | None = None
    placed_at: datetime | None = None
    paid_halalas: int | None = None
    paid_at: datetime | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    cancelled_at: datetime | None = None
    expired_at: datetime | None = None
    refunded_halalas: int | None = None
    rejection: Rejection | None = None


class Orders(_Out):
    orders: list[Order]


class Accepted(_Out):
    """The request is recorded; the deciding service answers through ``status_url``."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "status": "accepted",
                    "order_id": "0b8f7a5e-4a55-5a1c-9a52-1f9d0a3c2e11",
                    "status_url": "/v1/orders/0b8f7a5e-4a55-5a1c-9a52-1f9d0a3c2e11",
                }
            ]
        },
    )

    status: Literal["accepted"] = "accepted"
    order_id: str | None = None
    status_url: str


class PurposeState(_Out):
    status: Literal["granted", "withdrawn", "reconfirmation_required"]
    policy_version: int
    reconfirm_for: int | None = None
    channel: str | None = None
    changed_at: datetime


class Consents(_Out):
    """Per purpose, the ledger's last word (K2, K3); a purpose never given is absent."""

    customer_id: str
    purposes: dict[ConsentPurpose, PurposeState]
    erased: bool


class CookiePreferencesOut(_Out):
    """CK1, CK2: essential cookies are always on; the others only when granted."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [{"essential": True, "functional": True, "analytics": False}]
        },
    )

    essential: Literal[True] = True
    functional: bool
    analytics: bool


class Contact(_Out):
    """CT1: where customers reach the store about privacy."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {"phone": "0563120415", "whatsapp": "0563120415", "email": "privacy@example.com"}
            ]
        },
    )

    phone: str
    whatsapp: str
    email: str


class PolicySummary(_Out):
    version: int
    effective_at: datetime
    published_at: datetime
    material: bool
    summary_ar: str
    summary_en: str
    url: str


class Policy(PolicySummary):
    """A published version of the privacy policy, in Arabic and English (PC1, CT1)."""

    text_ar: str
    text_en: str
    contact: Contact


class PolicyHistory(_Out):
    versions: list[PolicySummary]


class Plan(_Out):
    plan_id: str
    months: int
    price_halalas: int = Field(description="Shelf price, VAT included.")
    max_quantity: int
    retired: bool


class Product(_Out):
    product_id: str
    name_ar: str
    name_en: str
    plans: list[Plan]


class Catalogue(_Out):
    """What the store sells, as the orders service prices it."""

    currency: str
    vat_rate_percent: int
    updated_at: datetime
    products: list[Product]


class Token(_Out):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {"access_token": "eyJhbGciOi...", "token_type": "Bearer", "expires_in": 900}
            ]
        },
    )

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a scheme name, not a secret
    expires_in: int


class StaffIdentity(_Out):
    """Who a staff token names: their id and the name the console greets them by."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"staff_id": "noura", "name": "Noura Alqahtani"}]},
    )

    staff_id: str
    name: str


class AuditEntry(_Out):
    """One staff action (S1): when, who (``staff:<id>``), what and on what, and the id the
    intake events it led to carry as their correlation id."""

    at: datetime
    actor: str
    action: str
    target: str
    request_id: str


class AuditTrail(_Out):
    """A page of the audit trail, newest first."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "entries": [
                        {
                            "at": "2026-03-01T09:30:00.120000Z",
                            "actor": "staff:noura",
                            "action": "privacy.request.extend",
                            "target": "privacy_request:5f0c2a9e-1d3b-4c1e-9a55-0b8f7a5e4a55",
                            "request_id": "0d6c1f0e-8f3a-4a55-9a52-1f9d0a3c2e11",
                        }
                    ],
                    "next": "t20260301093000120000-4f1c9a0b2e3d5a67",
                }
            ]
        },
    )

    entries: list[AuditEntry]
    next: str | None = Field(
        description="The ``cursor`` of the next (older) page; null on the last page."
    )


class ConsentProof(_Out):
    """Every grant, withdrawal, suspension and erasure of one customer, oldest first (K3)."""

    customer_id: str
    entries: list[dict[str, Any]]


class WebhookAck(_Out):
    status: Literal["received", "already_received"]
    delivery_id: str


class Live(_Out):
    status: Literal["live"]


class Ready(_Out):
    status: Literal["ready", "not ready"]
    checks: dict[str, str]


def link(method: str, path: str, description: str, **parameters: str) -> dict[str, Any]:
    """An OpenAPI link from an answer to the operation ``method path``, its parameters as
    runtime expressions (``$response.body#/order_id``). Clients follow links, and so do
    schemathesis' stateful tests, which chain real ids instead of guessing them."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    found: dict[str, Any] = {
        "operationRef": f"#/paths/{pointer}/{method.lower()}",
        "description": description,
    }
    if parameters:
        found["parameters"] = parameters
    return found


LOCATION = {
    "Location": {
        "description": "Where to follow what this request started.",
        "schema": {"type": "string"},
    }
}
