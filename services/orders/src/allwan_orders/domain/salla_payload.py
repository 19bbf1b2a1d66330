"""The parts of Salla's webhook payloads orders reads (T1); everything else is dropped.

Every delivery is ``{event, merchant, created_at, data}``. The order events (``order.created``,
``order.updated``, ``order.payment.updated``, ``order.cancelled``, ``order.refunded``...) share
one order model as ``data``; ``order.status.updated`` carries the status change as ``data``
and the order in ``data.order``, with a shorter customer (``name``, ``mobile`` with its
code). ``customer.created`` and ``customer.updated`` carry the customer as ``data``.
Shapes as in Salla's "Webhooks - Store Events" documentation (docs.salla.dev).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Kept(BaseModel):
    # Unknown fields are ignored, not kept: Salla sends far more than orders may store (P1).
    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)


class SallaAddress(_Kept):
    street_name: str | None = None
    district: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None


class SallaCustomer(_Kept):
    id: int | str
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    mobile: int | str | None = None
    mobile_code: str | None = None
    email: str | None = None
    city: str | None = None
    country: str | None = None
    address: SallaAddress | None = None


class SallaMoney(_Kept):
    amount: Decimal
    currency: str = "SAR"


class SallaAmounts(_Kept):
    total: SallaMoney | None = None


class SallaStatus(_Kept):
    slug: str | None = None


class SallaItem(_Kept):
    sku: str | None = None
    quantity: int = Field(ge=1)


class SallaOrder(_Kept):
    id: int | str
    status: SallaStatus | str | None = None
    payment_method: str | None = None
    is_pending_payment: bool | None = None
    amounts: SallaAmounts | None = None
    total: SallaMoney | None = None
    customer: SallaCustomer | None = None
    items: list[SallaItem] = Field(default_factory=list)

    @property
    def total_sar(self) -> Decimal | None:
        money = self.amounts.total if self.amounts and self.amounts.total else self.total
        return money.amount if money else None

    @property
    def slug(self) -> str:
        # order.status.updated once sent the status as its display name: no slug to read.
        return (self.status.slug if isinstance(self.status, SallaStatus) else None) or ""


class SallaDelivery(_Kept):
    event: str = Field(min_length=1, max_length=100)
    merchant: int | str | None = None
    created_at: str | None = None
    data: dict[str, Any]
