"""The gateway's read models from other services' events: each version applied once, keyed
by what they are read by, foreign producers ignored, no personal data projected (T2)."""

from __future__ import annotations

from allwan_contracts import ConsentPurpose, ConsentReconfirmationRequired, CustomerErased
from allwan_contracts.customers import ErasureReason
from allwan_gateway.adapters.order_views import CustomerOrders, project_intake

from tests.unit.gateway.fakes import NOW, Harness, harness
from tests.unit.gateway.seed import (
    CATALOGUE,
    activated,
    consent,
    deliver,
    paid,
    placed,
    publish_policy,
    rejected,
)


async def test_an_orders_life_reaches_its_view_and_redelivery_changes_nothing(
    gw: Harness,
) -> None:
    for version, event in enumerate(
        (placed("o-1", "c-1"), paid("o-1", "c-1"), activated("o-1", "c-1")), start=1
    ):
        await deliver(gw.gateway, event, version)
    await deliver(gw.gateway, paid("o-1", "c-1"), 2)  # redelivered

    order = await gw.gateway.queries.order("o-1")
    assert order is not None
    assert (order["status"], order["paid_halalas"], order["ends_at"] > NOW) == (
        "active",
        2990,
        True,
    )
    assert "contact" not in order


async def test_a_rejected_placement_keeps_its_reason(gw: Harness) -> None:
    await deliver(gw.gateway, rejected("o-2", "c-1"), 1)

    order = await gw.gateway.queries.order("o-2")
    assert order is not None
    assert order["status"] == "rejected"
    assert order["rejection"]["reason"] == "age_attestation_missing"


async def test_events_from_anyone_but_their_owner_are_ignored(gw: Harness) -> None:
    await deliver(gw.gateway, placed("o-1", "c-1"), 1, producer="impostor")
    await deliver(gw.gateway, CATALOGUE, 1, producer="consent")

    assert await gw.gateway.queries.order("o-1") is None
    assert await gw.gateway.queries.catalogue() is None


async def test_a_customers_orders_are_listed_once_each_in_arrival_order(gw: Harness) -> None:
    for n in range(3):
        await deliver(gw.gateway, placed(f"o-{n}", "c-1"), 1)
    await CustomerOrders(gw.documents).add("c-1", "o-1")  # again, with no hint: no effect
    await deliver(gw.gateway, placed("o-x", "c-2"), 1)

    orders = await gw.gateway.queries.customer_orders("c-1")
    assert [order["order_id"] for order in orders] == ["o-0", "o-1", "o-2"]
    slots = sorted(k for k in gw.documents.collection("customer_orders") if k.startswith("c-1#"))
    assert slots == ["c-1#000000", "c-1#000001", "c-1#000002"]


async def test_k3_consents_and_their_proof_follow_the_ledger(gw: Harness) -> None:
    await deliver(gw.gateway, consent("c-1"), 1)
    await deliver(gw.gateway, consent("c-1", granted=False), 2)
    await deliver(
        gw.gateway,
        ConsentReconfirmationRequired(
            customer_id="c-1",
            purpose=ConsentPurpose.ANALYTICS_COOKIES,
            granted_under_version=1,
            policy_version=2,
            recorded_by="service:consent",
        ),
        3,
    )

    consents = await gw.gateway.queries.consents("c-1")
    assert consents["purposes"]["marketing"]["status"] == "withdrawn"
    assert consents["purposes"]["analytics_cookies"]["reconfirm_for"] == 2
    proof = await gw.gateway.queries.consent_proof("c-1")
    assert [entry["event_type"] for entry in proof] == [
        "ConsentGranted",
        "ConsentWithdrawn",
        "ConsentReconfirmationRequired",
    ]
    assert proof[1]["evidence"]["message_reference"] == "m-1"


async def test_an_erased_customer_is_marked_erased(gw: Harness) -> None:
    await deliver(gw.gateway, consent("c-1"), 1)
    erased = CustomerErased(customer_id="c-1", erased_at=NOW, reason=ErasureReason.RETENTION_ENDED)
    await deliver(gw.gateway, erased, 2)

    assert (await gw.gateway.queries.consents("c-1"))["erased"] is True


async def test_pc1_the_newest_published_version_is_served_and_history_keeps_all(
    gw: Harness,
) -> None:
    await publish_policy(gw.gateway, 1)
    await publish_policy(gw.gateway, 2, material=True)

    current = await gw.gateway.queries.policy()
    assert current is not None
    assert (current["version"], current["material"], current["text_en"]) == (
        2,
        True,
        "Privacy policy 2",
    )
    assert [v["version"] for v in await gw.gateway.queries.policy_history()] == [1, 2]
    first = await gw.gateway.queries.policy(1)
    assert first is not None
    assert first["text_ar"] == "سياسة الخصوصية 1"
    assert await gw.gateway.queries.policy(3) is None


async def test_pc1_a_version_whose_texts_arrived_but_not_its_change_is_not_served(
    gw: Harness,
) -> None:
    from tests.unit.gateway.seed import policy_document

    await publish_policy(gw.gateway, 1)
    await deliver(gw.gateway, policy_document(2), 3)

    current = await gw.gateway.queries.policy()
    assert current is not None
    assert current["version"] == 1


async def test_the_catalogue_is_what_orders_published_last(gw: Harness) -> None:
    await deliver(gw.gateway, CATALOGUE, 1)

    catalogue = await gw.gateway.queries.catalogue()
    assert catalogue is not None
    assert catalogue["products"][0]["plans"][0]["price_halalas"] == 2990


async def test_a_long_list_of_orders_is_read_page_by_page_and_appended_in_one_insert(
    gw: Harness,
) -> None:
    index = CustomerOrders(gw.documents)
    for n in range(120):
        await index.add("c-1", f"o-{n:03d}")
    inserts_before = len(gw.documents.collection("customer_orders"))
    await index.add("c-1", "o-new")

    assert len(gw.documents.collection("customer_orders")) == inserts_before + 2
    assert await CustomerOrders(gw.documents).order_ids("c-1") == [
        *(f"o-{n:03d}" for n in range(120)),
        "o-new",
    ]


async def test_a_rebuild_restores_pending_orders_from_the_gateways_own_intake(
    gw: Harness,
) -> None:
    from tests.unit.gateway.test_orders import FULL_ORDER

    async with gw.client() as http:
        await http.post("/v1/orders", json=FULL_ORDER, headers=gw.customer("c-1"))
    [envelope] = gw.store.envelopes()
    fresh = harness()
    from allwan_contracts import read_event

    await project_intake(read_event(envelope), envelope, fresh.gateway.orders)
    await project_intake(read_event(envelope), envelope, fresh.gateway.orders)  # replayed twice

    orders = await fresh.gateway.queries.customer_orders("c-1")
    assert [(o["order_id"], o["status"]) for o in orders] == [(envelope.aggregate_id, "pending")]
