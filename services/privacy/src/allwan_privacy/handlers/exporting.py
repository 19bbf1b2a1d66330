"""An access request's export: assembled from the sealed parts when every service answered,
kept sealed (JSON and HTML) for its days, and read back for the customer's download.

Parts are opened only here, once, to assemble the export (C4: ``DATA_ACCESS``), and dropped
once the request is completed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import structlog
from allwan_contracts.privacy_replies import (
    EXPORT_PART_FIELD,
    ExportPartName,
)
from allwan_runtime.keystore import ERASED, Purpose
from pydantic import ValidationError

from allwan_privacy.domain import deadlines
from allwan_privacy.domain.disclosures import export_entry
from allwan_privacy.domain.export import Part, assemble, nothing_held, parts_of, read_part
from allwan_privacy.domain.request import ExportStatus, PrivacyRequest
from allwan_privacy.domain.request_state import RequestState
from allwan_privacy.handlers.documents import open_text, seal_text
from allwan_privacy.handlers.ports import Deps, StoredExport, StoredText

log = structlog.get_logger(__name__)

EXPORT_FIELD = "export"
EXPORT_HTML_FIELD = "export_html"


class UnreadablePart(Exception):
    """A service's part does not open (its key generation is gone) or is not its model."""


async def make_export(
    request: PrivacyRequest, deps: Deps, now: datetime, *, erased: bool
) -> StoredExport:
    """The request's export, kept until ``now`` plus the export days: everything the services
    sent, or nothing held for an erased customer. A kept export is kept once: another attempt
    (a redelivery, a concurrent answer) gets the one kept first, and completes with it.

    ``UnreadablePart`` if a part cannot be used.
    """
    kept = await deps.exports.get(request.id)
    if kept is not None:
        return kept
    customer = request.received().customer_id
    if erased:
        export = nothing_held(customer_id=customer, request_id=request.id, at=now)
    else:
        export = assemble(
            customer_id=customer,
            request_id=request.id,
            generated_at=now,
            parts=parts_of(await _opened_parts(request, deps)),
            requests=await _customer_requests(request, deps),
            disclosures=[export_entry(entry) for entry in await deps.disclosures.of(customer)],
        )
    json_text, html_text = export.model_dump_json(), deps.renderer.render(export)
    json, html = StoredText(plain=json_text), StoredText(plain=html_text)
    if export.personal_data_held:
        try:
            json = await seal_text(deps.secrets, customer, EXPORT_FIELD, json_text)
            html = await seal_text(deps.secrets, customer, EXPORT_HTML_FIELD, html_text)
        except LookupError:  # erased while the export was being made
            return await make_export(request, deps, now, erased=True)
    expires = deadlines.export_expiry(now, deps.export_days)
    return await deps.exports.keep(StoredExport(request.id, customer, now, expires, json, html))


async def _opened_parts(request: PrivacyRequest, deps: Deps) -> Mapping[ExportPartName, Part]:
    opened: dict[ExportPartName, Part] = {}
    for stored in await deps.parts.of(request.id):
        if stored.part is None:
            continue
        try:
            text = await deps.secrets.open(
                stored.part, field=EXPORT_PART_FIELD, purpose=Purpose.DATA_ACCESS
            )
        except ValueError:  # tampered with, or sealed under another key with its kid
            raise UnreadablePart(f"the {stored.part_name} part does not open") from None
        if text == ERASED:
            raise UnreadablePart(f"the {stored.part_name} part's key is gone")
        try:
            opened[stored.part_name] = read_part(stored.part_name, text)
        except ValidationError:
            raise UnreadablePart(f"the {stored.part_name} part is not its model") from None
    return opened


async def _customer_requests(request: PrivacyRequest, deps: Deps) -> list[RequestState]:
    """Every request of the customer the read model knows, plus this one (as it is now)."""
    customer = request.received().customer_id
    found: list[RequestState] = [request]
    for request_id in sorted(set(await deps.customers.request_ids(customer)) - {request.id}):
        other = await deps.requests.get(request_id)
        if other.receipt is not None and other.receipt.customer_id == customer:
            found.append(other)
    return found


@dataclass(frozen=True)
class Download:
    """What the customer's download of an export answers: the document, or why not."""

    status: ExportStatus
    body: str | None = None


async def download(
    request_id: str, customer_id: str, form: Literal["json", "html"], deps: Deps
) -> Download:
    """The export of ``customer_id``'s request ``request_id``, as JSON or HTML.

    Another customer's request is answered as an unknown one (S1); an export past its days,
    destroyed, or whose key is gone is gone.
    """
    request = await deps.requests.get(request_id)
    status = request.export_status(customer_id, deps.clock())
    if status is not ExportStatus.READY:
        return Download(status)
    kept = await deps.exports.get(request_id)
    if kept is None or kept.customer_id != customer_id:
        return Download(ExportStatus.GONE)
    if form == "html":
        text = await open_text(deps.secrets, kept.html, EXPORT_HTML_FIELD)
    else:
        text = await open_text(deps.secrets, kept.json, EXPORT_FIELD)
    if text is None:
        return Download(ExportStatus.GONE)
    log.info("privacy.export_downloaded", request_id=request_id, form=form)
    return Download(ExportStatus.READY, text)
