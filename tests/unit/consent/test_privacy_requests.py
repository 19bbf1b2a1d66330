"""The consent service's answers to privacy requests, in memory (PDPL access, correction,
erasure): each recorded once for the privacy service."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from allwan_consent.handlers.privacy import (
    apply_correction,
    confirm_erasure,
    fulfil_privacy_request,
)
from allwan_contracts import (
    Channel,
    ConsentEvidence,
    ConsentPurpose,
    ContactChanges,
    CorrectionApplied,
    CustomerContact,
    CustomerContactChanged,
    CustomerDataExported,
    CustomerErased,
    ErasureConfirmed,
    ErasureReason,
    PrivacyRequestKind,
    PrivacyRequestStarted,
    reply_id,
)
from allwan_contracts.browsers import BrowserFamily, DeviceClass
from allwan_contracts.intake import ConsentAction
from allwan_contracts.privacy_export import (
    ConsentsPart,
    ExportConsent,
    ExportCookiePreference,
)
from allwan_contracts.privacy_replies import (
    EXPORT_PART_FIELD,
)
from allwan_runtime.keystore import Purpose

from tests.unit.consent.conftest import World
from tests.unit.consent.fakes import consent_request, envelope, text_message, webhook, whatsapp_body
from tests.unit.consent.test_consent_handlers import change
from tests.unit.consent.test_whatsapp_handler import PHONE, deliver, known_customer

NOW = datetime(2026, 4, 2, 8, 0, tzinfo=UTC)
REPLIES = "privacy_reply"
ACCESS, CORRECTION = PrivacyRequestKind.ACCESS, PrivacyRequestKind.CORRECTION
ERASURE = PrivacyRequestKind.ERASURE
HASHES = ConsentEvidence(ip_hmac="ab" * 32, user_agent_hmac="cd" * 32)


@pytest.fixture
def at_now(world: World) -> World:
    world.deps = dataclasses.replace(world.deps, clock=lambda: NOW)
    return world


def started(
    kind: PrivacyRequestKind,
    customer_id: str = "cust-1",
    *,
    request_id: str = "req-1",
    channel: Channel = Channel.WEB,
    changes: ContactChanges | None = None,
) -> PrivacyRequestStarted:
    return PrivacyRequestStarted(
        request_id=request_id,
        customer_id=customer_id,
        kind=kind,
        channel=channel,
        changes=changes,
        at=NOW,
        by="service:privacy",
    )


async def start(world: World, request: PrivacyRequestStarted) -> None:
    await fulfil_privacy_request(request, envelope(request, producer="privacy"), world.deps)


def replies(world: World) -> list[Any]:
    return world.store.all_events(REPLIES)


async def open_part(world: World, exported: CustomerDataExported) -> ConsentsPart:
    assert exported.part is not None
    # The one purpose this key store holds; the privacy service opens it for DATA_ACCESS.
    text = await world.secrets.open(
        exported.part, field=EXPORT_PART_FIELD, purpose=Purpose.CONSENT_MATCHING
    )
    return ConsentsPart.model_validate_json(text)


async def customer_with_history(world: World) -> list[datetime]:
    """cust-1: an order with the marketing opt-in, functional and analytics cookies granted
    on the web, marketing withdrawn on WhatsApp, analytics suspended by a material change.
    Returns when each ledger event was recorded."""
    await known_customer(world)  # order_processing and marketing, by order ord-1
    await change(
        world,
        consent_request(
            "cust-1", ConsentAction.GRANT, ConsentPurpose.FUNCTIONAL_COOKIES, evidence=HASHES
        ),
    )
    analytics = HASHES.model_copy(
        update={"browser": BrowserFamily.SAFARI, "device": DeviceClass.MOBILE}
    )
    await change(
        world,
        consent_request(
            "cust-1", ConsentAction.GRANT, ConsentPurpose.ANALYTICS_COOKIES, evidence=analytics
        ),
    )
    await deliver(world, webhook(world.secrets, whatsapp_body(text_message(PHONE, "stop", "w.9"))))
    ledger = await world.ledger("cust-1")
    ledger.require_reconfirmation(2, purposes=(ConsentPurpose.ANALYTICS_COOKIES,))
    await world.deps.ledgers.save(ledger, correlation_id=uuid.uuid4())
    return [e.occurred_at for e in world.store.envelopes("customer")]


# -- access --------------------------------------------------------------------------------


async def test_access_exports_the_consent_history_with_its_proof_and_cookie_choices(
    at_now: World,
) -> None:
    world = at_now
    at = await customer_with_history(world)

    await start(world, started(ACCESS))

    (exported,) = replies(world)
    assert isinstance(exported, CustomerDataExported)
    assert (exported.reply_id, exported.request_id) == (reply_id("req-1", "consent"), "req-1")
    assert (exported.customer_id, exported.service, exported.part_name) == (
        "cust-1",
        "consent",
        "consents",
    )
    assert (exported.nothing_held, exported.exported_at) == (False, NOW)
    hashes = {"ip_hmac": "ab" * 32, "user_agent_hmac": "cd" * 32}
    order = {"message_reference": "ord-1"}
    assert await open_part(world, exported) == ConsentsPart(
        consents=[
            ExportConsent(
                purpose="order_processing",
                change="granted",
                policy_version=1,
                channel="web",
                recorded_by="service:orders",
                at=at[0],
                evidence=order,
            ),
            ExportConsent(
                purpose="marketing",
                change="granted",
                policy_version=1,
                channel="web",
                recorded_by="service:orders",
                at=at[1],
                evidence=order,
            ),
            ExportConsent(
                purpose="functional_cookies",
                change="granted",
                policy_version=1,
                channel="web",
                recorded_by="customer",
                at=at[2],
                evidence=hashes,
            ),
            ExportConsent(
                purpose="analytics_cookies",
                change="granted",
                policy_version=1,
                channel="web",
                recorded_by="customer",
                at=at[3],
                evidence=hashes | {"browser": "safari", "device": "mobile"},
            ),
            ExportConsent(
                purpose="marketing",
                change="withdrawn",
                policy_version=1,
                channel="whatsapp",
                recorded_by="service:consent",
                at=at[4],
                evidence={"message_reference": "w.9"},
            ),
            ExportConsent(
                purpose="analytics_cookies",
                change="reconfirmation_required",
                policy_version=2,
                recorded_by="service:consent",
                at=at[5],
            ),
        ],
        cookie_preferences=[
            ExportCookiePreference(purpose="analytics_cookies", granted=False, since=at[5]),
            ExportCookiePreference(purpose="functional_cookies", granted=True, since=at[2]),
        ],
    )


async def test_cookies_never_chosen_are_exported_as_not_allowed(world: World) -> None:
    await known_customer(world)

    await start(world, started(ACCESS))

    (exported,) = replies(world)
    part = await open_part(world, exported)
    assert part.cookie_preferences == [
        ExportCookiePreference(purpose="analytics_cookies", granted=False, since=None),
        ExportCookiePreference(purpose="functional_cookies", granted=False, since=None),
    ]


async def test_the_part_opens_only_as_an_export_part(world: World) -> None:
    await known_customer(world)

    await start(world, started(ACCESS))

    (exported,) = replies(world)
    assert exported.part is not None
    with pytest.raises(ValueError, match="does not open"):
        await world.secrets.open(exported.part, field="phone", purpose=Purpose.CONSENT_MATCHING)


async def test_a_redelivered_access_request_is_answered_once(world: World) -> None:
    await known_customer(world)
    request = started(ACCESS)
    delivered = envelope(request, producer="privacy")

    await fulfil_privacy_request(request, delivered, world.deps)
    await fulfil_privacy_request(request, delivered, world.deps)

    assert len(replies(world)) == 1
    (recorded,) = world.store.envelopes(REPLIES)
    assert (recorded.producer, recorded.correlation_id) == ("consent", delivered.correlation_id)


async def test_access_for_a_customer_the_ledger_never_saw_holds_nothing_and_makes_no_key(
    world: World,
) -> None:
    await start(world, started(ACCESS, "cust-unknown"))

    (exported,) = replies(world)
    assert (exported.part, exported.nothing_held) == (None, True)
    assert "cust-unknown" not in world.secrets.subjects


async def test_access_after_erasure_holds_nothing_though_the_ledger_stays(world: World) -> None:
    await known_customer(world)
    await start(world, started(ERASURE, request_id="req-erase"))

    await start(world, started(ACCESS, request_id="req-access"))

    exported = next(r for r in replies(world) if isinstance(r, CustomerDataExported))
    assert (exported.part, exported.nothing_held) == (None, True)
    assert len(world.events("cust-1")) == 3  # two grants and the erasure: proof kept


async def test_access_while_an_erasure_is_half_done_holds_nothing(world: World) -> None:
    await known_customer(world)
    await world.secrets.shred("cust-1")  # the erasure stopped before recording CustomerErased

    await start(world, started(ACCESS))

    (exported,) = replies(world)
    assert exported.nothing_held


# -- erasure -------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", [Channel.WHATSAPP, Channel.WEB, Channel.EMAIL])
async def test_an_erasure_request_shreds_forgets_the_phone_and_names_its_channel(
    at_now: World, channel: Channel
) -> None:
    world = at_now
    await known_customer(world)
    request = started(ERASURE, channel=channel)

    await start(world, request)
    await start(world, request)  # redelivered

    assert world.secrets.shredded == {"cust-1"}
    assert world.phones.entries == set()
    erased = [e for e in world.events("cust-1") if isinstance(e, CustomerErased)]
    assert erased == [
        CustomerErased(
            customer_id="cust-1",
            erased_at=NOW,
            reason=ErasureReason.CUSTOMER_REQUEST,
            requested_via=channel,
        )
    ]
    assert replies(world) == []  # confirmed once CustomerErased comes back: confirm_erasure


async def test_a_correction_request_waits_for_the_corrected_contact(world: World) -> None:
    await known_customer(world)
    before = world.store.envelopes()
    email = world.secrets.seal_now("cust-1", "email", "new@example.com")

    await start(world, started(CORRECTION, changes=ContactChanges(email=email)))

    assert world.store.envelopes() == before


async def test_an_erasure_is_confirmed_once_with_the_phone_index_empty(at_now: World) -> None:
    world = at_now
    await known_customer(world)
    await start(world, started(ERASURE))
    erased = world.events("cust-1")[-1]
    await world.phones.add("stray-hash", "cust-1")  # indexed by an order meanwhile

    await confirm_erasure(erased, envelope(erased, producer="consent"), world.deps)
    await confirm_erasure(erased, envelope(erased, producer="consent"), world.deps)

    assert replies(world) == [
        ErasureConfirmed(
            reply_id=reply_id("cust-1", "consent"),
            customer_id="cust-1",
            service="consent",
            confirmed_at=NOW,
        )
    ]
    assert world.phones.entries == set()


# -- correction ----------------------------------------------------------------------------


def contact_changed(
    world: World, phone: str, *, request_id: str | None = "req-c", customer_id: str = "cust-1"
) -> CustomerContactChanged:
    return CustomerContactChanged(
        customer_id=customer_id,
        contact=CustomerContact(
            name=world.secrets.seal_now(customer_id, "name", "Sara"),
            email=world.secrets.seal_now(customer_id, "email", "sara@example.com"),
            phone=world.secrets.seal_now(customer_id, "phone", phone),
        ),
        channel=Channel.WEB,
        request_id=request_id,
    )


async def correct(world: World, changed: CustomerContactChanged) -> None:
    await apply_correction(changed, envelope(changed, producer="orders"), world.deps)


def phone_hash(world: World, number: str) -> str:
    return world.secrets.blind_index("phone", number)


async def test_a_corrected_phone_replaces_the_old_one_in_the_index_and_is_answered(
    at_now: World,
) -> None:
    world = at_now
    await known_customer(world)  # phone 0563120415
    await world.phones.add(phone_hash(world, "+966599999999"), "cust-1")  # from another order

    await correct(world, contact_changed(world, "055 123 4567"))

    assert world.phones.entries == {(phone_hash(world, "+966551234567"), "cust-1")}
    assert replies(world) == [
        CorrectionApplied(
            reply_id=reply_id("req-c", "consent"),
            request_id="req-c",
            customer_id="cust-1",
            service="consent",
            applied_at=NOW,
        )
    ]


async def test_after_a_correction_the_old_number_asks_nothing(world: World) -> None:
    await known_customer(world)
    await correct(world, contact_changed(world, "0551234567"))

    await deliver(world, webhook(world.secrets, whatsapp_body(text_message(PHONE, "my data"))))
    await deliver(
        world, webhook(world.secrets, whatsapp_body(text_message("966551234567", "بياناتي")))
    )

    (submitted,) = world.store.all_events("privacy_intake")
    assert submitted.customer_id == "cust-1"
    assert submitted.submitted_at == datetime.fromtimestamp(1750857384, UTC)


async def test_a_correction_that_keeps_the_phone_is_answered_all_the_same(world: World) -> None:
    await known_customer(world)
    entries = set(world.phones.entries)

    await correct(world, contact_changed(world, "+966563120415"))

    assert world.phones.entries == entries
    assert [type(r) for r in replies(world)] == [CorrectionApplied]


async def test_a_redelivered_correction_is_answered_once(world: World) -> None:
    await known_customer(world)
    changed = contact_changed(world, "0551234567")
    delivered = envelope(changed, producer="orders")

    await apply_correction(changed, delivered, world.deps)
    await apply_correction(changed, delivered, world.deps)

    assert len(replies(world)) == 1


async def test_a_contact_change_that_corrects_nothing_is_left_to_the_orders_path(
    world: World,
) -> None:
    await known_customer(world)
    entries = set(world.phones.entries)

    await correct(world, contact_changed(world, "0551234567", request_id=None))

    assert world.phones.entries == entries
    assert replies(world) == []


async def test_a_correction_whose_phone_no_longer_opens_leaves_no_entry_and_is_answered(
    world: World,
) -> None:
    await known_customer(world)
    changed = contact_changed(world, "0551234567")
    await world.secrets.shred("cust-1")

    await correct(world, changed)

    assert world.phones.entries == set()
    assert [type(r) for r in replies(world)] == [CorrectionApplied]


async def test_a_correction_to_something_that_is_not_a_phone_forgets_the_old_one(
    world: World,
) -> None:
    await known_customer(world)

    await correct(world, contact_changed(world, "not a number"))

    assert world.phones.entries == set()
    assert [type(r) for r in replies(world)] == [CorrectionApplied]
