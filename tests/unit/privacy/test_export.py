"""The export document and its readable copy, and long texts sealed in pieces."""

from __future__ import annotations

import re

import pytest
from allwan_contracts import Channel
from allwan_contracts.privacy import (
    IdentityCheck,
    PrivacyRequestKind,
)
from allwan_contracts.privacy_export import ConsentsPart, PrivacyExport
from allwan_privacy.adapters.export_html import ExportPage
from allwan_privacy.domain.export import (
    NOTHING_HELD,
    ExportParts,
    assemble,
    nothing_held,
    parts_of,
    read_part,
)
from allwan_privacy.domain.request import PrivacyRequest
from allwan_privacy.handlers.documents import open_text, pieces, seal_text
from allwan_runtime.keystore import InMemoryKeyStore
from pydantic import ValidationError

from tests.unit.privacy.fakes import WHEN, consents_part, emails_part, orders_part


def request(request_id: str = "req-1", customer_id: str = "cust-1") -> PrivacyRequest:
    found = PrivacyRequest(request_id)
    found.receive(
        customer_id=customer_id,
        kind=PrivacyRequestKind.ACCESS,
        channel=Channel.WEB,
        by="customer",
        at=WHEN,
        identity_check=IdentityCheck.CUSTOMER_TOKEN,
    )
    return found


def full_export() -> PrivacyExport:
    return assemble(
        customer_id="cust-1",
        request_id="req-1",
        generated_at=WHEN,
        parts=ExportParts(orders_part(), consents_part(), emails_part()),
        requests=[request()],
    )


def test_the_export_holds_every_section_of_every_part() -> None:
    export = full_export()

    assert export.personal_data_held
    assert export.statement is None
    assert export.contact == orders_part().contact
    assert export.orders == orders_part().orders
    assert export.consents == consents_part().consents
    assert export.cookie_preferences == consents_part().cookie_preferences
    assert export.emails == emails_part().emails
    [entry] = export.privacy_requests
    assert [step.state for step in entry.history] == [
        "received",
        "identity_verified",
        "in_progress",
    ]
    assert export.disclosures == []
    assert PrivacyExport.model_validate_json(export.model_dump_json()) == export


def test_an_export_with_no_part_says_that_nothing_is_held() -> None:
    export = assemble(
        customer_id="cust-1",
        request_id="req-1",
        generated_at=WHEN,
        parts=ExportParts(),
        requests=[request()],
    )

    assert export == nothing_held(customer_id="cust-1", request_id="req-1", at=WHEN)
    assert not export.personal_data_held
    assert export.statement == NOTHING_HELD
    assert "no personal data" in NOTHING_HELD
    assert "لا نحتفظ" in NOTHING_HELD
    assert export.privacy_requests == []
    assert export.contact is None


def test_a_part_is_read_as_its_own_model_only() -> None:
    text = consents_part().model_dump_json()

    assert read_part("consents", text) == consents_part()
    with pytest.raises(ValidationError):
        read_part("orders", text)
    with pytest.raises(TypeError):
        parts_of({"orders": ConsentsPart()})


def test_the_readable_copy_has_an_arabic_rtl_section_then_an_english_one() -> None:
    page = ExportPage().render(full_export())

    arabic = page.index('<section lang="ar" dir="rtl">')
    english = page.index('<section lang="en" dir="ltr">')
    assert 0 < arabic < english
    assert "نسخة من بياناتك" in page
    assert "A copy of your data" in page
    assert "228.85 SAR" in page
    assert "sara@example.com" in page
    assert "req-1" in page


def test_the_readable_copy_escapes_every_value_and_loads_nothing_from_elsewhere() -> None:
    page = ExportPage().render(full_export())

    assert "سارة <b>" not in page
    assert "سارة &lt;b&gt;" in page
    assert not re.search(r"""(src|href)\s*=|@import|url\(""", page)


def test_the_readable_copy_of_nothing_held_states_it_in_both_languages() -> None:
    page = ExportPage().render(nothing_held(customer_id="cust-1", request_id="r", at=WHEN))

    assert "We hold no personal data about you." in page
    assert "لا نحتفظ بأي بيانات شخصية عنك." in page


@pytest.mark.parametrize("text", ["", "a" * 12_000, "a" * 12_001, "ب" * 20_000, "x" + "€" * 9000])
def test_texts_are_cut_into_pieces_that_fit_one_sealed_value_never_inside_a_character(
    text: str,
) -> None:
    cut = pieces(text)

    assert "".join(cut) == text
    assert all(len(piece.encode()) <= 12_000 for piece in cut)


async def test_a_long_text_is_sealed_in_pieces_and_opens_whole_until_the_key_is_shredded() -> None:
    keys = InMemoryKeyStore()
    text = ExportPage().render(full_export()) * 20

    stored = await seal_text(keys, "cust-1", "export_html", text)

    assert len(stored.sealed) > 1
    assert stored.plain is None
    assert await open_text(keys, stored, "export_html") == text
    await keys.shred("cust-1")
    assert await open_text(keys, stored, "export_html") is None
