"""Access requests through the handlers: the saga's answers, the export assembled from every
part, sealed under the customer's key, and the customer of whom nothing is held."""

from __future__ import annotations

import json
from datetime import timedelta

from allwan_contracts.privacy import (
    PrivacyRequestKind,
)
from allwan_contracts.privacy_export import PrivacyExport
from allwan_privacy.domain.export import NOTHING_HELD
from allwan_privacy.domain.request import ExportStatus
from allwan_privacy.handlers.exporting import EXPORT_FIELD, download
from allwan_runtime.keystore import ERASED, InMemoryKeyStore, Purpose

from tests.unit.privacy.conftest import SERVICES, World
from tests.unit.privacy.fakes import CUSTOMER, WHEN, exported, submitted


async def started_access(world: World) -> str:
    asked = submitted()
    await world.send(asked)
    return asked.request_id


async def test_a_web_access_request_is_received_verified_and_started_in_one_append(
    world: World,
) -> None:
    request_id = await started_access(world)

    assert world.types(request_id) == [
        "PrivacyRequestReceived",
        "PrivacyRequestIdentityVerified",
        "PrivacyRequestStarted",
    ]
    assert world.store.appends == 1
    assert (await world.request(request_id)).receipt is not None


async def test_answers_from_the_three_services_complete_it_with_an_export_holding_every_part(
    world: World,
) -> None:
    request_id = await started_access(world)
    world.clock.advance(hours=1)

    for service in SERVICES:
        await world.answer(exported(world.secrets, request_id, service))

    assert world.types(request_id)[3:] == [
        "PrivacyRequestServiceAnswered",
        "PrivacyRequestServiceAnswered",
        "PrivacyRequestServiceAnswered",
        "PrivacyRequestCompleted",
    ]
    completed = world.events(request_id)[-1]
    assert completed.at == world.clock.now
    assert completed.export_expires_at == world.clock.now + timedelta(days=7)
    found = await download(request_id, CUSTOMER, "json", world.deps)
    assert found.status is ExportStatus.READY
    assert found.body is not None
    export = PrivacyExport.model_validate_json(found.body)
    assert export.personal_data_held
    assert export.contact is not None
    assert export.contact.email == "sara@example.com"
    assert [order.order_id for order in export.orders] == ["ord-1"]
    assert [consent.purpose for consent in export.consents] == ["marketing"]
    assert [p.purpose for p in export.cookie_preferences] == ["analytics_cookies"]
    assert [email.kind for email in export.emails] == ["receipt"]
    [entry] = export.privacy_requests
    assert (entry.request_id, entry.kind) == (request_id, "access")
    assert export.disclosures == []
    assert world.parts.parts == {}, "the sealed parts go once the export holds them"


async def test_the_export_is_sealed_at_rest_under_the_customers_key(world: World) -> None:
    request_id = await started_access(world)
    for service in SERVICES:
        await world.answer(exported(world.secrets, request_id, service))

    kept = world.exports.exports[request_id]
    assert kept.json.plain is None
    assert kept.html.plain is None
    assert {piece.kid for piece in (*kept.json.sealed, *kept.html.sealed)} == {CUSTOMER}
    text = await world.secrets.open(
        kept.json.sealed[0], field=EXPORT_FIELD, purpose=Purpose.DATA_ACCESS
    )
    assert text.startswith("{")
    await world.secrets.shred(CUSTOMER)
    gone = await download(request_id, CUSTOMER, "json", world.deps)
    assert gone.status is ExportStatus.GONE


async def test_the_readable_copy_is_bilingual_html(world: World) -> None:
    request_id = await started_access(world)
    for service in SERVICES:
        await world.answer(exported(world.secrets, request_id, service))

    page = await download(request_id, CUSTOMER, "html", world.deps)

    assert page.body is not None
    assert '<section lang="ar" dir="rtl">' in page.body
    assert '<section lang="en" dir="ltr">' in page.body
    assert "sara@example.com" in page.body
    assert "سارة &lt;b&gt;" in page.body, "values are escaped"


async def test_a_redelivered_answer_changes_nothing(world: World) -> None:
    request_id = await started_access(world)
    answer = exported(world.secrets, request_id, "orders")
    await world.answer(answer)
    events, parts = world.types(request_id), dict(world.parts.parts)

    await world.answer(answer)
    await world.answer(exported(world.secrets, request_id, "orders"))  # the same, sent again

    assert world.types(request_id) == events
    assert world.parts.parts == parts


async def test_answers_after_completion_are_not_kept(world: World) -> None:
    request_id = await started_access(world)
    for service in SERVICES:
        await world.answer(exported(world.secrets, request_id, service))
    events = world.types(request_id)

    await world.answer(exported(world.secrets, request_id, "orders"))

    assert world.types(request_id) == events
    assert world.parts.parts == {}


async def test_an_answer_for_another_service_or_from_the_gateway_is_refused(world: World) -> None:
    request_id = await started_access(world)
    answer = exported(world.secrets, request_id, "consent")

    await world.send(answer, producer="orders")  # orders speaking for consent
    await world.send(answer, producer="gateway")  # not a holding service at all

    assert world.types(request_id)[-1] == "PrivacyRequestStarted"
    assert world.parts.parts == {}


async def test_an_answer_naming_another_customer_is_refused(world: World) -> None:
    request_id = await started_access(world)

    await world.answer(exported(world.secrets, request_id, "orders", customer_id="cust-2"))

    assert world.types(request_id)[-1] == "PrivacyRequestStarted"


async def test_an_erased_customer_gets_at_once_an_export_saying_nothing_is_held(
    world: World,
) -> None:
    world.secrets.seal_now(CUSTOMER, "email", "sara@example.com")
    await world.secrets.shred(CUSTOMER)

    request_id = await started_access(world)

    assert world.types(request_id)[-1] == "PrivacyRequestCompleted"
    found = await download(request_id, CUSTOMER, "json", world.deps)
    assert found.body is not None
    export = json.loads(found.body)
    PrivacyExport.model_validate(export)
    assert export["personal_data_held"] is False
    assert export["statement"] == NOTHING_HELD
    assert export["contact"] is None
    assert export["orders"] == []
    page = await download(request_id, CUSTOMER, "html", world.deps)
    assert page.body is not None
    assert "لا نحتفظ بأي بيانات شخصية عنك." in page.body


async def test_a_customer_erased_while_the_parts_arrive_gets_the_nothing_held_export(
    world: World,
) -> None:
    request_id = await started_access(world)
    await world.answer(exported(world.secrets, request_id, "orders"))

    await world.secrets.shred(CUSTOMER)
    await world.answer(exported(world.secrets, request_id, "consent", nothing_held=True))

    assert world.types(request_id)[-1] == "PrivacyRequestCompleted"
    export = world.exports.exports[request_id]
    assert export.json.plain is not None
    assert json.loads(export.json.plain)["personal_data_held"] is False
    assert ERASED not in export.json.plain


async def test_services_that_hold_nothing_give_the_nothing_held_export(world: World) -> None:
    request_id = await started_access(world)

    for service in SERVICES:
        await world.answer(exported(world.secrets, request_id, service, nothing_held=True))

    export = world.exports.exports[request_id]
    assert export.json.plain is not None
    assert json.loads(export.json.plain)["personal_data_held"] is False


async def test_a_part_that_does_not_open_leaves_the_request_in_progress(world: World) -> None:
    request_id = await started_access(world)
    # Sealed under a key generation this store no longer has (retired by a correction, say);
    # the customer is not erased.
    other_keys = InMemoryKeyStore()

    for service in SERVICES:
        await world.answer(exported(other_keys, request_id, service))

    assert world.types(request_id)[-1] == "PrivacyRequestServiceAnswered"
    assert request_id not in world.exports.exports


async def test_a_part_that_fails_its_integrity_check_leaves_the_request_in_progress(
    world: World,
) -> None:
    request_id = await started_access(world)
    world.secrets.seal_now(CUSTOMER, "email", "sara@example.com")  # the customer has a key
    forged = InMemoryKeyStore()  # another key under the same key id

    await world.answer(exported(world.secrets, request_id, "orders"))
    await world.answer(exported(world.secrets, request_id, "consent"))
    await world.answer(exported(forged, request_id, "notifier"))

    assert world.types(request_id)[-1] == "PrivacyRequestServiceAnswered"
    assert request_id not in world.exports.exports


async def test_the_export_lists_the_customers_other_requests(world: World) -> None:
    earlier = submitted(PrivacyRequestKind.ERASURE, identity_check=None, at=WHEN)
    await world.send(earlier)
    request_id = await started_access(world)

    for service in SERVICES:
        await world.answer(exported(world.secrets, request_id, service))

    found = await download(request_id, CUSTOMER, "json", world.deps)
    assert found.body is not None
    listed = {entry["request_id"]: entry for entry in json.loads(found.body)["privacy_requests"]}
    assert set(listed) == {earlier.request_id, request_id}
    assert listed[earlier.request_id]["state"] == "received"
