"""Accountability over HTTP: what staff send (a legal disclosure, a breach and the steps of
its life). What the API answers is ``allwan_contracts.accountability``'s, unchanged, and so
is what the gateway passes on to the privacy service (``contract()``).

Each body here is one of the contracts' ``*Request`` models stated as the OpenAPI document
can state it, like every body (``requests``): exactly the listed fields, date-times as RFC
3339 strings with their offset, text whose length is counted as sent and trimmed once
accepted, each category named once, and the affected customers either listed or an order
window (one shape or the other). What no schema can state is named in the descriptions and
decided by the privacy service: a recipient must be in its registry (422
unknown-recipient), nothing is detected or disclosed in the future, a window starts before
it ends.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Annotated, Any, Self, TypeVar

from allwan_contracts.accountability import (
    BreachRequest,
    ClosureRequest,
    CustomerNotificationRequest,
    LegalDisclosureRequest,
    Recipient,
    RegulatorNotificationRequest,
)
from allwan_contracts.breaches import MAX_LISTED_CUSTOMERS
from allwan_contracts.disclosures import DataCategory, RecipientId
from allwan_contracts.fields import CustomerId
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

from allwan_gateway.entrypoints.schemas.requests import (
    NOT_BLANK,
    WHITESPACE,
    DateTimeText,
    Summary,
)

Item = TypeVar("Item", bound=Hashable)
Contract = TypeVar("Contract", bound=BaseModel)


def _once_each(items: Sequence[Item]) -> Sequence[Item]:
    if len(set(items)) != len(items):
        raise PydanticCustomError("unique_items", "each item is named once")
    return items


def _trimmed(text: str) -> str:
    return text.strip(WHITESPACE)


Paragraph = Annotated[
    str,
    StringConstraints(min_length=1, max_length=4000, pattern=NOT_BLANK),
    AfterValidator(_trimmed),
]
"""Up to 4000 characters as sent, not only whitespace; trimmed once accepted."""
Categories = Annotated[
    list[DataCategory],
    Field(min_length=1, max_length=len(DataCategory), json_schema_extra={"uniqueItems": True}),
    AfterValidator(_once_each),
]
CustomerIds = Annotated[
    list[CustomerId],
    Field(min_length=1, max_length=MAX_LISTED_CUSTOMERS, json_schema_extra={"uniqueItems": True}),
    AfterValidator(_once_each),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    def _as(self, contract: type[Contract]) -> Contract:
        # Every rule of the contract's model is one of this model's, stated for the document:
        # what this model accepted, the contract's accepts as it is.
        return contract.model_validate(self.model_dump())


class LegalDisclosure(_Body):
    """D2: staff record a disclosure the law required: to whom (a recipient of the registry,
    ``GET /v1/staff/recipients``), which categories of data, the legal reference (a court
    order, a regulator's request) and when it happened (not in the future)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "cust-1042",
                    "recipient": "authority",
                    "categories": ["name", "email", "order_details"],
                    "reference": "Court order 4471/1448, Riyadh Commercial Court",
                    "disclosed_at": "2026-11-20T10:00:00+03:00",
                }
            ]
        }
    )

    customer_id: CustomerId
    recipient: RecipientId = Field(description="A recipient's id in the registry.")
    categories: Categories
    reference: Summary
    disclosed_at: DateTimeText = Field(
        description="When the data was disclosed; not later than now."
    )

    def contract(self) -> LegalDisclosureRequest:
        return self._as(LegalDisclosureRequest)


class ListedCustomers(_Body):
    """The affected customers, by id, each once."""

    customer_ids: CustomerIds


class OrderWindow(_Body):
    """Every customer with an order placed in [``ordered_from``, ``ordered_until``)."""

    ordered_from: DateTimeText
    ordered_until: DateTimeText = Field(description="Later than ``ordered_from``.")

    @model_validator(mode="after")
    def _starts_before_it_ends(self) -> Self:
        if self.ordered_from >= self.ordered_until:
            raise PydanticCustomError("window_order", "an order window starts before it ends")
        return self


def _selection(value: Any) -> str:
    # No field says which shape a selection is: ``customer_ids`` does. Errors then name the
    # shape that was meant (``affected.listed`` or ``affected.window``), not both.
    listed = isinstance(value, ListedCustomers) or (
        isinstance(value, dict) and "customer_ids" in value
    )
    return "listed" if listed else "window"


Affected = Annotated[
    Annotated[ListedCustomers, Tag("listed")] | Annotated[OrderWindow, Tag("window")],
    Discriminator(_selection),
]
"""One shape or the other (``oneOf``)."""


class NewBreach(_Body):
    """A breach of personal data (S2): when it was detected (not in the future; the
    regulator is due to be told within 72 hours of it), what happened, which categories of
    data, who is affected, the likely consequences and the measures taken."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "detected_at": "2026-11-28T07:45:00+03:00",
                    "description": "A misconfigured export bucket was readable for 3 hours.",
                    "categories": ["name", "email"],
                    "affected": {
                        "ordered_from": "2026-11-01T00:00:00Z",
                        "ordered_until": "2026-11-15T00:00:00Z",
                    },
                    "likely_consequences": "Phishing emails addressed by name.",
                    "measures_taken": "Access revoked, keys rotated, logs reviewed.",
                }
            ]
        }
    )

    detected_at: DateTimeText = Field(description="When it was detected; not later than now.")
    description: Paragraph
    categories: Categories
    affected: Affected
    likely_consequences: Paragraph
    measures_taken: Paragraph

    def contract(self) -> BreachRequest:
        return self._as(BreachRequest)


class RegulatorNotification(_Body):
    """The regulator was told: its acknowledgement or case number, and when."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"reference": "SDAIA-2026-00193", "notified_at": "2026-11-29T12:00:00Z"}]
        }
    )

    reference: Summary
    notified_at: DateTimeText

    def contract(self) -> RegulatorNotificationRequest:
        return self._as(RegulatorNotificationRequest)


class CustomerNotice(_Body):
    """What every affected customer is told, in Arabic and in English: no personal data."""

    message_ar: Paragraph
    message_en: Paragraph


class CustomerNotification(_Body):
    """Tell every affected customer, each once, by email in their language."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "notice": {
                        "message_ar": "تعرضت بعض بياناتك لوصول غير مصرح به...",
                        "message_en": "Some of your data was exposed...",
                    }
                }
            ]
        }
    )

    notice: CustomerNotice

    def contract(self) -> CustomerNotificationRequest:
        return self._as(CustomerNotificationRequest)


class BreachClosure(_Body):
    """Close the breach, with what was concluded."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"summary": "Contained; no misuse seen in 30 days."}]}
    )

    summary: Summary

    def contract(self) -> ClosureRequest:
        return self._as(ClosureRequest)


class Recipients(BaseModel):
    """The registry: who receives customers' personal data, what and why (D1-D3)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    recipients: list[Recipient]
