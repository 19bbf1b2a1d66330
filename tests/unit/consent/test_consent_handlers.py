"""Consent changes, purchases and erasure through their handlers, in memory (K1-K3)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from allwan_consent.handlers.consent import change_consent, erase_customer, record_purchase
from allwan_contracts import (
    Channel,
    ConsentEvidence,
    ConsentGranted,
    ConsentPurpose,
    ConsentWithdrawn,
    CustomerErased,
    ErasureReason,
    OrderPlaced,
)
from allwan_contracts.intake import ConsentAction, ConsentChangeRequested, ErasureRequested
from allwan_runtime.dispatch import TransientError

from tests.unit.consent.conftest import World
from tests.unit.consent.fakes import consent_request, envelope, order_placed

GRANT, WITHDRAW = ConsentAction.GRANT, ConsentAction.WITHDRAW
MARKETING = ConsentPurpose.MARKETING
ERASED_AT = datetime(2026, 6, 1, tzinfo=UTC)


async def change(world: World, request: ConsentChangeRequested) -> None:
    await change_consent(request, envelope(request), world.deps)


async def purchase(world: World, order: OrderPlaced) -> None:
    await record_purchase(order, envelope(order, producer="orders"), world.deps)


async def test_k3_a_web_withdrawal_is_recorded_under_the_policy_in_force(world: World) -> None:
    await world.publish_v1()
    await change(world, consent_request("cust-1", GRANT))

    await change(world, consent_request("cust-1", WITHDRAW))

    _, withdrawn = world.events("cust-1")
    assert isinstance(withdrawn, ConsentWithdrawn)
    assert (withdrawn.channel, withdrawn.policy_version) == (Channel.WEB, 1)
    assert withdrawn.evidence.ip_hmac == "ab" * 32
    assert not (await world.ledger("cust-1")).granted(MARKETING)


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.PHONE])
async def test_k3_a_withdrawal_staff_recorded_from_an_email_or_call_keeps_its_reference(
    world: World, channel: Channel
) -> None:
    await world.publish_v1()
    await change(world, consent_request("cust-1", GRANT))
    evidence = ConsentEvidence(message_reference="ticket-81")

    await change(
        world,
        consent_request(
            "cust-1", WITHDRAW, channel=channel, evidence=evidence, requested_by="staff:42"
        ),
    )

    withdrawn = world.events("cust-1")[-1]
    assert isinstance(withdrawn, ConsentWithdrawn)
    assert (withdrawn.channel, withdrawn.recorded_by) == (channel, "staff:42")
    assert withdrawn.evidence.message_reference == "ticket-81"


async def test_a_redelivered_request_is_recorded_once(world: World) -> None:
    await world.publish_v1()
    grant = consent_request("cust-1", GRANT)
    delivered = envelope(grant)
    await change_consent(grant, delivered, world.deps)
    await change(world, consent_request("cust-1", WITHDRAW))

    await change_consent(grant, delivered, world.deps)

    assert [type(e) for e in world.events("cust-1")] == [ConsentGranted, ConsentWithdrawn]


async def test_k2_a_grant_by_email_without_its_message_is_refused(world: World) -> None:
    await world.publish_v1()

    await change(
        world,
        consent_request("cust-1", GRANT, channel=Channel.EMAIL, evidence=ConsentEvidence()),
    )

    assert world.events("cust-1") == []


async def test_consent_changes_wait_until_a_policy_is_published(world: World) -> None:
    with pytest.raises(TransientError):
        await change(world, consent_request("cust-1", GRANT))


async def test_k1_an_order_grants_order_processing_and_indexes_the_buyers_phone(
    world: World,
) -> None:
    order = order_placed(world.secrets, "cust-1", order_id="ord-9", policy_version=1)

    await purchase(world, order)

    (granted,) = world.events("cust-1")
    assert isinstance(granted, ConsentGranted)
    assert granted.purpose is ConsentPurpose.ORDER_PROCESSING
    assert granted.evidence.message_reference == "ord-9"
    phone_hash = world.secrets.blind_index("phone", "+966563120415")
    assert world.phones.entries == {(phone_hash, "cust-1")}


async def test_k2_an_order_without_the_opt_in_leaves_marketing_off(world: World) -> None:
    await purchase(world, order_placed(world.secrets, "cust-1", marketing_opt_in=False))

    assert not (await world.ledger("cust-1")).granted(MARKETING)


async def test_k2_an_order_with_the_opt_in_grants_marketing(world: World) -> None:
    await purchase(world, order_placed(world.secrets, "cust-1", marketing_opt_in=True))

    assert (await world.ledger("cust-1")).granted(MARKETING)


async def test_a_second_order_under_the_same_version_adds_nothing(world: World) -> None:
    await purchase(world, order_placed(world.secrets, "cust-1", order_id="ord-1"))
    await purchase(world, order_placed(world.secrets, "cust-1", order_id="ord-2"))

    assert len(world.events("cust-1")) == 1


async def test_erasure_shreds_the_key_forgets_the_phone_and_keeps_the_proof(
    world: World,
) -> None:
    await purchase(world, order_placed(world.secrets, "cust-1", marketing_opt_in=True))
    request = ErasureRequested(
        customer_id="cust-1",
        requested_by="customer",
        reason=ErasureReason.CUSTOMER_REQUEST,
        requested_via=Channel.WEB,
    )
    deps = dataclasses.replace(world.deps, clock=lambda: ERASED_AT)

    await erase_customer(request, envelope(request), deps)
    await erase_customer(request, envelope(request), deps)  # redelivered, or asked twice

    assert world.secrets.shredded == {"cust-1"}
    assert world.phones.entries == set()
    events = world.events("cust-1")
    assert [type(e) for e in events] == [ConsentGranted, ConsentGranted, CustomerErased]
    assert events[-1].erased_at == ERASED_AT


async def test_an_order_for_an_erased_customer_indexes_no_phone(world: World) -> None:
    order = order_placed(world.secrets, "cust-1")
    await world.secrets.shred("cust-1")

    await purchase(world, order)

    assert world.phones.entries == set()
