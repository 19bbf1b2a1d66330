"""The copy of a customer's data an access request produces (PDPL: the right to obtain a copy).

``PrivacyExport`` is the document the customer downloads: machine-readable, portable, with a
stable published schema (``contracts/schemas/PrivacyExport.json``, written by
``python -m allwan_contracts.schemagen``). Each service that holds the customer's data sends
its part (``CustomerDataExported``), one of the ``*Part`` models below, sealed; the privacy
service assembles them, adds the customer's privacy requests and disclosures, and seals the
whole document at rest under the customer's key.

Values here are plaintext only inside a sealed part or a sealed export, and in the answer to
the customer's own download.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

EXPORT_FORMAT: Final = "allwan.privacy-export/1"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class ExportContact(_Model):
    """The contact details we hold, opened for the customer's access request (DATA_ACCESS)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    billing_address: str | None = None


class ExportStatusChange(_Model):
    status: str = Field(description="e.g. placed, paid, active, cancelled, refunded, expired.")
    at: AwareDatetime


class ExportOrder(_Model):
    order_id: str
    plan_id: str
    quantity: int
    status: str
    currency: str = "SAR"
    amount_halalas: int | None = None
    vat_halalas: int | None = None
    refunded_halalas: int | None = None
    placed_at: AwareDatetime
    history: list[ExportStatusChange]


class ExportConsent(_Model):
    """One record of the consent ledger, with its proof."""

    purpose: str
    change: Literal["granted", "withdrawn", "reconfirmation_required"]
    policy_version: int
    channel: str | None = None
    recorded_by: str
    at: AwareDatetime
    evidence: dict[str, str] = Field(
        default_factory=dict,
        description="The proof kept: keyed hashes, browser family, message reference.",
    )


class ExportCookiePreference(_Model):
    purpose: Literal["analytics_cookies", "functional_cookies"]
    granted: bool
    since: AwareDatetime | None = None


class ExportEmail(_Model):
    """One email sent (or attempted) to the customer: the ledger, never the message body."""

    kind: str
    at: AwareDatetime
    outcome: str


class ExportHistoryEntry(_Model):
    state: str
    at: AwareDatetime
    by: str


class ExportPrivacyRequest(_Model):
    request_id: str
    kind: str
    state: str
    channel: str
    received_at: AwareDatetime
    due_at: AwareDatetime
    extended_until: AwareDatetime | None = None
    history: list[ExportHistoryEntry]


class ExportDisclosure(_Model):
    """Who received the customer's data, what and why (D1, D2, D3): an entry of the
    disclosure ledger (``allwan_contracts.disclosures``)."""

    recipient: str
    recipient_name: str
    role: Literal["platform", "processor", "authority"]
    categories: list[str]
    purpose: str
    legal_basis: Literal["contract", "law", "processor"]
    reference: str | None = None
    at: AwareDatetime


class OrdersPart(_Model):
    """The orders service's part: contact details, orders and subscriptions."""

    contact: ExportContact | None = None
    orders: list[ExportOrder] = Field(default_factory=list)


class ConsentsPart(_Model):
    """The consent service's part: the consent history with proof, cookie preferences."""

    consents: list[ExportConsent] = Field(default_factory=list)
    cookie_preferences: list[ExportCookiePreference] = Field(default_factory=list)


class EmailsPart(_Model):
    """The notifier's part: every email sent to the customer (kind, time, outcome)."""

    emails: list[ExportEmail] = Field(default_factory=list)


class PrivacyExport(_Model):
    """Everything allwan holds about one customer, at ``generated_at``.

    ``personal_data_held`` is false for a customer who was erased or never known: the sections
    are then empty and ``statement`` says that no personal data is held.
    """

    format: Literal["allwan.privacy-export/1"] = EXPORT_FORMAT
    customer_id: str
    request_id: str
    generated_at: AwareDatetime
    personal_data_held: bool
    statement: str | None = None
    contact: ExportContact | None = None
    orders: list[ExportOrder] = Field(default_factory=list)
    consents: list[ExportConsent] = Field(default_factory=list)
    cookie_preferences: list[ExportCookiePreference] = Field(default_factory=list)
    emails: list[ExportEmail] = Field(default_factory=list)
    privacy_requests: list[ExportPrivacyRequest] = Field(default_factory=list)
    disclosures: list[ExportDisclosure] = Field(default_factory=list)
