"""Versioned privacy policies (PC1, CT1) and the shipped version 1."""

from __future__ import annotations

import re
from pathlib import Path

from allwan_consent.domain.policy import PolicyDraft, PrivacyPolicy
from allwan_consent.policies import first_version, shipped_text
from allwan_contracts import PolicyChanged, PolicyDocumentPublished

from tests.unit.consent.fakes import CONTACT, WHEN, publish_request

STORE_TEXT = Path(__file__).resolve().parents[4] / "shared" / "policy" / "privacy-policy.ar.txt"
SECTION = re.compile("[1-9]\ufe0f\u20e3")  # the keycap digits that number the sections


def url_for(version: int) -> str:
    return f"https://allwanstores.com/privacy/v{version}"


def draft(material: bool) -> PolicyDraft:
    return PolicyDraft.from_request(publish_request(material))


def test_pc1_versions_are_numbered_in_publishing_order_texts_before_the_notice() -> None:
    policy = PrivacyPolicy()

    assert policy.publish(draft(False), contact=CONTACT, url_for=url_for) == 1
    assert policy.publish(draft(True), contact=CONTACT, url_for=url_for) == 2

    events = policy.pending
    assert [type(e) for e in events] == [
        PolicyDocumentPublished,
        PolicyChanged,
        PolicyDocumentPublished,
        PolicyChanged,
    ]
    assert [e.version for e in events] == [1, 1, 2, 2]
    assert str(events[3].url) == "https://allwanstores.com/privacy/v2"


def test_pc1_the_latest_material_version_is_remembered() -> None:
    policy = PrivacyPolicy()
    policy.publish(draft(False), contact=CONTACT, url_for=url_for)
    assert policy.latest_material_version is None
    policy.publish(draft(True), contact=CONTACT, url_for=url_for)
    policy.publish(draft(False), contact=CONTACT, url_for=url_for)

    loaded = PrivacyPolicy.rehydrate("privacy", policy.pending)

    assert (loaded.current_version, loaded.latest_material_version) == (3, 2)


def test_ct1_every_version_carries_the_contact_details() -> None:
    policy = PrivacyPolicy()
    policy.publish(draft(False), contact=CONTACT, url_for=url_for)

    document = policy.pending[0]

    assert isinstance(document, PolicyDocumentPublished)
    assert document.contact.phone == document.contact.whatsapp == "0563120415"


def test_pc1_version_1_ships_the_stores_arabic_text_verbatim() -> None:
    text = shipped_text("v1.ar.txt")

    assert "0563120415" in text
    assert text.startswith("سياسة الاستخدام والخصوصية")
    if STORE_TEXT.is_file():  # shared/ sits beside the repository in CI and development
        assert text == STORE_TEXT.read_text(encoding="utf-8")


def test_pc1_english_version_1_translates_every_numbered_section() -> None:
    arabic, english = shipped_text("v1.ar.txt"), shipped_text("v1.en.txt")

    assert SECTION.findall(english) == SECTION.findall(arabic)
    assert len(SECTION.findall(english)) == 9
    assert english.count("•") == arabic.count("•")
    assert "0563120415" in english


def test_version_1_is_not_material_there_is_nothing_to_reconfirm() -> None:
    first = first_version(WHEN)

    assert first.material is False
    assert first.effective_at == WHEN
