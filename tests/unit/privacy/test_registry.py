"""The recipient registry (D1-D3): the packaged one loads; one that breaks a rule stops the
service at start with an error naming the file, the entry and the rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from allwan_contracts.disclosures import LegalBasis, RecipientRole
from allwan_privacy.adapters.registry import load_registry
from allwan_privacy.domain.recipients import RegistryInvalid
from allwan_privacy.entrypoints.app import create_app
from allwan_privacy.settings import SCHEDULE, PrivacySettings

SMTP = """
[[recipient]]
id = "smtp"
name = "The store's email provider"
role = "processor"
country = "SA"
receives = ["email", "name"]
why = "Delivers the store's emails (D3)."
legal_basis = "processor"
"""


def test_the_packaged_registry_names_salla_smtp_whatsapp_the_payment_provider_and_authorities() -> (
    None
):
    registry = load_registry(SCHEDULE / "recipients.toml")

    assert [recipient.id for recipient in registry.recipients] == [
        "salla",
        "smtp",
        "whatsapp",
        "payment",
        "authority",
    ]
    salla = registry.get("salla")
    assert salla is not None
    assert (salla.role, salla.legal_basis) == (RecipientRole.PLATFORM, LegalBasis.CONTRACT)
    assert registry.name_of("smtp") == "The store's email provider (SMTP)"
    assert registry.name_of("not-listed") == "not-listed"


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (SMTP + SMTP, "recipient 'smtp' is listed twice"),
        (
            SMTP.replace('legal_basis = "processor"', 'legal_basis = "law"'),
            "an authority, and only one, receives by law",
        ),
        (SMTP.replace('"SA"', '"Saudi"'), "recipient #1: country: String should match pattern"),
        (SMTP.replace('["email", "name"]', '["email", "dna"]'), "recipient #1: receives.1"),
        (SMTP.replace('["email", "name"]', "[]"), "recipient 'smtp' receives no category"),
        (SMTP.replace('["email", "name"]', '["email", "email"]'), "names a category twice"),
        (SMTP + 'colour = "blue"\n', "recipient #1: colour: Extra inputs are not permitted"),
        ("[sender]\nid = 1\n", "unknown tables ['sender']"),
        ("", "the registry lists no recipient"),
        ("[[recipient]\n", "not TOML"),
    ],
    ids=[
        "duplicate id",
        "law without authority",
        "bad country",
        "unknown category",
        "receives nothing",
        "a category twice",
        "unknown field",
        "unknown table",
        "empty",
        "not toml",
    ],
)
def test_a_registry_that_breaks_a_rule_is_refused_naming_file_and_rule(
    tmp_path: Path, text: str, complaint: str
) -> None:
    path = tmp_path / "recipients.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(RegistryInvalid) as refused:
        load_registry(path)

    assert str(path) in str(refused.value)
    assert complaint in str(refused.value)


def test_a_missing_registry_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RegistryInvalid, match="cannot be read"):
        load_registry(tmp_path / "absent.toml")


def test_the_service_does_not_start_on_a_registry_that_does_not_validate(tmp_path: Path) -> None:
    path = tmp_path / "recipients.toml"
    path.write_text(SMTP + SMTP, encoding="utf-8")

    with pytest.raises(RegistryInvalid, match="listed twice"):
        create_app(PrivacySettings(service_name="privacy-unit", recipients_file=path))


def test_the_registry_path_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLWAN_RECIPIENTS_FILE", str(tmp_path / "r.toml"))
    monkeypatch.setenv("ALLWAN_DISCLOSING_SERVICES", '["notifier"]')

    settings = PrivacySettings()

    assert settings.recipients_file == tmp_path / "r.toml"
    assert settings.disclosing_producers() == {"notifier", "privacy"}
    assert PrivacySettings(disclosing_services=["orders"]).records_of_processing_file == (
        SCHEDULE / "records_of_processing.json"
    )
