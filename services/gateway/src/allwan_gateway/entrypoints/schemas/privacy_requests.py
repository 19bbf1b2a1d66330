"""Privacy requests over HTTP: what a customer or staff send (a request, an extension, a
denial); what the API answers is in ``privacy_responses``.

Like every body (``requests``), exactly the listed fields, strictly typed; the corrected
contact details are checked as an order's contact is, sealed under the customer's key on
arrival (T2), and card data anywhere in a body is refused before a model sees it (C3).
The document states each rule: a request's kind picks its shape (``oneOf`` on ``kind``:
``changes`` comes with a correction, and only with one), and a correction names at least
one field, each a string (absent when not corrected, never null).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from allwan_contracts.fields import CustomerId
from allwan_contracts.privacy import (
    DenialReason,
)
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from allwan_gateway.entrypoints.schemas.requests import (
    Address,
    Email,
    Phone,
    Summary,
    Text,
    integral,
)

_CORRECTED = ("name", "email", "phone", "billing_address")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


def _present_or_absent(schema: dict[str, Any]) -> None:
    # Each field is a string when present: the null FastAPI would document for ``X | None``
    # is refused (``_not_null``), so the document does not offer it.
    for field in schema.get("properties", {}).values():
        branches = field.pop("anyOf", None)
        if branches is not None:
            [kept] = [branch for branch in branches if branch != {"type": "null"}]
            field.update(kept)
        field.pop("default", None)
    schema["minProperties"] = 1


class ContactCorrection(_Strict):
    """The corrected contact details: only the fields being corrected, at least one, each
    checked as an order's contact is (C1) and sealed under the customer's key (T2)."""

    model_config = ConfigDict(
        json_schema_extra=_present_or_absent,
        title="ContactCorrection",
    )

    name: Text | None = None
    email: Email | None = None
    phone: Phone | None = None
    billing_address: Address | None = None

    @field_validator(*_CORRECTED, mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("string_type", "a corrected field is a string")
        return value

    @model_validator(mode="after")
    def _corrects_something(self) -> Self:
        if not self.model_fields_set:
            raise PydanticCustomError("too_short", "a correction names at least one field")
        return self


class _Submission(_Strict):
    def corrections(self) -> ContactCorrection | None:
        """The corrected fields of a correction (``handlers.ports.PrivacyRequestBody``)."""
        return None


class AccessRequest(_Submission):
    """The right to know and to obtain a copy: every part of the customer's data, as JSON
    and as a readable page, downloadable for 7 days once completed."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"kind": "access"}]})

    kind: Literal["access"]


class ErasureRequest(_Submission):
    """The right to destruction: the customer's personal data made unrecoverable everywhere
    (crypto-shredding); amounts, VAT and dates of orders stay, without personal fields."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"kind": "erasure"}]})

    kind: Literal["erasure"]


class CorrectionRequest(_Submission):
    """The right to correction: name, email, phone or billing address."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"kind": "correction", "changes": {"email": "noura.q@example.com"}}]
        }
    )

    kind: Literal["correction"]
    changes: ContactCorrection

    def corrections(self) -> ContactCorrection:
        return self.changes


NewPrivacyRequest = Annotated[
    AccessRequest | CorrectionRequest | ErasureRequest, Field(discriminator="kind")
]


class _StaffSubmission(_Submission):
    customer_id: CustomerId
    channel: Literal["email", "phone"] = Field(description="How the customer asked.")
    identity_check: Literal["registered_email", "order_details", "callback"] = Field(
        description=(
            "How staff made sure the requester is the customer: the email came from the "
            "address on record, the caller gave details only the customer knows, or staff "
            "called back the number on record."
        )
    )


class StaffAccessRequest(_StaffSubmission):
    """An access request the customer sent by email or phone."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "cust-1042",
                    "kind": "access",
                    "channel": "email",
                    "identity_check": "registered_email",
                }
            ]
        }
    )

    kind: Literal["access"]


class StaffErasureRequest(_StaffSubmission):
    """An erasure request the customer sent by email or phone."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "cust-1042",
                    "kind": "erasure",
                    "channel": "phone",
                    "identity_check": "callback",
                }
            ]
        }
    )

    kind: Literal["erasure"]


class StaffCorrectionRequest(_StaffSubmission):
    """A correction the customer sent by email or phone."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "cust-1042",
                    "kind": "correction",
                    "channel": "phone",
                    "identity_check": "order_details",
                    "changes": {"phone": "+966512345679"},
                }
            ]
        }
    )

    kind: Literal["correction"]
    changes: ContactCorrection

    def corrections(self) -> ContactCorrection:
        return self.changes


StaffPrivacyRequest = Annotated[
    StaffAccessRequest | StaffCorrectionRequest | StaffErasureRequest,
    Field(discriminator="kind"),
]

ExtensionDays = Annotated[int, Field(strict=True, ge=1, le=30), BeforeValidator(integral)]


class Extension(_Strict):
    """PDPL: the deadline moves once, by up to 30 days; the customer is emailed the new date
    and this reason."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"days": 20, "reason": "The order history is being restored."}]
        }
    )

    days: ExtensionDays
    reason: Summary


class Denial(_Strict):
    """A refusal for a legal reason, which the customer is shown."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reason": "excessive_or_repeated",
                    "explanation": "A copy was sent two weeks ago.",
                }
            ]
        }
    )

    reason: DenialReason
    explanation: Summary | None = None
