"""What the customer is told about their privacy requests (PDPL), and their emails' export part.

A request is answered within 30 days, extendable once with notice and a reason; the customer
hears of each step in their language: the receipt (for an erasure asked for on WhatsApp, how
to confirm it), an extension, the outcome. Every one of these letters opens the customer's
email for ``DATA_ACCESS`` (C4: answering the customer's own request), carries the contact
details (CT1) and takes replies at the privacy address.

An erasure gets no completion email: once the customer's key is shredded nobody can open their
address. They are told as the erasure starts, while the address still opens, what goes, what
stays, and that it cannot be undone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar

from allwan_contracts import (
    DenialReason,
    PolicyContact,
    PrivacyRequestCompleted,
    PrivacyRequestDenied,
    PrivacyRequestExtended,
    PrivacyRequestKind,
    PrivacyRequestReceived,
)
from allwan_contracts.privacy import (
    WHATSAPP_CONFIRMATION_HOURS,
)
from allwan_contracts.privacy_export import EmailsPart, ExportEmail
from allwan_runtime.keystore import Purpose
from pydantic import AwareDatetime

from allwan_notifier.domain.deliveries import Delivery, Kind, State
from allwan_notifier.domain.messages import HttpsUrl, Letter, day
from allwan_notifier.domain.recipients import Locale

REQUEST_KINDS: dict[Locale, dict[PrivacyRequestKind, str]] = {
    "ar": {
        PrivacyRequestKind.ACCESS: "الاطلاع على بياناتك والحصول على نسخة منها",
        PrivacyRequestKind.CORRECTION: "تصحيح بياناتك",
        PrivacyRequestKind.ERASURE: "إتلاف بياناتك",
    },
    "en": {
        PrivacyRequestKind.ACCESS: "access to your data and a copy of it",
        PrivacyRequestKind.CORRECTION: "correction of your data",
        PrivacyRequestKind.ERASURE: "erasure of your data",
    },
}
DENIAL_REASONS: dict[Locale, dict[DenialReason, str]] = {
    "ar": {
        DenialReason.IDENTITY_NOT_VERIFIED: "لم نتمكن من التحقق من أنك صاحب البيانات.",
        DenialReason.MANIFESTLY_UNFOUNDED: "الطلب لا يستند إلى أساس واضح.",
        DenialReason.EXCESSIVE_OR_REPEATED: "الطلب مفرط أو يكرر طلبًا سابقًا دون مسوّغ.",
        DenialReason.LEGAL_OBLIGATION_TO_RETAIN: "يلزمنا النظام بالاحتفاظ بهذه البيانات.",
        DenialReason.RIGHTS_OF_OTHERS: "تلبية الطلب تمس حقوق أشخاص آخرين.",
    },
    "en": {
        DenialReason.IDENTITY_NOT_VERIFIED: "We could not verify that the data is yours.",
        DenialReason.MANIFESTLY_UNFOUNDED: "The request is manifestly unfounded.",
        DenialReason.EXCESSIVE_OR_REPEATED: (
            "The request is excessive, or repeats an earlier one without reason."
        ),
        DenialReason.LEGAL_OBLIGATION_TO_RETAIN: "The law requires us to keep this data.",
        DenialReason.RIGHTS_OF_OTHERS: "Fulfilling it would affect the rights of others.",
    },
}
CONFIRMATION_WORDS = ("تأكيد", "confirm")
"""What the customer sends on WhatsApp to confirm an erasure (the consent service reads it)."""


class PrivacyLetter(Letter):
    """A letter about one privacy request: opened for the customer's own request (C4)."""

    purpose: ClassVar[Purpose] = Purpose.DATA_ACCESS

    request_id: str
    contact: PolicyContact

    def context(self, locale: Locale) -> dict[str, Any]:
        return {"request_id": self.request_id, "contact": self.contact, **self.details(locale)}

    def details(self, locale: Locale) -> dict[str, Any]:
        raise NotImplementedError

    def reply_to(self) -> str:
        return self.contact.email  # a reply reaches whoever answers privacy requests (CT1)


class RequestReceived(PrivacyLetter):
    """The request is on record, with the date it will be answered by; an erasure asked for on
    WhatsApp also says how to confirm it (K3), since it starts only once confirmed."""

    kind: ClassVar[Kind] = Kind.PRIVACY_RECEIVED
    template: ClassVar[str] = "privacy_received"

    request_kind: PrivacyRequestKind
    received_at: AwareDatetime
    due_at: AwareDatetime
    awaiting_confirmation: bool
    privacy_url: HttpsUrl

    @classmethod
    def of(
        cls, received: PrivacyRequestReceived, contact: PolicyContact, privacy_url: str
    ) -> RequestReceived:
        return cls(
            request_id=received.request_id,
            contact=contact,
            request_kind=received.kind,
            received_at=received.received_at,
            due_at=received.due_at,
            awaiting_confirmation=received.awaiting_confirmation,
            privacy_url=privacy_url,
        )

    def details(self, locale: Locale) -> dict[str, Any]:
        return {
            "kind": REQUEST_KINDS[locale][self.request_kind],
            "received_on": day(self.received_at),
            "due_on": day(self.due_at),
            "awaiting_confirmation": self.awaiting_confirmation,
            "confirm_hours": WHATSAPP_CONFIRMATION_HOURS,
            "confirm_words": CONFIRMATION_WORDS,
            "privacy_url": self.privacy_url,
        }


class RequestExtended(PrivacyLetter):
    """PDPL: the one extension, its new date and its reason, told before the first deadline."""

    kind: ClassVar[Kind] = Kind.PRIVACY_EXTENDED
    template: ClassVar[str] = "privacy_extended"

    extended_until: AwareDatetime
    reason: str

    @classmethod
    def of(cls, extended: PrivacyRequestExtended, contact: PolicyContact) -> RequestExtended:
        return cls(
            request_id=extended.request_id,
            contact=contact,
            extended_until=extended.extended_until,
            reason=extended.reason,
        )

    def details(self, locale: Locale) -> dict[str, Any]:
        return {"extended_until_on": day(self.extended_until), "reason": self.reason}


class ErasureStarting(PrivacyLetter):
    """The last email an erased customer gets: sent as the erasure starts, while their address
    still opens. What goes, what stays (financial records without personal data), and that it
    cannot be undone."""

    kind: ClassVar[Kind] = Kind.PRIVACY_ERASING
    template: ClassVar[str] = "privacy_erasing"

    def details(self, locale: Locale) -> dict[str, Any]:
        return {}


class RequestCompleted(PrivacyLetter):
    """An access request's copy is ready on the privacy page until it is destroyed; a
    correction is done. (An erasure is told as it starts: ``ErasureStarting``.)"""

    kind: ClassVar[Kind] = Kind.PRIVACY_COMPLETED
    template: ClassVar[str] = "privacy_completed"

    request_kind: PrivacyRequestKind
    export_expires_at: AwareDatetime | None
    privacy_url: HttpsUrl

    @classmethod
    def of(
        cls, completed: PrivacyRequestCompleted, contact: PolicyContact, privacy_url: str
    ) -> RequestCompleted | None:
        """The letter for ``completed``; None for an erasure (nobody can write to them now)."""
        if completed.kind is PrivacyRequestKind.ERASURE:
            return None
        return cls(
            request_id=completed.request_id,
            contact=contact,
            request_kind=completed.kind,
            export_expires_at=completed.export_expires_at,
            privacy_url=privacy_url,
        )

    def details(self, locale: Locale) -> dict[str, Any]:
        expires = self.export_expires_at
        return {
            "access": self.request_kind is PrivacyRequestKind.ACCESS,
            "kind": REQUEST_KINDS[locale][self.request_kind],
            "expires_on": None if expires is None else day(expires),
            "privacy_url": self.privacy_url,
        }


class RequestDenied(PrivacyLetter):
    """The request is refused: the legal reason in the customer's language, staff's
    explanation if they gave one, and whom to ask."""

    kind: ClassVar[Kind] = Kind.PRIVACY_DENIED
    template: ClassVar[str] = "privacy_denied"

    reason: DenialReason
    explanation: str | None

    @classmethod
    def of(cls, denied: PrivacyRequestDenied, contact: PolicyContact) -> RequestDenied:
        return cls(
            request_id=denied.request_id,
            contact=contact,
            reason=denied.reason,
            explanation=denied.explanation,
        )

    def details(self, locale: Locale) -> dict[str, Any]:
        return {"reason": DENIAL_REASONS[locale][self.reason], "explanation": self.explanation}


PRIVACY_LETTERS: dict[Kind, type[PrivacyLetter]] = {
    letter.kind: letter
    for letter in (
        RequestReceived,
        RequestExtended,
        ErasureStarting,
        RequestCompleted,
        RequestDenied,
    )
}
"""Each privacy letter's class by its kind: a parked letter is rebuilt from it
(``domain.parked``)."""


def email_time(entry: Delivery) -> datetime:
    """When an email happened, as the customer sees it: its outcome, else its last attempt."""
    return entry.done_at or entry.sending_at or entry.queued_at


def emails_part(entries: Iterable[Delivery]) -> EmailsPart:
    """PDPL access: every email sent or attempted to the customer, oldest first, as kind, time
    and outcome; never its text or the address. An entry still ``pending`` was never tried
    (no email yet); one in ``sending`` was tried and its outcome is not known yet."""
    tried = sorted(
        {entry.id: entry for entry in entries if entry.state is not State.PENDING}.values(),
        key=lambda entry: (email_time(entry), entry.id),
    )
    return EmailsPart(
        emails=[
            ExportEmail(kind=entry.kind.value, at=email_time(entry), outcome=entry.state.value)
            for entry in tried
        ]
    )
