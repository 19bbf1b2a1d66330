"""What the breach register refuses, and its clock: when a breach is overdue, how long is left
until the regulator's deadline, and the counts the metrics report (S2; PDPL 72 h).

Refusals name the rule, never a value; ``code`` is the slug of the HTTP problem staff get.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from allwan_contracts.breaches import BreachState


class BreachRefused(Exception):
    """A command the breach's rules do not allow now."""

    code: ClassVar[str] = "refused"


class UnknownBreach(BreachRefused):
    code = "not-found"


class DetectedInFuture(BreachRefused):
    code = "detected-in-future"


class NotifiedOutOfRange(BreachRefused):
    """The regulator cannot have been told before detection, nor later than now."""

    code = "notified-at-out-of-range"


class WrongState(BreachRefused):
    """The command belongs to another step of the breach's life, or repeats one already made
    with other details."""

    code = "wrong-state"


class KeyReused(BreachRefused):
    """The Idempotency-Key opened a breach with other details."""

    code = "idempotency-key-reused"


def awaits_regulator(state: BreachState) -> bool:
    """Whether the 72-hour clock still runs: the regulator has not been told."""
    return state is BreachState.OPEN


def is_overdue(state: BreachState, deadline: datetime, now: datetime) -> bool:
    """The regulator was not notified and the deadline has passed."""
    return awaits_regulator(state) and now > deadline


def hours_to_deadline(state: BreachState, deadline: datetime, now: datetime) -> float | None:
    """Hours left until the regulator's deadline (negative once overdue); None once the
    regulator is notified."""
    if not awaits_regulator(state):
        return None
    return round((deadline - now).total_seconds() / 3600, 2)


@dataclass(frozen=True)
class RegisteredBreach:
    """What the register's read model knows of a breach: enough for the list and the
    metrics."""

    breach_id: str
    state: BreachState
    detected_at: datetime
    regulator_deadline: datetime


@dataclass(frozen=True)
class BreachStats:
    """The register now: breaches not closed by state, how many are overdue, and the hours
    to the nearest deadline of those awaiting the regulator (None: none awaits)."""

    open_by_state: Mapping[BreachState, int] = field(default_factory=dict)
    overdue: int = 0
    hours_to_nearest_deadline: float | None = None


def register_stats(breaches: Iterable[RegisteredBreach], now: datetime) -> BreachStats:
    by_state: dict[BreachState, int] = {
        state: 0 for state in BreachState if state is not BreachState.CLOSED
    }
    overdue, hours = 0, []
    for breach in breaches:
        if breach.state is BreachState.CLOSED:
            continue
        by_state[breach.state] += 1
        overdue += is_overdue(breach.state, breach.regulator_deadline, now)
        left = hours_to_deadline(breach.state, breach.regulator_deadline, now)
        if left is not None:
            hours.append(left)
    return BreachStats(by_state, overdue, min(hours, default=None))


def register_order(
    overdue: bool, deadline: datetime, detected_at: datetime, breach_id: str
) -> tuple[bool, datetime, datetime, str]:
    """The register lists overdue breaches first, then by nearest deadline, then by
    detection."""
    return (not overdue, deadline, detected_at, breach_id)
