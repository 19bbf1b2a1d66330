"""The disclosure ledger (D1-D3, P2): every disclosure kept once, from the disclosing services
only; one to a recipient the registry does not know kept and flagged; pages newest first;
legal disclosures recorded by staff (D2); the ledger in the access export (JSON and HTML)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from allwan_contracts.accountability import LegalDisclosureRequest
from allwan_contracts.disclosures import (
    DataCategory,
    DataDisclosed,
    LegalBasis,
    RecipientRole,
    disclosure_id,
)
from allwan_contracts.privacy import PrivacyRequestKind
from allwan_contracts.privacy_export import PrivacyExport
from allwan_privacy.domain.disclosures import (
    DisclosedInFuture,
    InvalidCursor,
    KeyReused,
    UnknownRecipient,
    legal_disclosure_id,
    page,
    position,
)
from allwan_privacy.handlers.disclosures import disclosure_page, record_legal_disclosure
from allwan_privacy.handlers.documents import open_text
from allwan_privacy.handlers.ports import StoredText
from structlog.testing import capture_logs

from tests.unit.privacy.conftest import SERVICES, World
from tests.unit.privacy.fakes import CUSTOMER, WHEN, exported, submitted

STAFF = "staff:7"


def disclosed(
    source: str,
    *,
    at: datetime = WHEN,
    recipient: str = "smtp",
    customer_id: str = CUSTOMER,
    **overrides: Any,
) -> DataDisclosed:
    fields: dict[str, Any] = {
        "disclosure_id": disclosure_id(recipient, source),
        "customer_id": customer_id,
        "recipient": recipient,
        "role": RecipientRole.PROCESSOR,
        "categories": [DataCategory.EMAIL, DataCategory.MESSAGE_CONTENT],
        "purpose": "order_receipts",
        "legal_basis": LegalBasis.PROCESSOR,
        "source": source,
        "recorded_by": "service:notifier",
        "at": at,
    }
    return DataDisclosed(**(fields | overrides))


def court_order(**overrides: Any) -> LegalDisclosureRequest:
    fields: dict[str, Any] = {
        "customer_id": CUSTOMER,
        "recipient": "authority",
        "categories": [DataCategory.NAME, DataCategory.PHONE],
        "reference": "Riyadh court order 4471/1447",
        "disclosed_at": WHEN - timedelta(hours=3),
    }
    return LegalDisclosureRequest(**(fields | overrides))


async def test_a_disclosure_delivered_twice_is_kept_once(world: World) -> None:
    receipt = disclosed("email:receipt:ord-1")

    await world.disclose(receipt)
    await world.disclose(receipt)

    shown = await disclosure_page(CUSTOMER, 20, None, world.ledger_deps)
    assert [entry.disclosure_id for entry in shown.disclosures] == [receipt.disclosure_id]
    [entry] = shown.disclosures
    assert entry.recipient_name == "The store's email provider (SMTP)"
    assert (entry.legal_basis, entry.role, entry.purpose) == (
        LegalBasis.PROCESSOR,
        RecipientRole.PROCESSOR,
        "order_receipts",
    )


async def test_disclosures_are_taken_only_from_the_disclosing_services(world: World) -> None:
    await world.disclose(disclosed("email:receipt:ord-1"), producer="gateway")
    await world.disclose(disclosed("payment:ord-1", recipient="payment"), producer="orders")

    assert [kept.recipient for kept in world.ledger.kept.values()] == ["payment"]


async def test_a_disclosure_to_a_recipient_missing_from_the_registry_is_kept_and_flagged(
    world: World,
) -> None:
    stray = disclosed("sms:ord-1", recipient="sms.unlisted")

    with capture_logs() as logs:
        await world.disclose(stray)
        await world.disclose(stray)

    [entry] = (await disclosure_page(CUSTOMER, 20, None, world.ledger_deps)).disclosures
    assert (entry.recipient, entry.recipient_name) == ("sms.unlisted", "sms.unlisted")
    assert world.flagged == ["sms.unlisted"]
    [warning] = [e for e in logs if e["event"] == "privacy.disclosure_to_unknown_recipient"]
    assert warning["recipient"] == "sms.unlisted"
    assert CUSTOMER not in str(logs)


async def test_the_ledger_pages_newest_first_and_each_cursor_goes_on_from_its_page(
    world: World,
) -> None:
    sent = [disclosed(f"email:receipt:ord-{n}", at=WHEN + timedelta(minutes=n)) for n in range(5)]
    twin = disclosed("email:activation:ord-4", at=sent[4].at)  # the same instant as the newest
    for event in [*sent, twin, disclosed("email:x", customer_id="someone-else")]:
        await world.disclose(event)

    first = await disclosure_page(CUSTOMER, 2, None, world.ledger_deps)
    assert first.next_cursor is not None
    second = await disclosure_page(CUSTOMER, 2, first.next_cursor, world.ledger_deps)
    assert second.next_cursor is not None
    last = await disclosure_page(CUSTOMER, 2, second.next_cursor, world.ledger_deps)

    newest_two = sorted([sent[4], twin], key=lambda e: e.disclosure_id, reverse=True)
    shown = [e.disclosure_id for p in (first, second, last) for e in p.disclosures]
    assert shown == [e.disclosure_id for e in [*newest_two, sent[3], sent[2], sent[1], sent[0]]]
    assert last.next_cursor is None


@pytest.mark.parametrize("cursor", ["not-a-cursor", "", "aGVsbG8", "MjAyNi0wMy0wMXw"])
def test_a_cursor_the_ledger_did_not_give_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        page([position(WHEN, "a")], 10, cursor)


@pytest.mark.parametrize("limit", [0, 101])
def test_a_page_holds_one_to_a_hundred_entries(limit: int) -> None:
    with pytest.raises(ValueError, match="1 to 100"):
        page([], limit)


async def test_staff_record_a_legal_disclosure_with_its_reference_and_who_recorded_it(
    world: World,
) -> None:
    shown = await record_legal_disclosure(
        court_order(), key="court-key-0001", by=STAFF, deps=world.ledger_deps
    )

    [event] = world.store.all_events("disclosure")
    assert isinstance(event, DataDisclosed)
    assert event.disclosure_id == legal_disclosure_id("court-key-0001") == shown.disclosure_id
    assert (event.legal_basis, event.purpose, event.role) == (
        LegalBasis.LAW,
        "legal_obligation",
        RecipientRole.AUTHORITY,
    )
    assert (event.reference, event.recorded_by) == ("Riyadh court order 4471/1447", STAFF)
    assert event.source == f"legal:{event.disclosure_id}"
    assert shown.at == WHEN - timedelta(hours=3)
    assert shown.recipient_name.startswith("A public authority")


async def test_a_retried_legal_disclosure_is_recorded_once_and_its_key_reused_is_refused(
    world: World,
) -> None:
    first = await record_legal_disclosure(
        court_order(), key="court-key-0001", by=STAFF, deps=world.ledger_deps
    )
    again = await record_legal_disclosure(
        court_order(), key="court-key-0001", by="staff:8", deps=world.ledger_deps
    )
    with pytest.raises(KeyReused):
        await record_legal_disclosure(
            court_order(reference="Another order 1/1447"),
            key="court-key-0001",
            by=STAFF,
            deps=world.ledger_deps,
        )

    assert again == first
    assert len(world.store.all_events("disclosure")) == 1


@pytest.mark.parametrize(
    ("overrides", "refusal"),
    [
        ({"recipient": "nobody"}, UnknownRecipient),
        ({"disclosed_at": WHEN + timedelta(seconds=1)}, DisclosedInFuture),
    ],
    ids=["unknown recipient", "in the future"],
)
async def test_a_legal_disclosure_the_rules_refuse_records_nothing(
    world: World, overrides: dict[str, Any], refusal: type[Exception]
) -> None:
    with pytest.raises(refusal):
        await record_legal_disclosure(
            court_order(**overrides), key="court-key-0002", by=STAFF, deps=world.ledger_deps
        )

    assert world.store.all_events("disclosure") == []


async def test_the_access_export_lists_the_ledger_newest_first_in_json_and_html(
    world: World,
) -> None:
    await world.disclose(disclosed("email:receipt:ord-1", at=WHEN - timedelta(days=2)))
    legal = await record_legal_disclosure(
        court_order(), key="court-key-0001", by=STAFF, deps=world.ledger_deps
    )
    [recorded] = world.store.all_events("disclosure")
    await world.disclose(recorded, producer="privacy")
    asked = submitted(PrivacyRequestKind.ACCESS)
    await world.send(asked)
    for service in SERVICES:
        await world.answer(exported(world.secrets, asked.request_id, service))

    kept = world.exports.exports[asked.request_id]
    document = PrivacyExport.model_validate_json(await _opened(world, kept.json.sealed, "export"))
    html = await _opened(world, kept.html.sealed, "export_html")

    assert [(d.recipient, d.legal_basis, d.reference) for d in document.disclosures] == [
        ("authority", "law", legal.reference),
        ("smtp", "processor", None),
    ]
    assert document.disclosures[1].categories == ["email", "message_content"]
    assert document.disclosures[1].recipient_name == "The store's email provider (SMTP)"
    assert "Riyadh court order 4471/1447" in html
    assert "بموجب النظام (D2)" in html
    assert "Required by law (D2)" in html
    assert "مزوّد موثوق يعمل لحسابنا (D3)" in html


async def _opened(world: World, sealed: Any, field: str) -> str:
    text = await open_text(world.secrets, StoredText(sealed=tuple(sealed)), field)
    assert text is not None
    return text
