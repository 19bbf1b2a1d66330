"""An order as its page shows it: the status and refusal reasons in words, what the customer
may still ask for (pay, cancel), and whether the page follows a decision the orders service
has yet to make (a ``<meta http-equiv="refresh">``, no script: the CSP allows none inline).

A page follows only for a while (``FOLLOW_FOR``): a decision that takes longer is told as
such, and the page stops reloading itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

STATUSES = frozenset(
    {"pending", "placed", "paid", "active", "cancelled", "refunded", "expired", "rejected"}
)
CANCELLABLE = frozenset({"placed", "paid", "active"})
"""What the orders service lets a customer cancel (``allwan_orders.domain.status``)."""
REASONS = frozenset(
    {
        "age_attestation_missing",
        "card_data_present",
        "unknown_plan",
        "plan_unavailable",
        "quantity_not_allowed",
        "unsupported_order",
        "customer_erased",
        "order_not_found",
        "customer_mismatch",
        "amount_mismatch",
        "refund_exceeds_payment",
        "invalid_transition",
    }
)
"""``allwan_contracts.RejectionReason``: each has its words on the page."""
REFRESH_S = 2
FOLLOW_FOR = timedelta(minutes=2)


class Asked(StrEnum):
    """What the customer asked of an order from its page, which orders decides later."""

    PAYMENT = "payment"
    CANCELLATION = "cancellation"


@dataclass(frozen=True)
class Following:
    """The customer asked ``asked`` at ``since``: the page follows the order's answer."""

    asked: Asked
    since: datetime

    def encode(self) -> str:
        return f"{self.asked.value}@{self.since.isoformat()}"

    @classmethod
    def decode(cls, value: str | None) -> Following | None:
        asked, _, since = (value or "").partition("@")
        try:
            return cls(Asked(asked), datetime.fromisoformat(since))
        except ValueError:
            return None


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def refused_since(order: Mapping[str, Any], following: Following) -> bool:
    """Whether orders refused what was asked, after it was asked."""
    rejection = order.get("rejection") or {}
    if rejection.get("request") != following.asked.value:
        return False
    at = _moment(rejection.get("at"))
    return at is not None and at >= following.since


def awaiting(order: Mapping[str, Any], following: Following | None) -> bool:
    """Whether a decision is still to come: the order itself (pending), or what the customer
    asked from its page (a payment until the subscription runs, a cancellation until the
    order is cancelled), unless orders refused it."""
    status = order.get("status")
    if status == "pending":
        return True
    if following is None or refused_since(order, following):
        return False
    if following.asked is Asked.PAYMENT:
        return status in {"placed", "paid"}
    return status in CANCELLABLE


def follows(order: Mapping[str, Any], following: Following | None, now: datetime) -> bool:
    """Whether the page reloads itself to show the decision: while one is awaited, for
    ``FOLLOW_FOR`` after the order was made or the request asked."""
    if not awaiting(order, following):
        return False
    if order.get("status") == "pending":
        started = _moment(order.get("requested_at"))
        # The answer to "pending" is the order's own decision: followed from its request.
        return started is None or now - started <= FOLLOW_FOR
    return following is not None and now - following.since <= FOLLOW_FOR


def can_pay(order: Mapping[str, Any], following: Following | None, now: datetime) -> bool:
    """An order awaiting payment, with no payment on its way (one asked for long ago may be
    asked for again: it carries the same reference, and orders records a payment once)."""
    if order.get("status") != "placed":
        return False
    return not _asked(Asked.PAYMENT, order, following, now)


def can_cancel(order: Mapping[str, Any], following: Following | None, now: datetime) -> bool:
    """An order orders would still cancel, with no cancellation on its way."""
    if order.get("status") not in CANCELLABLE:
        return False
    return not _asked(Asked.CANCELLATION, order, following, now)


def _asked(
    asked: Asked, order: Mapping[str, Any], following: Following | None, now: datetime
) -> bool:
    return following is not None and following.asked is asked and follows(order, following, now)


def status_key(status: Any) -> str:
    return f"order.status.{status}" if status in STATUSES else "order.status.unknown"


def reason_key(reason: Any) -> str:
    return f"order.reason.{reason}" if reason in REASONS else "order.reason.other"


def explain_key(status: Any) -> str:
    """A sentence on what the status means for the customer and what comes next."""
    return f"order.explain.{status}" if status in STATUSES else "order.explain.unknown"


def request_key(request: Any) -> str:
    """The words for a refused request's kind (``allwan_contracts.OrderRequestKind``)."""
    known = {"place", "payment", "cancellation", "refund"}
    return f"order.request.{request}" if request in known else "order.request.other"
