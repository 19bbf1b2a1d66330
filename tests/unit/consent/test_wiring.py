"""Consent's consumers as ``bootstrap`` wires them: each input obeyed only from the service
that owns it (S1), and recorded once after a lost race for its stream."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from allwan_consent.adapters.read_models import ConsentProjection, PolicyProjection, ReadModels
from allwan_consent.bootstrap import Consumers, consumers
from allwan_consent.settings import ConsentSettings
from allwan_contracts import (
    Channel,
    ConsentGranted,
    CustomerContactChanged,
    CustomerDataExported,
    CustomerErased,
    ErasureConfirmed,
    ErasureReason,
    OrderPlaced,
    PrivacyRequestKind,
    PrivacyRequestStarted,
    encode,
)
from allwan_contracts.intake import ConsentAction, ConsentChangeRequested, ErasureRequested
from allwan_runtime.dispatch import DeadLetter, Dispatcher, Outcome, TransientError
from pymongo import AsyncMongoClient

from tests.unit.consent.conftest import World
from tests.unit.consent.fakes import consent_request, envelope, order_placed

SETTINGS = ConsentSettings(
    gateway_producer="gateway-a", orders_producer="orders-a", privacy_producer="privacy-a"
)
GRANT = consent_request("cust-1", ConsentAction.GRANT)


@pytest.fixture
async def wired(world: World) -> AsyncIterator[Consumers]:
    # The read models are never fed here: the client never connects.
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient("mongodb://127.0.0.1:9")
    db = client["unused"]
    read_models = ReadModels(ConsentProjection(db, "consent"), PolicyProjection(db, "consent"))
    deps = dataclasses.replace(world.deps, privacy_producer=SETTINGS.privacy_producer)
    yield consumers(SETTINGS, deps, read_models)
    await client.close()


async def test_s1_consent_intake_is_obeyed_from_the_gateway_only(
    world: World, wired: Consumers
) -> None:
    await world.publish_v1()
    handle = wired.intake.bound()[ConsentChangeRequested]

    await handle(envelope(GRANT, producer="intruder"), GRANT)
    assert world.events("cust-1") == []

    await handle(envelope(GRANT, producer="gateway-a"), GRANT)
    assert [type(e) for e in world.events("cust-1")] == [ConsentGranted]


async def test_s1_orders_are_obeyed_from_the_orders_service_only(
    world: World, wired: Consumers
) -> None:
    order = order_placed(world.secrets, "cust-1")
    handle = wired.orders.bound()[OrderPlaced]

    await handle(envelope(order, producer="gateway-a"), order)
    assert world.events("cust-1") == []
    assert world.phones.entries == set()

    await handle(envelope(order, producer="orders-a"), order)
    assert [type(e) for e in world.events("cust-1")] == [ConsentGranted]


def erasure_requested(reason: ErasureReason, via: Channel | None = None) -> ErasureRequested:
    return ErasureRequested(
        customer_id="cust-1", requested_by="service:privacy", reason=reason, requested_via=via
    )


async def test_p3_a_retention_erasure_from_the_privacy_service_shreds_and_announces_it(
    world: World, wired: Consumers
) -> None:
    request = erasure_requested(ErasureReason.RETENTION_ENDED)
    handle = wired.intake.bound()[ErasureRequested]

    await handle(envelope(request, producer="orders-a"), request)
    assert world.secrets.shredded == set()

    await handle(envelope(request, producer="privacy-a"), request)
    assert world.secrets.shredded == {"cust-1"}
    (erased,) = world.events("cust-1")
    assert isinstance(erased, CustomerErased)
    assert (erased.reason, erased.requested_via) == (ErasureReason.RETENTION_ENDED, None)


async def test_s1_any_other_erasure_from_the_privacy_service_is_dead_lettered_not_obeyed(
    world: World, wired: Consumers
) -> None:
    request = erasure_requested(ErasureReason.CUSTOMER_REQUEST, Channel.WEB)
    letters: list[DeadLetter] = []

    async def dead_letter(letter: DeadLetter) -> None:
        letters.append(letter)

    dispatcher = Dispatcher(wired.intake.bound())
    raw = encode(envelope(request, producer="privacy-a"))

    assert await dispatcher.dispatch(raw, dead_letter) is Outcome.DEAD_LETTERED
    assert letters == [DeadLetter(reason="handler_error", detail="NotARetentionErasure")]
    assert world.secrets.shredded == set()
    assert world.events("cust-1") == []


async def test_the_gateways_erasures_are_still_obeyed_whatever_their_reason(
    world: World, wired: Consumers
) -> None:
    request = erasure_requested(ErasureReason.CUSTOMER_REQUEST, Channel.EMAIL)

    await wired.intake.bound()[ErasureRequested](envelope(request, "gateway-a"), request)

    assert world.secrets.shredded == {"cust-1"}
    assert [e.reason for e in world.events("cust-1")] == [ErasureReason.CUSTOMER_REQUEST]


async def test_a_change_that_lost_races_for_its_ledger_is_recorded_once_when_it_wins(
    world: World, wired: Consumers
) -> None:
    await world.publish_v1()
    world.store.conflicts_to_raise = 2  # another consumer wrote the ledger first, twice

    await wired.intake.bound()[ConsentChangeRequested](envelope(GRANT, "gateway-a"), GRANT)

    assert [type(e) for e in world.events("cust-1")] == [ConsentGranted]


async def test_a_change_that_keeps_losing_is_left_to_the_dispatchers_backoff(
    world: World, wired: Consumers
) -> None:
    await world.publish_v1()
    world.store.conflicts_to_raise = 100

    with pytest.raises(TransientError):
        await wired.intake.bound()[ConsentChangeRequested](envelope(GRANT, "gateway-a"), GRANT)
    assert world.events("cust-1") == []


async def test_s1_privacy_requests_are_obeyed_from_the_privacy_service_only(
    world: World, wired: Consumers
) -> None:
    started = PrivacyRequestStarted(
        request_id="req-1",
        customer_id="cust-1",
        kind=PrivacyRequestKind.ERASURE,
        channel=Channel.WEB,
        at=datetime(2026, 4, 2, tzinfo=UTC),
        by="service:privacy",
    )
    handle = wired.privacy.bound()[PrivacyRequestStarted]

    await handle(envelope(started, producer="gateway-a"), started)
    assert world.secrets.shredded == set()

    await handle(envelope(started, producer="privacy-a"), started)
    assert world.secrets.shredded == {"cust-1"}


async def test_s1_corrections_are_obeyed_from_the_orders_service_only(
    world: World, wired: Consumers
) -> None:
    order = order_placed(world.secrets, "cust-1")
    changed = CustomerContactChanged(
        customer_id="cust-1", contact=order.contact, channel=Channel.WEB, request_id="req-c"
    )
    handle = wired.privacy.bound()[CustomerContactChanged]

    await handle(envelope(changed, producer="privacy-a"), changed)
    assert world.store.all_events("privacy_reply") == []

    await handle(envelope(changed, producer="orders-a"), changed)
    assert len(world.store.all_events("privacy_reply")) == 1


async def test_only_this_services_own_erasures_are_confirmed(
    world: World, wired: Consumers
) -> None:
    erased = CustomerErased(
        customer_id="cust-1",
        erased_at=datetime(2026, 4, 2, tzinfo=UTC),
        reason=ErasureReason.RETENTION_ENDED,
    )
    handle = wired.privacy.bound()[CustomerErased]

    await handle(envelope(erased, producer="orders-a"), erased)
    assert world.store.all_events("privacy_reply") == []

    await handle(envelope(erased, producer="consent"), erased)
    assert [type(e) for e in world.store.all_events("privacy_reply")] == [ErasureConfirmed]


async def test_an_access_request_is_answered_through_the_wiring(
    world: World, wired: Consumers
) -> None:
    await world.publish_v1()
    await wired.intake.bound()[ConsentChangeRequested](envelope(GRANT, "gateway-a"), GRANT)
    started = PrivacyRequestStarted(
        request_id="req-2",
        customer_id="cust-1",
        kind=PrivacyRequestKind.ACCESS,
        channel=Channel.WHATSAPP,
        at=datetime(2026, 4, 2, tzinfo=UTC),
        by="service:privacy",
    )

    await wired.privacy.bound()[PrivacyRequestStarted](envelope(started, "privacy-a"), started)

    (exported,) = world.store.all_events("privacy_reply")
    assert isinstance(exported, CustomerDataExported)
    assert not exported.nothing_held


def test_each_consumer_group_names_the_handler_of_each_event(wired: Consumers) -> None:
    assert wired.intake.describe() == {
        "ConsentChangeRequested": "change_consent",
        "ErasureRequested": "erase_customer",
        "PolicyPublishRequested": "publish_policy",
    }
    assert wired.orders.describe() == {"OrderPlaced": "record_purchase"}
    assert wired.whatsapp.describe() == {"WebhookReceived": "handle_whatsapp_delivery"}
    assert wired.reconfirmation.describe() == {"PolicyChanged": "ask_for_reconfirmation"}
    assert wired.privacy.describe() == {
        "PrivacyRequestStarted": "fulfil_privacy_request",
        "CustomerContactChanged": "apply_correction",
        "CustomerErased": "confirm_erasure",
    }
    assert wired.read_models.describe() == {
        "ConsentGranted": "project_ledger",
        "ConsentWithdrawn": "project_ledger",
        "ConsentReconfirmationRequired": "project_ledger",
        "CustomerErased": "project_ledger",
        "PolicyDocumentPublished": "project_policy",
        "PolicyChanged": "project_policy",
    }
