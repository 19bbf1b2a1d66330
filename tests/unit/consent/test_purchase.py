"""What a purchase says about consent (K1, K2, T1)."""

from __future__ import annotations

from allwan_consent.domain.purchase import order_channel, purchase_consents
from allwan_contracts import Channel, ConsentPurpose
from allwan_runtime.keystore import InMemoryKeyStore
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.consent.fakes import order_placed

SECRETS = InMemoryKeyStore()


@given(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,20}", fullmatch=True),
    st.integers(min_value=1, max_value=50),
)
def test_k2_a_purchase_without_the_opt_in_never_implies_marketing(
    order_id: str, version: int
) -> None:
    order = order_placed(SECRETS, "cust-1", order_id=order_id, policy_version=version)

    changes = purchase_consents(order)

    assert [c.purpose for c in changes] == [ConsentPurpose.ORDER_PROCESSING]


def test_k1_a_purchase_grants_order_processing_under_the_orders_policy_version() -> None:
    order = order_placed(SECRETS, "cust-1", order_id="ord-7", policy_version=4)

    (change,) = purchase_consents(order)

    assert change.policy_version == 4
    assert change.evidence.message_reference == "ord-7"
    assert change.recorded_by == "service:orders"


def test_k2_the_checkout_opt_in_grants_marketing_with_the_order_as_evidence() -> None:
    order = order_placed(SECRETS, "cust-1", order_id="ord-8", marketing_opt_in=True)

    changes = purchase_consents(order)

    assert [c.purpose for c in changes] == [
        ConsentPurpose.ORDER_PROCESSING,
        ConsentPurpose.MARKETING,
    ]
    assert {c.evidence.message_reference for c in changes} == {"ord-8"}


def test_t1_numeric_order_ids_come_from_salla_others_from_the_storefront() -> None:
    assert order_channel("100234") is Channel.SALLA
    assert order_channel("3f2a9c1e-7b7d-4b1f-9a51-2b1f1c0e9d11") is Channel.WEB
    assert order_channel("ord-1") is Channel.WEB
