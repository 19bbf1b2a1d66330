"""The shapes of accountability over HTTP: what the privacy service's internal API answers and
accepts, and the gateway shows to customers and staff unchanged (disclosures, the retention
schedule, the breach register, the record of processing).

The privacy service validates what it serves against these models and the gateway documents
its routes with them, so the two never drift. Bodies (``*Request``) refuse unknown fields.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from allwan_contracts.breaches import AffectedCustomers, BreachNotice, BreachState, BreachText
from allwan_contracts.consent import Actor
from allwan_contracts.disclosures import (
    Categories,
    DataCategory,
    LegalBasis,
    RecipientId,
    RecipientRole,
)
from allwan_contracts.fields import CustomerId, Summary, UtcDatetime
from allwan_contracts.retention import RuleName

BREACH_REPORT_FORMAT: Final = "allwan.breach-report/1"
RECORD_FORMAT: Final = "allwan.records-of-processing/1"

Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
"""ISO 3166-1 alpha-2."""


class _Shown(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


# -- recipients and disclosures ---------------------------------------------------------------


class Recipient(_Shown):
    """One recipient of the registry: who they are, what they receive and why."""

    id: RecipientId
    name: str
    role: RecipientRole
    country: Country
    receives: list[DataCategory]
    why: str
    legal_basis: LegalBasis


class Disclosure(_Shown):
    """One entry of a customer's disclosure ledger."""

    disclosure_id: str
    customer_id: str
    recipient: str
    recipient_name: str
    role: RecipientRole
    categories: list[DataCategory]
    purpose: str
    legal_basis: LegalBasis
    reference: str | None = None
    source: str
    recorded_by: str
    at: AwareDatetime


class DisclosurePage(_Shown):
    """Newest first; ``next_cursor`` asks for the next page, ``None`` on the last."""

    disclosures: list[Disclosure]
    next_cursor: str | None = None


class LegalDisclosureRequest(_Body):
    """Staff record a disclosure the law required (D2): to whom (a recipient of the
    registry), what, when, and the legal reference (a court order, a regulator's request)."""

    customer_id: CustomerId
    recipient: RecipientId
    categories: Categories
    reference: Summary
    disclosed_at: UtcDatetime


# -- retention --------------------------------------------------------------------------------


class RetentionRule(_Shown):
    """One rule of the schedule: the data, the event that ends its purpose, the period after
    it, the notice the customer gets first, what happens, and why this period."""

    name: RuleName
    categories: list[DataCategory]
    ends_with: str
    period_days: float = Field(ge=0)
    notice_days: float = Field(ge=0)
    action: Literal["erase_customer", "destroy", "keep_without_personal_data"]
    applied_by: str
    reason: str


class RetentionPreviewItem(_Shown):
    """What the next run of one rule would do: counts only, never who."""

    rule: RuleName
    notices_due: int
    erasures_due: int
    in_notice: int


class RetentionView(_Shown):
    schedule: list[RetentionRule]
    preview: list[RetentionPreviewItem]
    previewed_at: AwareDatetime


# -- breaches ---------------------------------------------------------------------------------


class BreachRequest(_Body):
    detected_at: UtcDatetime
    description: BreachText
    categories: Categories
    affected: AffectedCustomers
    likely_consequences: BreachText
    measures_taken: BreachText


class RegulatorNotificationRequest(_Body):
    reference: Summary
    notified_at: UtcDatetime


class CustomerNotificationRequest(_Body):
    notice: BreachNotice


class ClosureRequest(_Body):
    summary: Summary


class BreachStep(_Shown):
    state: BreachState
    at: AwareDatetime
    by: Actor


class Breach(_Shown):
    breach_id: str
    detected_at: AwareDatetime
    regulator_deadline: AwareDatetime
    state: BreachState
    categories: list[DataCategory]
    affected_count: int
    description: str
    likely_consequences: str
    measures_taken: str
    regulator_reference: str | None = None
    regulator_notified_at: AwareDatetime | None = None
    notified_customers: int | None = None
    overdue: bool = Field(
        description="The regulator was not notified and the 72-hour deadline has passed."
    )
    hours_to_deadline: float | None = Field(
        description="Until the regulator's deadline, while it is not notified; negative once "
        "overdue."
    )
    history: list[BreachStep]


class BreachList(_Shown):
    breaches: list[Breach]


class BreachReport(_Shown):
    """One breach as the regulator is told of it (JSON)."""

    format: Literal["allwan.breach-report/1"] = BREACH_REPORT_FORMAT
    controller: str
    contact_email: str
    breach: Breach
    generated_at: AwareDatetime


# -- record of processing ---------------------------------------------------------------------


class ProcessingActivity(_Shown):
    """One purpose of ``allwan_runtime.keystore.Purpose``: what data, from where, who holds
    it, to whom it is disclosed and how long it is kept."""

    purpose: str
    title_ar: str
    title_en: str
    legal_basis: str
    categories: list[DataCategory]
    sources: list[str]
    services: list[str]
    recipients: list[RecipientId]
    retention: list[RuleName]


class RecordOfProcessing(_Shown):
    format: Literal["allwan.records-of-processing/1"] = RECORD_FORMAT
    controller: str
    activities: list[ProcessingActivity]
    recipients: list[Recipient]
    retention: list[RetentionRule]
