"""A customer's ledger as recorded, event by event with its time, from the event store.

The ledger's events carry no time of their own (their envelope does), so the aggregate
cannot answer "when"; the event store can, and is never behind the way a read model may be.
"""

from __future__ import annotations

from allwan_contracts import (
    ConsentGranted,
    ConsentReconfirmationRequired,
    ConsentWithdrawn,
    CustomerErased,
    read_event,
)
from allwan_runtime.eventstore import Streams, stream_id

from allwan_consent.domain.access import LedgerRecord
from allwan_consent.domain.ledger import ConsentLedger

_LEDGER_EVENTS = (ConsentGranted, ConsentWithdrawn, ConsentReconfirmationRequired, CustomerErased)


class StoredLedgerHistory:
    """``handlers.ports.LedgerHistory`` on this service's event store."""

    def __init__(self, store: Streams) -> None:
        self._store = store

    async def records(self, customer_id: str) -> list[LedgerRecord]:
        stream = stream_id(ConsentLedger.aggregate_type, customer_id)
        records = []
        for envelope in await self._store.load(stream):
            event = read_event(envelope)
            if isinstance(event, _LEDGER_EVENTS):
                records.append(LedgerRecord(event, envelope.occurred_at))
        return records
