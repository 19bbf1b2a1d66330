"""The customer's contact record as orders learns it from Salla (C1, T1), sealed (T2)."""

from __future__ import annotations

from typing import Any, ClassVar

from allwan_contracts import Channel, CustomerContact, CustomerContactChanged
from allwan_contracts.base import Event
from allwan_runtime.aggregate import Aggregate


class CustomerContactRecord(Aggregate):
    """One customer's contact history; only name, email, phone and billing address (C1)."""

    aggregate_type: ClassVar[str] = "customer_contact"
    event_classes: ClassVar[tuple[type[Event], ...]] = (CustomerContactChanged,)
    """What the record records, on ``allwan.customers``."""

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.contact: CustomerContact | None = None

    def change(self, contact: CustomerContact, channel: Channel) -> None:
        """Record the contact details the customer now has."""
        self.record(CustomerContactChanged(customer_id=self.id, contact=contact, channel=channel))

    def apply(self, event: Any) -> None:
        if isinstance(event, CustomerContactChanged):
            self.contact = event.contact
