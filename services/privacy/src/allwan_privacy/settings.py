"""The privacy service's settings (``ALLWAN_*`` environment variables)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from allwan_contracts.privacy import (
    EXPORT_DAYS,
    PrivacyRequestKind,
    ServiceName,
)
from allwan_runtime.settings import RuntimeSettings
from pydantic import Field

_HOLDERS = ["orders", "consent", "notifier"]
SCHEDULE = Path(__file__).parent / "schedule"
"""The packaged configuration: the recipient registry, the retention schedule and the record
of processing generated from the services' declarations."""


class PrivacySettings(RuntimeSettings):
    """Runtime settings plus who the service obeys and whose answers it waits for.

    Requests are obeyed only from the services that record them (S1): the gateway (web and
    staff) and the consent service (WhatsApp). ``ALLWAN_ACCESS_SERVICES``,
    ``ALLWAN_CORRECTION_SERVICES`` and ``ALLWAN_ERASURE_SERVICES`` (JSON lists) name the
    services that hold a customer's data: a request of that kind completes once each of them
    answered, and answers are taken only from them, each speaking for itself.
    """

    service_name: str = Field(default="privacy", pattern=r"^[a-z][a-z0-9-]*$")
    gateway_producer: str = "gateway"
    consent_producer: str = "consent"
    access_services: list[ServiceName] = Field(default=_HOLDERS, min_length=1)
    correction_services: list[ServiceName] = Field(default=_HOLDERS, min_length=1)
    erasure_services: list[ServiceName] = Field(default=_HOLDERS, min_length=1)
    contact_owner: ServiceName = "orders"
    """The service that owns customers' contact details: when it answers a correction with
    nothing held, no other service will have a change to show, and the request is done."""
    export_days: int = Field(default=EXPORT_DAYS, ge=1, le=30)
    """How long a finished access request's export can be downloaded before it is destroyed."""
    erasure_grace_s: float = Field(default=900.0, ge=0, le=86_400)
    """How long a verified erasure waits before it starts: the customer is emailed that it is
    coming while their address can still be read, and may cancel it until then."""
    deadline_check_interval_s: float = Field(default=60.0, gt=0)
    """How often the deadlines are looked at: exports past their days, WhatsApp erasures left
    unconfirmed for 24 hours, requests past due (logged once a day) and the metrics."""
    deadline_lease_s: float = Field(default=30.0, gt=0)
    """The lease that lets one replica at a time look at the deadlines."""
    recipients_file: Path = SCHEDULE / "recipients.toml"
    """The recipient registry (D1-D3): who receives customers' data, what and why. A file
    that does not validate stops the service at start."""
    disclosing_services: list[ServiceName] = Field(
        default=["notifier", "orders", "privacy"], min_length=1
    )
    """The services whose ``DataDisclosed`` the ledger takes (P2); this service's own legal
    disclosures are always taken."""
    controller_name: str = Field(default="ALLWANSTORES", min_length=1)
    """The controller named in a breach report to the regulator."""
    privacy_contact_email: str = Field(
        default="privacy@allwanstores.com", pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    )
    """The privacy contact named in a breach report (CT1)."""
    records_of_processing_file: Path = SCHEDULE / "records_of_processing.json"
    """The record of processing generated from the services' declarations, served to staff."""
    orders_producer: str = "orders"
    """The service whose order events count as customers' activity for retention."""
    retention_schedule: Path = SCHEDULE / "retention.toml"
    """The retention schedule (P3). A file that does not validate stops the service at start."""
    retention_check_interval_s: float = Field(default=3600.0, gt=0)
    """How often the retention job looks for customers past their period."""
    retention_lease_s: float = Field(default=3600.0, gt=0)
    """The retention job's lease: one run per slot among replicas (it matches the interval)."""

    def expected_services(self) -> Mapping[PrivacyRequestKind, frozenset[str]]:
        """The services whose answers complete a request, by kind."""
        return {
            PrivacyRequestKind.ACCESS: frozenset(self.access_services),
            PrivacyRequestKind.CORRECTION: frozenset(self.correction_services),
            PrivacyRequestKind.ERASURE: frozenset(self.erasure_services),
        }

    def answering_services(self) -> frozenset[str]:
        """Every service a reply is taken from."""
        return frozenset().union(*self.expected_services().values())

    def requesting_services(self) -> frozenset[str]:
        """The services whose requests (submissions, WhatsApp confirmations) are obeyed."""
        return frozenset({self.gateway_producer, self.consent_producer})

    def disclosing_producers(self) -> frozenset[str]:
        """Whose disclosures the ledger takes: the disclosing services and this one."""
        return frozenset({*self.disclosing_services, self.service_name})
