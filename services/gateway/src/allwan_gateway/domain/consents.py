"""What a customer's consents allow, as the gateway knows them from the consent ledger.

The consent service decides every grant and withdrawal; the gateway shows its last word per
purpose and whether the customer is erased, and answers from that alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from allwan_contracts import ConsentPurpose

GRANTED = "granted"


def allows(
    purposes: Mapping[str, Mapping[str, Any]], erased: bool, purpose: ConsentPurpose
) -> bool:
    """Whether ``purpose`` may be used: its last word is a grant and the customer is not
    erased (K2, CK1, CK2). A purpose never given, withdrawn, or waiting for reconfirmation
    after a material policy change is off; erasure turns everything off at once."""
    state = purposes.get(purpose.value) or {}
    return not erased and state.get("status") == GRANTED
