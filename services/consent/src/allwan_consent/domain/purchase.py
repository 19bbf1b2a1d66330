"""What a purchase says about consent (K1, K2)."""

from __future__ import annotations

from allwan_contracts import Channel, ConsentEvidence, ConsentPurpose, OrderPlaced

from allwan_consent.domain.ledger import ConsentChange

ORDERS_SERVICE = "service:orders"


def order_channel(order_id: str) -> Channel:
    """Salla's order ids are numeric; the storefront's are ours (UUIDs, slugs) (T1).

    ``OrderPlaced`` does not say where the order came from, so its id has to.
    """
    return Channel.SALLA if order_id.isdigit() else Channel.WEB


def purchase_consents(order: OrderPlaced) -> list[ConsentChange]:
    """A purchase is consent to process that order, under the order's policy version (K1).

    Marketing comes with it only when the buyer ticked the opt-in (K2): never otherwise.
    """
    purposes = [ConsentPurpose.ORDER_PROCESSING]
    if order.marketing_opt_in is True:
        purposes.append(ConsentPurpose.MARKETING)
    return [
        ConsentChange(
            purpose=purpose,
            channel=order_channel(order.order_id),
            policy_version=order.policy_version,
            recorded_by=ORDERS_SERVICE,
            evidence=ConsentEvidence(message_reference=order.order_id),
        )
        for purpose in purposes
    ]
