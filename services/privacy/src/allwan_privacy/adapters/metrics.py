"""The privacy service's OpenTelemetry metrics, from the deadline job's last look:

- ``allwan.privacy.requests.open`` (``state``): open requests in each open state;
- ``allwan.privacy.requests.oldest_due``: the earliest deadline in force among open requests,
  as a Unix timestamp in seconds (absent when none is open);
- ``allwan.privacy.requests.overdue``: open requests past their deadline (PDPL: 30 days,
  or the extended date).

Only the replica holding the deadline lease reports them, so replicas do not add up.
"""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from allwan_privacy.handlers.clock import RequestStats

OPEN = "allwan.privacy.requests.open"
OLDEST_DUE = "allwan.privacy.requests.oldest_due"
OVERDUE = "allwan.privacy.requests.overdue"


class RequestMetrics:
    """Gauges that read the latest ``RequestStats`` (``report`` them after each look)."""

    def __init__(self, meter: metrics.Meter | None = None) -> None:
        meter = meter or metrics.get_meter("allwan.privacy")
        self._stats: RequestStats | None = None
        meter.create_observable_gauge(
            OPEN, [self._open], unit="{request}", description="Open privacy requests by state"
        )
        meter.create_observable_gauge(
            OLDEST_DUE,
            [self._oldest_due],
            unit="s",
            description="Earliest deadline of an open privacy request (Unix time)",
        )
        meter.create_observable_gauge(
            OVERDUE, [self._overdue], unit="{request}", description="Privacy requests past due"
        )

    def report(self, stats: RequestStats | None) -> None:
        self._stats = stats

    def _open(self, options: CallbackOptions) -> Iterable[Observation]:
        stats = self._stats
        if stats is None:
            return []
        return [Observation(count, {"state": s.value}) for s, count in stats.open_by_state.items()]

    def _oldest_due(self, options: CallbackOptions) -> Iterable[Observation]:
        stats = self._stats
        if stats is None or stats.oldest_deadline is None:
            return []
        return [Observation(stats.oldest_deadline.timestamp())]

    def _overdue(self, options: CallbackOptions) -> Iterable[Observation]:
        stats = self._stats
        return [] if stats is None else [Observation(stats.overdue)]
