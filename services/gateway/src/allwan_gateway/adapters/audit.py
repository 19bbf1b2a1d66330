"""The audit trail of staff actions (S1): who did what to what, and when; insert-only.

Each entry is inserted once under a fresh id and never updated or deleted by the gateway;
an action whose entry cannot be written is not carried out.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from allwan_gateway.handlers.ports import Documents

AUDIT = "staff_audit"


@dataclass
class AuditLog:
    documents: Documents
    clock: Callable[[], datetime]

    async def record(self, actor: str, action: str, target: str, request_id: str) -> None:
        entry = {
            "_id": str(uuid.uuid4()),
            "at": self.clock(),
            "actor": actor,
            "action": action,
            "target": target,
            "request_id": request_id,
        }
        if not await self.documents.insert(AUDIT, entry):
            raise RuntimeError("audit entry id collided")
