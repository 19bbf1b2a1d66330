"""The accountability metrics (OpenTelemetry):

- ``allwan.privacy.breaches.open`` (``state``): breaches not closed, in each state;
- ``allwan.privacy.breaches.overdue``: breaches whose regulator was not told within 72 hours;
- ``allwan.privacy.breaches.hours_to_deadline``: hours to the nearest regulator deadline of
  the breaches awaiting it (negative once overdue; absent when none awaits);
- ``allwan.privacy.disclosures.unknown_recipient`` (``recipient``): disclosures kept to a
  recipient id the registry does not list (the registry needs completing).

The breach gauges come from the breach job's last look, reported by the replica holding its
lease only, so replicas do not add up.
"""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from allwan_privacy.domain.breach_rules import BreachStats

OPEN = "allwan.privacy.breaches.open"
OVERDUE = "allwan.privacy.breaches.overdue"
HOURS_TO_DEADLINE = "allwan.privacy.breaches.hours_to_deadline"
UNKNOWN_RECIPIENT = "allwan.privacy.disclosures.unknown_recipient"


class BreachMetrics:
    """Gauges that read the latest ``BreachStats`` (``report`` them after each look)."""

    def __init__(self, meter: metrics.Meter | None = None) -> None:
        meter = meter or metrics.get_meter("allwan.privacy")
        self._stats: BreachStats | None = None
        meter.create_observable_gauge(
            OPEN, [self._open], unit="{breach}", description="Breaches not closed, by state"
        )
        meter.create_observable_gauge(
            OVERDUE,
            [self._overdue],
            unit="{breach}",
            description="Breaches whose regulator was not notified within 72 hours",
        )
        meter.create_observable_gauge(
            HOURS_TO_DEADLINE,
            [self._hours],
            unit="h",
            description="Hours to the nearest regulator deadline of a breach awaiting it",
        )

    def report(self, stats: BreachStats | None) -> None:
        self._stats = stats

    def _open(self, options: CallbackOptions) -> Iterable[Observation]:
        stats = self._stats
        if stats is None:
            return []
        return [Observation(count, {"state": s.value}) for s, count in stats.open_by_state.items()]

    def _overdue(self, options: CallbackOptions) -> Iterable[Observation]:
        stats = self._stats
        return [] if stats is None else [Observation(stats.overdue)]

    def _hours(self, options: CallbackOptions) -> Iterable[Observation]:
        stats = self._stats
        if stats is None or stats.hours_to_nearest_deadline is None:
            return []
        return [Observation(stats.hours_to_nearest_deadline)]


class DisclosureMetrics:
    """Counts the disclosures to recipients the registry does not list."""

    def __init__(self, meter: metrics.Meter | None = None) -> None:
        meter = meter or metrics.get_meter("allwan.privacy")
        self._unknown = meter.create_counter(
            UNKNOWN_RECIPIENT,
            unit="{disclosure}",
            description="Disclosures to a recipient the registry does not list",
        )

    def unknown_recipient(self, recipient: str) -> None:
        self._unknown.add(1, {"recipient": recipient})
