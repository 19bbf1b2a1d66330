"""The copy of a customer's data an access request produces (PDPL: the right to know and to
obtain a copy): one ``PrivacyExport`` from the parts the holding services sent, the customer's
own privacy requests, and their disclosure ledger (D3: who received their data, what and why),
newest first.

A customer who was erased, or whom no service knows, gets an export that says so: no personal
data is held (``personal_data_held`` false, every section empty, a statement in English and
Arabic).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from allwan_contracts.privacy_export import (
    ConsentsPart,
    EmailsPart,
    ExportDisclosure,
    ExportHistoryEntry,
    ExportPrivacyRequest,
    OrdersPart,
    PrivacyExport,
)
from allwan_contracts.privacy_replies import (
    ExportPartName,
)

from allwan_privacy.domain.request_state import RequestState

Part = OrdersPart | ConsentsPart | EmailsPart
PART_MODELS: Mapping[ExportPartName, type[Part]] = {
    "orders": OrdersPart,
    "consents": ConsentsPart,
    "emails": EmailsPart,
}
"""The model each part name holds: a service's part is validated as it before it is used."""

STATEMENT_EN = "We hold no personal data about you."
STATEMENT_AR = "لا نحتفظ بأي بيانات شخصية عنك."
NOTHING_HELD = f"{STATEMENT_EN}\n{STATEMENT_AR}"


@dataclass(frozen=True)
class ExportParts:
    """The parts the holding services sent; None where a service holds nothing."""

    orders: OrdersPart | None = None
    consents: ConsentsPart | None = None
    emails: EmailsPart | None = None

    @property
    def empty(self) -> bool:
        return self.orders is None and self.consents is None and self.emails is None


def read_part(name: ExportPartName, text: str) -> Part:
    """A part's JSON as its model; ``pydantic.ValidationError`` if it is not one."""
    return PART_MODELS[name].model_validate_json(text)


def parts_of(parts: Mapping[ExportPartName, Part]) -> ExportParts:
    """The opened parts, each in its place (a part under the wrong name is refused)."""
    for name, part in parts.items():
        if not isinstance(part, PART_MODELS[name]):
            raise TypeError(f"the {name} part holds a {type(part).__name__}")
    orders, consents, emails = parts.get("orders"), parts.get("consents"), parts.get("emails")
    return ExportParts(
        orders if isinstance(orders, OrdersPart) else None,
        consents if isinstance(consents, ConsentsPart) else None,
        emails if isinstance(emails, EmailsPart) else None,
    )


def request_entry(request: RequestState) -> ExportPrivacyRequest:
    """One of the customer's privacy requests, as the export lists it."""
    receipt = request.receipt
    if receipt is None or request.state is None:
        raise ValueError("only a received request is exported")
    return ExportPrivacyRequest(
        request_id=request.id,
        kind=receipt.kind.value,
        state=request.state.value,
        channel=receipt.channel.value,
        received_at=receipt.received_at,
        due_at=receipt.due_at,
        extended_until=request.extended_until,
        history=[
            ExportHistoryEntry(state=step.state.value, at=step.at, by=step.by)
            for step in request.history
        ],
    )


def assemble(
    *,
    customer_id: str,
    request_id: str,
    generated_at: datetime,
    parts: ExportParts,
    requests: Iterable[RequestState],
    disclosures: Sequence[ExportDisclosure] = (),
) -> PrivacyExport:
    """Everything held about the customer at ``generated_at``, their ledger newest first;
    the nothing-held export when no service sent a part."""
    if parts.empty:
        return nothing_held(customer_id=customer_id, request_id=request_id, at=generated_at)
    orders, consents, emails = parts.orders, parts.consents, parts.emails
    entries = sorted(
        (request_entry(request) for request in requests if request.receipt is not None),
        key=lambda entry: (entry.received_at, entry.request_id),
    )
    return PrivacyExport(
        customer_id=customer_id,
        request_id=request_id,
        generated_at=generated_at,
        personal_data_held=True,
        contact=orders.contact if orders else None,
        orders=orders.orders if orders else [],
        consents=consents.consents if consents else [],
        cookie_preferences=consents.cookie_preferences if consents else [],
        emails=emails.emails if emails else [],
        privacy_requests=entries,
        disclosures=sorted(disclosures, key=lambda entry: entry.at, reverse=True),
    )


def nothing_held(*, customer_id: str, request_id: str, at: datetime) -> PrivacyExport:
    """The export of a customer erased or never known: no personal data is held."""
    return PrivacyExport(
        customer_id=customer_id,
        request_id=request_id,
        generated_at=at,
        personal_data_held=False,
        statement=NOTHING_HELD,
    )
