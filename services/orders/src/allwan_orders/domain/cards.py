"""Card data never enters (C3, T3): an order request holding a card number is refused."""

from __future__ import annotations

from collections.abc import Mapping

from allwan_contracts import RejectionReason
from allwan_contracts.cards import find_card_data

from allwan_orders.domain.errors import OrderRefused

_SHOWN = 3


def refuse_card_data(request: Mapping[str, object]) -> None:
    """Refuse a request with a card number or security code in any field, at any depth.

    ``request`` is the request as plain data, personal fields opened. The refusal names the
    fields, never the value, so it can be stored, logged and shown.
    """
    findings = find_card_data(dict(request))
    if not findings:
        return
    where = ", ".join(finding.location for finding in findings[:_SHOWN])
    more = f" and {len(findings) - _SHOWN} more" if len(findings) > _SHOWN else ""
    raise OrderRefused(
        RejectionReason.CARD_DATA_PRESENT,
        f"Card data never enters (C3): remove the card number or security code in "
        f"{where}{more}; pay with the payment provider's token.",
    )
