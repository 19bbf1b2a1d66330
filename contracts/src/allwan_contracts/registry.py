"""Which events exist at which version, and how an envelope becomes a validated event."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from uuid import UUID

from pydantic import ValidationError

from allwan_contracts.base import Event
from allwan_contracts.breaches import BREACH_EVENTS, BreachNoticeRequested
from allwan_contracts.catalogue import CatalogueUpdated
from allwan_contracts.consent import (
    ConsentGranted,
    ConsentReconfirmationRequired,
    ConsentWithdrawn,
)
from allwan_contracts.customers import CustomerContactChanged, CustomerErased
from allwan_contracts.disclosures import DISCLOSURE_EVENTS
from allwan_contracts.envelope import Envelope
from allwan_contracts.errors import (
    ContractViolation,
    UnknownEventType,
    UnsupportedSchemaVersion,
)
from allwan_contracts.fields import utc_now
from allwan_contracts.intake import (
    CancellationRequested,
    ConsentChangeRequested,
    ErasureRequested,
    OrderRequested,
    PaymentReported,
    PolicyPublishRequested,
    RefundRequested,
    WebhookReceived,
)
from allwan_contracts.orders import (
    OrderCancelled,
    OrderExpired,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderRejected,
    SubscriptionActivated,
)
from allwan_contracts.policies import PolicyChanged, PolicyDocumentPublished
from allwan_contracts.privacy import (
    PRIVACY_REQUEST_EVENTS,
)
from allwan_contracts.privacy_intake import (
    PrivacyRequestCancellationRequested,
    PrivacyRequestConfirmed,
    PrivacyRequestDenialRequested,
    PrivacyRequestExtensionRequested,
    PrivacyRequestSubmitted,
)
from allwan_contracts.privacy_replies import (
    PRIVACY_REPLY_EVENTS,
)
from allwan_contracts.retention import RETENTION_EVENTS
from allwan_contracts.upcasting import UPCASTERS, Upcaster, UpcasterKey, upcast


class EventRegistry:
    """The current model of each event type, plus the upcasters that reach it."""

    def __init__(
        self, events: Iterable[type[Event]], upcasters: Mapping[UpcasterKey, Upcaster]
    ) -> None:
        self._events: dict[str, type[Event]] = {}
        for event in events:
            if event.event_type in self._events:
                raise ValueError(f"{event.event_type} is registered twice")
            self._events[event.event_type] = event
        for event_type, from_version in upcasters:
            known = self._events.get(event_type)
            if known is None or not 1 <= from_version < known.schema_version:
                raise ValueError(f"upcaster {event_type} v{from_version} reads no older version")
        self._upcasters = dict(upcasters)

    @property
    def event_classes(self) -> tuple[type[Event], ...]:
        """Every registered model, in registration order."""
        return tuple(self._events.values())

    def event_class(self, event_type: str) -> type[Event]:
        """The latest model of ``event_type``; ``UnknownEventType`` if there is none."""
        try:
            return self._events[event_type]
        except KeyError:
            raise UnknownEventType(f"unknown event type {event_type!r}") from None

    def latest_version(self, event_type: str) -> int:
        """The schema version new events of ``event_type`` are written at."""
        return self.event_class(event_type).schema_version

    def new_envelope(
        self,
        event: Event,
        *,
        aggregate_version: int,
        producer: str,
        correlation_id: UUID,
        causation_id: UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> Envelope:
        """Wrap ``event`` for publishing; it must be the registered (latest) model."""
        if self.event_class(event.event_type) is not type(event):
            raise UnknownEventType(f"{type(event).__name__} is not the registered model")
        return Envelope(
            event_type=event.event_type,
            schema_version=event.schema_version,
            occurred_at=occurred_at or utc_now(),
            aggregate_type=event.aggregate_type,
            aggregate_id=event.aggregate_id(),
            aggregate_version=aggregate_version,
            producer=producer,
            correlation_id=correlation_id,
            causation_id=causation_id,
            payload=event.model_dump(mode="json"),
        )

    def read_event(self, envelope: Envelope) -> Event:
        """The envelope's payload, upcast to the latest version and validated.

        Raises ``UnknownEventType``, ``UnsupportedSchemaVersion`` or ``ContractViolation``.
        """
        model = self.event_class(envelope.event_type)
        if envelope.schema_version > model.schema_version:
            raise UnsupportedSchemaVersion(
                f"{envelope.event_type} v{envelope.schema_version} is newer than the "
                f"v{model.schema_version} this library knows",
                reason="schema_version_too_new",
            )
        if envelope.aggregate_type != model.aggregate_type:
            raise ContractViolation(
                f"{envelope.event_type} belongs to aggregate type {model.aggregate_type}",
                reason="envelope_mismatch",
            )
        payload = upcast(
            envelope.payload,
            event_type=envelope.event_type,
            from_version=envelope.schema_version,
            to_version=model.schema_version,
            upcasters=self._upcasters,
        )
        try:
            event = model.model_validate(payload)
        except ValidationError as error:
            raise ContractViolation.from_validation_error(envelope.event_type, error) from None
        if event.aggregate_id() != envelope.aggregate_id:
            raise ContractViolation(
                f"envelope aggregate_id differs from the payload's {model.aggregate_id_field}",
                reason="envelope_mismatch",
            )
        return event


REGISTRY = EventRegistry(
    events=(
        OrderPlaced,
        OrderPaid,
        SubscriptionActivated,
        OrderCancelled,
        OrderRefunded,
        OrderExpired,
        OrderRejected,
        CustomerContactChanged,
        ConsentGranted,
        ConsentWithdrawn,
        ConsentReconfirmationRequired,
        PolicyChanged,
        PolicyDocumentPublished,
        CustomerErased,
        OrderRequested,
        PaymentReported,
        CancellationRequested,
        RefundRequested,
        ConsentChangeRequested,
        ErasureRequested,
        PolicyPublishRequested,
        WebhookReceived,
        CatalogueUpdated,
        PrivacyRequestSubmitted,
        PrivacyRequestConfirmed,
        PrivacyRequestCancellationRequested,
        PrivacyRequestExtensionRequested,
        PrivacyRequestDenialRequested,
        *PRIVACY_REQUEST_EVENTS,
        *PRIVACY_REPLY_EVENTS,
        *DISCLOSURE_EVENTS,
        *BREACH_EVENTS,
        BreachNoticeRequested,
        *RETENTION_EVENTS,
    ),
    upcasters=UPCASTERS,
)
"""Every event this library defines, at its latest version."""

event_class = REGISTRY.event_class
latest_version = REGISTRY.latest_version
new_envelope = REGISTRY.new_envelope
read_event = REGISTRY.read_event
