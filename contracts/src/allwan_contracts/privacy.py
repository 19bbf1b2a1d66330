"""Privacy requests: a customer's rights under the PDPL, as tracked requests with a deadline.

A customer may ask to know and obtain a copy of their data (``access``), to have it corrected
(``correction``) or destroyed (``erasure``). The controller answers within 30 days, extendable
once by up to 30 more with notice and a reason. The privacy service owns each request (the
``privacy_request`` aggregate) and runs its fulfilment as a saga over Kafka:

1. Requests arrive on ``allwan.privacy.intake``: from the gateway (web: the customer's token
   proves who they are; staff: a request received by email or phone, with the identity check
   staff made) and from the consent service (WhatsApp messages from the registered phone).
2. The privacy service records ``PrivacyRequestReceived`` and, once identity is verified (an
   erasure by WhatsApp also waits for a second, confirming message), ``PrivacyRequestStarted``
   on ``allwan.privacy``.
3. Every service that holds the customer's data reacts to ``PrivacyRequestStarted`` and
   answers on ``allwan.privacy.replies``: its part of the export (access), the correction
   applied by the owner of the data and reflected in each read model (correction); erasure is
   the crypto-shredding path (``CustomerErased``), each service confirming its read models are
   redacted (``ErasureConfirmed``).
4. With every expected answer in, the request is ``PrivacyRequestCompleted``.

Personal values travel only sealed under the customer's key (T2); an export part is one sealed
JSON document of a model in ``allwan_contracts.privacy_export``.

This module holds the vocabulary and the ``privacy_request`` aggregate's events; the intake
events are in ``allwan_contracts.privacy_intake``, the services' answers in
``allwan_contracts.privacy_replies``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, model_validator

from allwan_contracts.base import Event
from allwan_contracts.consent import Actor
from allwan_contracts.fields import Channel, CustomerId, Identifier, Summary, UtcDatetime
from allwan_contracts.sealed import Sealed
from allwan_contracts.topics import PRIVACY

RequestId = Identifier
"""A privacy request's id (a UUID the gateway derives from the customer and the
``Idempotency-Key``, or the consent service from the WhatsApp message id)."""

ServiceName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
"""The name of an allwan service, as its ``ALLWAN_SERVICE_NAME`` and envelope ``producer``."""

ExtensionDays = Annotated[int, Field(strict=True, ge=1, le=30)]

RESPONSE_DAYS = 30
"""PDPL: a request is answered within 30 days of its receipt."""
MAX_EXTENSION_DAYS = 30
"""PDPL: extendable once, by up to 30 days, with notice and a reason."""
EXPORT_DAYS = 7
"""An access request's export can be downloaded for 7 days, then it is destroyed."""
WHATSAPP_CONFIRMATION_HOURS = 24
"""An erasure asked for on WhatsApp starts only when a second message confirms it in time."""


class PrivacyRequestKind(StrEnum):
    ACCESS = "access"
    CORRECTION = "correction"
    ERASURE = "erasure"


class PrivacyRequestState(StrEnum):
    RECEIVED = "received"
    IDENTITY_VERIFIED = "identity_verified"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DENIED = "denied"
    CANCELLED = "cancelled"


OPEN_STATES = frozenset(
    {
        PrivacyRequestState.RECEIVED,
        PrivacyRequestState.IDENTITY_VERIFIED,
        PrivacyRequestState.IN_PROGRESS,
    }
)
"""States of a request still being worked on: one open request per kind and customer."""


class IdentityCheck(StrEnum):
    """How the requester was shown to be the customer whose data it is."""

    CUSTOMER_TOKEN = "customer_token"  # noqa: S105 - web: the customer's own signed token
    REGISTERED_PHONE = "registered_phone"  # WhatsApp from the phone on record
    REGISTERED_EMAIL = "registered_email"  # staff: the email came from the address on record
    ORDER_DETAILS = "order_details"  # staff: the caller gave details only the customer knows
    CALLBACK = "callback"  # staff called back the phone number on record


class DenialReason(StrEnum):
    """The legal reasons a request may be refused, shown to the customer."""

    IDENTITY_NOT_VERIFIED = "identity_not_verified"
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded"
    EXCESSIVE_OR_REPEATED = "excessive_or_repeated"
    LEGAL_OBLIGATION_TO_RETAIN = "legal_obligation_to_retain"
    RIGHTS_OF_OTHERS = "rights_of_others"


class ContactChanges(BaseModel):
    """The corrected contact details a customer asks for, each sealed under their key (T2).

    Only the fields being corrected are present; at least one is.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    name: Sealed | None = None
    email: Sealed | None = None
    phone: Sealed | None = None
    billing_address: Sealed | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        if not self.fields():
            raise ValueError("a correction changes at least one field")
        return self

    def fields(self) -> dict[str, Sealed]:
        """The corrected fields, by name (the field names bound into each sealed value)."""
        values = {
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "billing_address": self.billing_address,
        }
        return {name: value for name, value in values.items() if value is not None}


def require_changes_only_for_corrections(
    kind: PrivacyRequestKind, changes: ContactChanges | None
) -> None:
    """Corrected values come with a correction, and only with a correction."""
    if (kind is PrivacyRequestKind.CORRECTION) != (changes is not None):
        raise ValueError("changes come with a correction, and only with a correction")


# -- the privacy_request aggregate, on allwan.privacy ------------------------------------------


class _PrivacyRequestEvent(Event):
    aggregate_type: ClassVar[str] = "privacy_request"
    aggregate_id_field: ClassVar[str] = "request_id"
    topic: ClassVar[str] = PRIVACY.name

    request_id: RequestId
    customer_id: CustomerId


class PrivacyRequestReceived(_PrivacyRequestEvent):
    """A request is on record and its clock runs: ``due_at`` is 30 days after ``received_at``.

    ``awaiting_confirmation``: an erasure asked for on WhatsApp, which starts only once a
    second message confirms it within 24 hours.
    """

    event_type: ClassVar[str] = "PrivacyRequestReceived"
    schema_version: ClassVar[int] = 1

    kind: PrivacyRequestKind
    channel: Channel
    received_at: UtcDatetime
    due_at: UtcDatetime
    by: Actor
    awaiting_confirmation: StrictBool = False


class PrivacyRequestIdentityVerified(_PrivacyRequestEvent):
    """The requester is the customer: shown by ``check``."""

    event_type: ClassVar[str] = "PrivacyRequestIdentityVerified"
    schema_version: ClassVar[int] = 1

    check: IdentityCheck
    at: UtcDatetime
    by: Actor


class PrivacyRequestStarted(_PrivacyRequestEvent):
    """Work on the request starts; every service holding the customer's data acts on it.

    ``changes`` (a correction only) carries the corrected values, sealed, to the owner of the
    customer's contact details. ``channel`` is how the customer asked (proof, for erasure).
    """

    event_type: ClassVar[str] = "PrivacyRequestStarted"
    schema_version: ClassVar[int] = 1

    kind: PrivacyRequestKind
    channel: Channel
    changes: ContactChanges | None = None
    at: UtcDatetime
    by: Actor

    @model_validator(mode="after")
    def _changes_with_corrections(self) -> Self:
        require_changes_only_for_corrections(self.kind, self.changes)
        return self


class PrivacyRequestExtended(_PrivacyRequestEvent):
    """The deadline moves to ``extended_until`` (once; the customer is told why)."""

    event_type: ClassVar[str] = "PrivacyRequestExtended"
    schema_version: ClassVar[int] = 1

    extended_until: UtcDatetime
    reason: Summary
    at: UtcDatetime
    by: Actor


class PrivacyRequestServiceAnswered(_PrivacyRequestEvent):
    """One service did its part (sent its export part, applied the correction, or confirmed
    its read models are redacted): kept as proof, without personal data."""

    event_type: ClassVar[str] = "PrivacyRequestServiceAnswered"
    schema_version: ClassVar[int] = 1

    service: ServiceName
    at: UtcDatetime


class PrivacyRequestCompleted(_PrivacyRequestEvent):
    """Every expected service answered. An access request's export can be downloaded until
    ``export_expires_at``."""

    event_type: ClassVar[str] = "PrivacyRequestCompleted"
    schema_version: ClassVar[int] = 1

    kind: PrivacyRequestKind
    at: UtcDatetime
    export_expires_at: UtcDatetime | None = None


class PrivacyRequestDenied(_PrivacyRequestEvent):
    """The request is refused for a legal reason, shown to the customer."""

    event_type: ClassVar[str] = "PrivacyRequestDenied"
    schema_version: ClassVar[int] = 1

    reason: DenialReason
    explanation: Summary | None = None
    at: UtcDatetime
    by: Actor


class PrivacyRequestCancelled(_PrivacyRequestEvent):
    """The customer withdrew the request before work on it started."""

    event_type: ClassVar[str] = "PrivacyRequestCancelled"
    schema_version: ClassVar[int] = 1

    at: UtcDatetime
    by: Actor


class PrivacyExportDestroyed(_PrivacyRequestEvent):
    """An access request's export is destroyed, 7 days after it was made available."""

    event_type: ClassVar[str] = "PrivacyExportDestroyed"
    schema_version: ClassVar[int] = 1

    at: UtcDatetime


PRIVACY_REQUEST_EVENTS: tuple[type[Event], ...] = (
    PrivacyRequestReceived,
    PrivacyRequestIdentityVerified,
    PrivacyRequestStarted,
    PrivacyRequestExtended,
    PrivacyRequestServiceAnswered,
    PrivacyRequestCompleted,
    PrivacyRequestDenied,
    PrivacyRequestCancelled,
    PrivacyExportDestroyed,
)
"""Every event of a privacy request's life, in the order they can first occur."""
