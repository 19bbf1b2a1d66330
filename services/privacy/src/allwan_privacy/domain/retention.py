"""The retention schedule and the decisions it makes (PDPL: personal data is destroyed once its
purpose has ended; P3). Pure: every instant is passed in, nothing reads the clock or a store.

- ``parse_schedule``: the schedule file, validated as a whole (every problem listed).
- ``order_after``: what one order event says about the order's activity (open, a subscription
  running until ``ends_at``, or closed), from ids and times only.
- ``last_activity``: when a customer's last order or subscription ended, or ``None`` while an
  order is open or a subscription still runs (nothing counts down then).
- ``next_step``: for the ``erase_customer`` rule, counted from that instant, what is due now:
  the notice, the end of the period, or nothing.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from allwan_contracts import Event
from allwan_contracts.accountability import RetentionRule
from allwan_contracts.orders import (
    OrderCancelled,
    OrderExpired,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderRejected,
    OrderRequestKind,
    SubscriptionActivated,
)
from pydantic import ValidationError

ERASE_CUSTOMER = "erase_customer"
EXPORTS_RULE = "privacy_exports"
MAX_DAYS = 36_500
"""A hundred years: longer is a mistake in the file (and would overflow a date)."""


class ScheduleError(ValueError):
    """The schedule file cannot be used; the message names the file and every problem."""


@dataclass(frozen=True)
class Schedule:
    """The rules in the file's order; exactly one of them erases customers."""

    rules: tuple[RetentionRule, ...]

    @property
    def erasure(self) -> RetentionRule:
        """The rule the retention job applies (``erase_customer``)."""
        return next(rule for rule in self.rules if rule.action == ERASE_CUSTOMER)


def parse_schedule(text: str, *, export_days: int, source: str = "retention schedule") -> Schedule:
    """Read a TOML schedule (``[[rule]]`` tables of ``RetentionRule``); ``ScheduleError``
    names ``source`` and every problem. ``export_days`` is how long the service keeps an
    export: the ``privacy_exports`` rule must say the same."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScheduleError(f"{source} is not valid TOML: {error}") from None
    problems = [f"unknown key {key!r} (only [[rule]] tables)" for key in document if key != "rule"]
    raw = document.get("rule", [])
    if not isinstance(raw, list) or not raw:
        problems.append("no [[rule]] table")
        raw = []
    rules: list[RetentionRule] = []
    for index, entry in enumerate(raw, start=1):
        try:
            rules.append(RetentionRule.model_validate(entry))
        except ValidationError as error:
            problems.extend(
                f"rule {index}: {'.'.join(str(part) for part in problem['loc']) or '(table)'}: "
                f"{problem['msg']}"
                for problem in error.errors(include_url=False)
            )
    if not problems:
        problems = schedule_problems(rules, export_days)
    if problems:
        raise ScheduleError(f"{source} is invalid: {'; '.join(problems)}")
    return Schedule(tuple(rules))


def schedule_problems(rules: list[RetentionRule], export_days: int) -> list[str]:
    """What is wrong with rules that are each well-formed: the schedule as a whole."""
    problems: list[str] = []
    names = [rule.name for rule in rules]
    repeated = sorted({name for name in names if names.count(name) > 1})
    problems += [f"rule {name!r} appears twice" for name in repeated]
    for rule in rules:
        problems += [f"rule {rule.name!r}: {problem}" for problem in _rule_problems(rule)]
    erasers = [rule.name for rule in rules if rule.action == ERASE_CUSTOMER]
    if len(erasers) != 1:
        problems.append(f"exactly one rule must have action {ERASE_CUSTOMER!r}, not {len(erasers)}")
    exports = [rule for rule in rules if rule.name == EXPORTS_RULE]
    if not exports:
        problems.append(f"no rule {EXPORTS_RULE!r} (how long an access request's export is kept)")
    elif any(rule.period_days != export_days for rule in exports):
        problems.append(
            f"rule {EXPORTS_RULE!r}: period_days must equal the service's export days "
            f"(ALLWAN_EXPORT_DAYS = {export_days})"
        )
    return problems


def _rule_problems(rule: RetentionRule) -> list[str]:
    problems = [
        f"{name} must not be empty"
        for name, text in (
            ("ends_with", rule.ends_with),
            ("applied_by", rule.applied_by),
            ("reason", rule.reason),
        )
        if not text.strip()
    ]
    if not rule.categories:
        problems.append("categories must name at least one category of data")
    if len(set(rule.categories)) != len(rule.categories):
        problems.append("categories must not repeat")
    for name, days in (("period_days", rule.period_days), ("notice_days", rule.notice_days)):
        if not math.isfinite(days) or days > MAX_DAYS:
            problems.append(f"{name} must be at most {MAX_DAYS}")
    if rule.notice_days > rule.period_days:
        problems.append("notice_days must not exceed period_days")
    if rule.action != ERASE_CUSTOMER and rule.notice_days != 0:
        # Only the retention job sends a notice: any other rule's would be a broken promise.
        problems.append(f"notice_days must be 0: only the {ERASE_CUSTOMER!r} rule sends a notice")
    return problems


# -- customers' activity ---------------------------------------------------------------------


class Phase(StrEnum):
    OPEN = "open"  # placed or paid, not yet delivered: the order's purpose is running
    ACTIVE = "active"  # a subscription runs until ``ends_at``
    CLOSED = "closed"  # cancelled, fully refunded, expired, or its placement refused


@dataclass(frozen=True)
class OrderActivity:
    """One order as the retention rule sees it: its phase and the instants it counts from."""

    phase: Phase
    placed_at: datetime | None = None
    ends_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True)
class CustomerActivity:
    """A customer's orders, as the retention rule sees them (the customer is not erased)."""

    customer_id: str
    orders: tuple[OrderActivity, ...]


def order_after(  # noqa: PLR0911 - one arm per event
    order: OrderActivity | None, event: Event, at: datetime
) -> OrderActivity | None:
    """The order after ``event`` (recorded at ``at``); ``None`` when the event changes nothing.

    ``order`` is ``None`` for an order first heard of: its placement may be older than what
    the topic still holds, so any event makes it known from then on.
    """
    known = order or OrderActivity(Phase.OPEN)
    match event:
        case OrderPlaced():
            return replace(known, phase=Phase.OPEN, placed_at=at)
        case OrderPaid():
            return None if order is not None else known
        case SubscriptionActivated():
            return replace(known, phase=Phase.ACTIVE, ends_at=event.ends_at)
        case OrderCancelled() | OrderExpired():
            return replace(known, phase=Phase.CLOSED, closed_at=at)
        case OrderRefunded() if event.fully_refunded or known.phase is Phase.CLOSED:
            # Money returned on a closed order is contact with the customer all the same.
            return replace(known, phase=Phase.CLOSED, closed_at=at)
        case OrderRejected() if event.request is OrderRequestKind.PLACE and order is None:
            # A refused placement: its contact was recorded at intake, under the customer's key.
            return OrderActivity(Phase.CLOSED, closed_at=at)
    return None


def last_activity(orders: Iterable[OrderActivity], now: datetime) -> datetime | None:
    """The latest instant among the orders' placements, closings and subscription ends; ``None``
    while an order is open or a subscription runs past ``now``, or without any instant."""
    instants: list[datetime] = []
    for order in orders:
        if order.phase is Phase.OPEN:
            return None
        if order.phase is Phase.ACTIVE and (order.ends_at is None or order.ends_at > now):
            return None
        instants += [at for at in (order.placed_at, order.closed_at, order.ends_at) if at]
    return max(instants, default=None)


# -- the erasure rule ------------------------------------------------------------------------


class Step(StrEnum):
    """What a customer's case needs now."""

    NONE = "none"  # inside the period
    NOTICE = "notice"  # the notice is due: tell the customer first
    IN_NOTICE = "in_notice"  # told; the notice runs
    ERASE = "erase"  # told, and the notice and the period are over: erase
    ENDED = "ended"  # ended already: the erasure was asked for


@dataclass(frozen=True)
class Case:
    """What a case's stream holds: when the customer was told erasure would come, if they
    were, and whether the period was declared ended."""

    erase_after: datetime | None = None
    ended: bool = False


def period_of(rule: RetentionRule) -> timedelta:
    return timedelta(days=rule.period_days)


def notice_due(rule: RetentionRule, last: datetime) -> datetime:
    """When the customer is told: a notice period before the period ends."""
    return last + period_of(rule) - timedelta(days=rule.notice_days)


def erase_after(rule: RetentionRule, last: datetime, now: datetime) -> datetime:
    """The erasure announced by a notice sent ``now``: at the end of the period, but never
    before the customer has had the whole notice period (a late run tells them late)."""
    return max(last + period_of(rule), now + timedelta(days=rule.notice_days))


def next_step(rule: RetentionRule, last: datetime, case: Case, now: datetime) -> Step:
    """What the case counted from ``last`` needs at ``now``.

    The end needs the notice's date and the rule's period both passed, so that a period
    lengthened after a notice is not cut short by it.
    """
    if case.ended:
        return Step.ENDED
    if case.erase_after is None:
        return Step.NOTICE if now >= notice_due(rule, last) else Step.NONE
    if now >= case.erase_after and now >= last + period_of(rule):
        return Step.ERASE
    return Step.IN_NOTICE
