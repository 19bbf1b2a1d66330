"""The disclosure ledger (D1-D3, P2): every ``DataDisclosed`` the disclosing services record is
kept once in the customer's ledger; staff record the disclosures the law required (D2);
customers and staff read the ledger, newest first, and the access export lists it.
"""

from __future__ import annotations

import uuid

import structlog
from allwan_contracts.accountability import Disclosure, DisclosurePage, LegalDisclosureRequest
from allwan_contracts.disclosures import DataDisclosed
from allwan_contracts.envelope import Envelope

from allwan_privacy.domain.disclosures import (
    KeyReused,
    legal_disclosure,
    legal_disclosure_id,
    same_disclosure,
    view,
)
from allwan_privacy.handlers.accountability_ports import LedgerDeps

log = structlog.get_logger(__name__)


async def keep_disclosure(disclosed: DataDisclosed, envelope: Envelope, deps: LedgerDeps) -> None:
    """A service sent a customer's data to a recipient: keep it in the customer's ledger, once
    (a redelivery changes nothing). One to a recipient the registry does not know is kept all
    the same (a disclosure is never lost) and flagged, so the registry can be completed."""
    if not await deps.ledger.keep(disclosed):
        return
    if disclosed.recipient not in deps.registry:
        deps.unknown_recipient(disclosed.recipient)
        log.warning(
            "privacy.disclosure_to_unknown_recipient",
            disclosure_id=disclosed.disclosure_id,
            recipient=disclosed.recipient,
            producer=envelope.producer,
        )
    log.info(
        "privacy.disclosure_kept",
        disclosure_id=disclosed.disclosure_id,
        recipient=disclosed.recipient,
        legal_basis=disclosed.legal_basis.value,
    )


async def record_legal_disclosure(
    request: LegalDisclosureRequest, *, key: str, by: str, deps: LedgerDeps
) -> Disclosure:
    """Staff ``by`` record a disclosure the law required (D2), under ``key``: the disclosure is
    recorded once, and answered as the ledger will show it (the ledger takes it from Kafka a
    moment later). A retry with the same details answers the same disclosure; ``KeyReused``
    if the key recorded another one."""
    identity = legal_disclosure_id(key)
    event = legal_disclosure(
        request, disclosure=identity, registry=deps.registry, by=by, now=deps.clock()
    )
    if not await deps.recorder.first(event, uuid.uuid4()):
        recorded = await deps.recorded.first_of(DataDisclosed, identity)
        if recorded is None or not same_disclosure(recorded, event):
            raise KeyReused("the Idempotency-Key recorded another disclosure")
        event = recorded
    else:
        log.info(
            "privacy.legal_disclosure_recorded",
            disclosure_id=identity,
            recipient=event.recipient,
        )
    return view(event, deps.registry)


async def disclosure_page(
    customer_id: str, limit: int, cursor: str | None, deps: LedgerDeps
) -> DisclosurePage:
    """One page of the customer's ledger, newest first; ``InvalidCursor`` for a cursor the
    ledger did not hand out."""
    page = await deps.ledger.page(customer_id, limit, cursor)
    found = await deps.ledger.at(page.positions)
    return DisclosurePage(
        disclosures=[view(event, deps.registry) for event in found],
        next_cursor=page.next_cursor,
    )


class LedgerReader:
    """``handlers.ports.CustomerDisclosures``: the whole ledger of a customer, for the access
    export."""

    def __init__(self, deps: LedgerDeps) -> None:
        self._deps = deps

    async def of(self, customer_id: str) -> list[Disclosure]:
        ledger = self._deps.ledger
        newest_first = sorted(await ledger.positions(customer_id), reverse=True)
        return [view(event, self._deps.registry) for event in await ledger.at(newest_first)]
