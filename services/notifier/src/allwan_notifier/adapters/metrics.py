"""The notifier's OpenTelemetry metric: ``allwan.notifier.emails``, one count per message that
reached an outcome, with ``kind`` (policy, receipt, ...) and ``status`` (sent, failed,
skipped, deferred; parked: a privacy letter starts waiting for its customer's address)
attributes. A fan-out's progress is its rate of ``status=sent``."""

from __future__ import annotations

from opentelemetry import metrics

from allwan_notifier.domain.deliveries import Kind, State

EMAILS = "allwan.notifier.emails"


class EmailMetrics:
    def __init__(self, meter: metrics.Meter | None = None) -> None:
        meter = meter or metrics.get_meter("allwan.notifier")
        self._emails = meter.create_counter(
            EMAILS, unit="{email}", description="Emails by kind and outcome"
        )

    def counted(self, kind: Kind, outcome: State | str) -> None:
        self._emails.add(1, {"kind": kind.value, "status": str(outcome)})
