"""Publishing policy versions and asking for re-confirmation, through the handlers (PC1)."""

from __future__ import annotations

from allwan_consent.handlers.policies import (
    ask_for_reconfirmation,
    publish_first_version,
    publish_policy,
)
from allwan_consent.policies import first_version
from allwan_contracts import (
    Channel,
    ConsentPurpose,
    ConsentReconfirmationRequired,
    PolicyChanged,
    PolicyDocumentPublished,
)
from allwan_contracts.intake import ConsentAction

from tests.unit.consent.conftest import World
from tests.unit.consent.fakes import (
    CONTACT,
    WHEN,
    consent_request,
    envelope,
    order_placed,
    publish_request,
)
from tests.unit.consent.test_consent_handlers import change, purchase

MARKETING = ConsentPurpose.MARKETING


async def publish(world: World, material: bool) -> PolicyChanged:
    request = publish_request(material)
    await publish_policy(request, envelope(request), world.deps)
    changed = world.policy_events()[-1]
    assert isinstance(changed, PolicyChanged)
    return changed


async def reconfirm(world: World, changed: PolicyChanged) -> None:
    await ask_for_reconfirmation(changed, envelope(changed, producer="consent"), world.deps)


async def test_pc1_a_published_version_gets_the_next_number_texts_first(world: World) -> None:
    await world.publish_v1()

    changed = await publish(world, material=True)

    assert (changed.version, changed.material) == (2, True)
    document = world.policy_events()[-2]
    assert isinstance(document, PolicyDocumentPublished)
    assert (document.version, document.published_by) == (2, "staff:7")
    assert document.contact == CONTACT


async def test_pc1_a_redelivered_publish_request_publishes_once(world: World) -> None:
    request = publish_request(material=False)
    delivered = envelope(request)
    for _ in range(2):
        await publish_policy(request, delivered, world.deps)

    assert (await world.deps.policies.get("privacy")).current_version == 1


async def test_pc1_version_1_is_published_once_however_often_the_service_starts(
    world: World,
) -> None:
    draft = first_version(WHEN)
    first = await publish_first_version(draft, world.deps)
    again = await publish_first_version(draft, world.deps)

    assert (first, again) == (True, False)
    assert (await world.deps.policies.get("privacy")).current_version == 1


async def test_pc1_a_replica_losing_the_race_for_version_1_gives_way(world: World) -> None:
    world.store.conflicts_to_raise = 1  # another replica stored version 1 first

    published = await publish_first_version(first_version(WHEN), world.deps)

    assert published is False


async def test_pc1_a_material_change_suspends_older_secondary_consents_only(
    world: World,
) -> None:
    await world.publish_v1()
    await purchase(world, order_placed(world.secrets, "cust-1", marketing_opt_in=True))
    await purchase(world, order_placed(world.secrets, "cust-2", marketing_opt_in=False))
    changed = await publish(world, material=True)
    await change(world, consent_request("cust-3", ConsentAction.GRANT))  # under version 2

    await reconfirm(world, changed)
    await reconfirm(world, changed)  # redelivered

    marks = [e for e in world.ledger_events() if isinstance(e, ConsentReconfirmationRequired)]
    assert [
        (m.customer_id, m.purpose, m.granted_under_version, m.policy_version) for m in marks
    ] == [("cust-1", MARKETING, 1, 2)]
    assert (await world.ledger("cust-1")).granted(ConsentPurpose.ORDER_PROCESSING)
    assert (await world.ledger("cust-3")).granted(MARKETING)


async def test_pc1_a_non_material_change_keeps_every_consent(world: World) -> None:
    await world.publish_v1()
    await purchase(world, order_placed(world.secrets, "cust-1", marketing_opt_in=True))
    before = world.ledger_events()

    await reconfirm(world, await publish(world, material=False))

    assert world.ledger_events() == before
    assert (await world.ledger("cust-1")).granted(MARKETING)


async def test_pc1_an_opt_in_under_terms_older_than_a_material_change_needs_reconfirming(
    world: World,
) -> None:
    await world.publish_v1()
    await publish(world, material=True)

    # The orders service had not seen version 2 yet when the buyer opted in.
    await purchase(
        world, order_placed(world.secrets, "cust-1", marketing_opt_in=True, policy_version=1)
    )

    ledger = await world.ledger("cust-1")
    assert not ledger.granted(MARKETING)
    assert ledger.purposes[MARKETING].reconfirm_for == 2
    assert ledger.granted(ConsentPurpose.ORDER_PROCESSING)


async def test_pc1_the_customer_reconfirms_by_granting_under_the_new_terms(world: World) -> None:
    await world.publish_v1()
    await purchase(world, order_placed(world.secrets, "cust-1", marketing_opt_in=True))
    await reconfirm(world, await publish(world, material=True))

    await change(world, consent_request("cust-1", ConsentAction.GRANT, channel=Channel.WEB))

    assert (await world.ledger("cust-1")).granted(MARKETING)
