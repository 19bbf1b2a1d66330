"""The customer's contact record (C1): as orders learns it from Salla (T1), or as the customer
corrects it (PDPL correction), every field sealed under the customer's key (T2).

A correction makes the old values unreadable everywhere by retiring the key generations they
were sealed under (``allwan_runtime.keystore``: ``rotate``, then ``retire``). So the record
holds only contacts sealed under the newest generation it has seen: a contact sealed under an
older one would be destroyed with it, and is refused (``StaleContact``) to be sealed again.
"""

from __future__ import annotations

from typing import Any, ClassVar

from allwan_contracts import Channel, CustomerContact, CustomerContactChanged, Sealed
from allwan_contracts.base import Event
from allwan_contracts.sealed import subject_of
from allwan_runtime.aggregate import Aggregate


class ContactRefused(ValueError):
    """A contact the record's rules do not take. The message names no value."""


class StaleContact(ContactRefused):
    """A contact sealed under an older key generation than the one on record."""


def _sealed_fields(contact: CustomerContact) -> list[Sealed]:
    values = (contact.name, contact.email, contact.phone, contact.billing_address)
    return [value for value in values if value is not None]


def key_generation(customer_id: str, contact: CustomerContact) -> int:
    """The oldest generation of the customer's key that ``contact`` is sealed under.

    ``ContactRefused`` if any field is sealed under another subject's key (T2).
    """
    kids = {value.kid for value in _sealed_fields(contact)}
    if any(subject_of(kid) != customer_id for kid in kids):
        raise ContactRefused("a contact is sealed under the customer's own key (T2)")
    # A subject's first key has the subject as its kid; generation n >= 2 is <subject>.<n>.
    return min(1 if kid == customer_id else int(kid.rpartition(".")[2]) for kid in kids)


class CustomerContactRecord(Aggregate):
    """One customer's contact history; only name, email, phone and billing address (C1)."""

    aggregate_type: ClassVar[str] = "customer_contact"
    event_classes: ClassVar[tuple[type[Event], ...]] = (CustomerContactChanged,)
    """What the record records, on ``allwan.customers``."""

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.contact: CustomerContact | None = None
        self.corrections: dict[str, str] = {}
        """The key id each applied correction sealed its contact under, by request id."""

    def change(self, contact: CustomerContact, channel: Channel) -> None:
        """Record the contact details the customer now has (from Salla).

        Refused (``StaleContact``) when sealed under an older key generation than the
        contact on record: a correction is retiring that generation; seal it again.
        """
        self._require_current(contact)
        self.record(CustomerContactChanged(customer_id=self.id, contact=contact, channel=channel))

    def correct(self, contact: CustomerContact, channel: Channel, request_id: str) -> bool:
        """Record the contact a privacy request corrected (PDPL); False if it was recorded.

        Every field, changed or not, is sealed under one generation of the customer's key:
        the generations before it are then retired, and all of this contact stays readable.
        ``channel`` is how the customer asked.
        """
        if request_id in self.corrections:
            return False
        if len({value.kid for value in _sealed_fields(contact)}) != 1:
            raise ContactRefused("a corrected contact is sealed under one key generation")
        self._require_current(contact)
        self.record(
            CustomerContactChanged(
                customer_id=self.id, contact=contact, channel=channel, request_id=request_id
            )
        )
        return True

    def _require_current(self, contact: CustomerContact) -> None:
        generation = key_generation(self.id, contact)
        if self.contact is not None and generation < key_generation(self.id, self.contact):
            raise StaleContact("the contact is sealed under a key generation since replaced")

    def apply(self, event: Any) -> None:
        if isinstance(event, CustomerContactChanged):
            self.contact = event.contact
            if event.request_id is not None:
                self.corrections[event.request_id] = event.contact.name.kid
