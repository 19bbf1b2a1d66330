"""Read-model documents fed by several aggregates: the newest event wins.

``projection.apply_once`` orders updates by one aggregate's version. A document that several
aggregates write (a customer's record, updated by each of their orders and by Salla) has no
single version, so it keeps the time of the event it last applied (``_at``): an update for an
older or the same instant matches nothing, which makes redelivery harmless and lets events
from different partitions arrive in any order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from allwan_runtime.projection import apply_guarded, with_set

Document = dict[str, Any]
APPLIED_AT_FIELD = "_at"


async def apply_if_newer(
    collection: AsyncCollection[Document],
    doc_id: str,
    at: datetime,
    update: Document,
    *,
    unless: Mapping[str, Any] | None = None,
) -> bool:
    """Apply ``update`` for an event of instant ``at``; False if a newer one was applied.

    ``unless`` holds field values that, when the document has all of them, refuse every update
    (an erased customer's record takes no new personal data).
    """
    # Stored instants have millisecond precision (BSON): an event is compared at that precision.
    instant = at.replace(microsecond=at.microsecond // 1000 * 1000)

    def older(current: Document) -> bool:
        applied = current.get(APPLIED_AT_FIELD)
        if not isinstance(applied, datetime):
            return False
        if applied.tzinfo is None:  # a client without tz_aware reads UTC as naive
            applied = applied.replace(tzinfo=UTC)
        if not applied < instant:
            return False
        return not unless or any(current.get(field) != value for field, value in unless.items())

    return await apply_guarded(collection, doc_id, older, with_set(update, APPLIED_AT_FIELD, at))
