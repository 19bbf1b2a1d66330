"""The record of processing: generated from the declarations, one activity per purpose,
every name it uses known, and its files current (CI fails when they are stale)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from allwan_contracts.accountability import RecordOfProcessing
from allwan_runtime.keystore import Purpose
from allwan_runtime.processing import (
    DeclarationError,
    build_record,
    parse_declaration,
    read_declarations,
    read_recipients,
    read_schedule,
    render_json,
    render_markdown,
    vocabulary,
)
from allwan_runtime.processing.__main__ import (
    JSON_FILE,
    MARKDOWN_FILE,
    SERVED_FILE,
    main,
    stale_files,
)

from tests.unit.processing.source_scan import REPOSITORY

RECIPIENTS, RULES = read_recipients(), read_schedule()


def current_record() -> RecordOfProcessing:
    return build_record(read_declarations(), RECIPIENTS, RULES)


def test_the_generated_record_files_are_current() -> None:
    stale = stale_files(REPOSITORY)
    assert not stale, f"stale {[str(p) for p in stale]}: run `./dev records`"


def test_check_names_each_stale_or_missing_file_and_the_command_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(tmp_path)]) == 0
    assert main(["--check", "--root", str(tmp_path)]) == 0
    (tmp_path / MARKDOWN_FILE).write_text("# old\n", encoding="utf-8")
    (tmp_path / SERVED_FILE).unlink()

    assert main(["--check", "--root", str(tmp_path)]) == 1

    report = capsys.readouterr().err
    assert f"stale: {MARKDOWN_FILE}" in report
    assert f"stale: {SERVED_FILE}" in report
    assert f"stale: {JSON_FILE}" not in report
    assert "./dev records" in report


def test_the_record_has_exactly_one_activity_per_purpose_in_its_order() -> None:
    assert [a.purpose for a in current_record().activities] == [p.value for p in Purpose]


def test_the_served_copy_is_the_record_as_the_privacy_api_shapes_it() -> None:
    served = (REPOSITORY / SERVED_FILE).read_text(encoding="utf-8")
    assert RecordOfProcessing.model_validate_json(served) == current_record()
    assert served == (REPOSITORY / JSON_FILE).read_text(encoding="utf-8")


def test_the_record_carries_the_registry_and_the_schedule_as_shipped() -> None:
    record = current_record()
    assert record.recipients == RECIPIENTS
    assert record.retention == RULES
    assert {"salla", "smtp", "whatsapp", "payment", "authority"} <= {r.id for r in RECIPIENTS}


def test_activities_merge_what_each_service_declares_for_the_purpose() -> None:
    activities = {activity.purpose: activity for activity in current_record().activities}
    orders = activities["order_processing"]
    assert orders.services == ["gateway", "orders", "web"]
    assert orders.recipients == ["payment", "salla"]
    assert orders.sources == ["customer", "salla"]  # the two services' exchange is not a source
    assert orders.legal_basis == "contract"
    assert activities["marketing"].legal_basis == "consent"
    assert activities["order_receipts"].recipients == ["smtp"]
    assert activities["order_receipts"].sources == ["service:orders"]


def test_the_json_is_sorted_indented_and_ends_with_a_newline() -> None:
    rendered = render_json(current_record())
    assert (
        rendered
        == json.dumps(json.loads(rendered), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )


def test_the_markdown_has_arabic_and_english_headings_and_a_table_per_purpose() -> None:
    markdown = render_markdown(current_record())
    assert markdown.startswith("# سجل أنشطة المعالجة — Record of processing activities\n")
    assert "## المستلمون — Recipients" in markdown
    assert "## جدول الاحتفاظ — Retention schedule" in markdown
    headings = [line for line in markdown.splitlines() if line.startswith("### ")]
    assert [heading.rsplit("(`", 1)[1] for heading in headings] == [f"{p.value}`)" for p in Purpose]
    assert markdown.count("| الأساس النظامي — Legal basis |") == len(Purpose)


# -- what the generator refuses ---------------------------------------------------------------


def activity(purpose: str, **changes: Any) -> dict[str, Any]:
    return {
        "purpose": purpose,
        "categories": ["name"],
        "sources": ["customer"],
        "recipients": ["smtp"],
        "retention": ["customer_contact"],
    } | changes


SMTP = {"module": "allwan_fake.adapters.smtp", "recipient": "smtp", "records": "DataDisclosed"}


def toml(activities: Sequence[dict[str, Any]], outbound: Sequence[dict[str, Any]] = ()) -> str:
    tables = [("activity", table) for table in activities] + [("outbound", t) for t in outbound]
    return "".join(
        f"[[{kind}]]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in table.items())
        for kind, table in tables
    )


def build(text: str) -> RecordOfProcessing:
    declaration = parse_declaration("fake", text, "allwan_fake/processing.toml")
    return build_record([declaration], RECIPIENTS, RULES)


EVERY_PURPOSE = [activity(p.value) for p in Purpose]


def test_a_declaration_of_every_purpose_builds_a_record() -> None:
    record = build(toml(EVERY_PURPOSE, [SMTP]))
    assert [(a.purpose, a.services) for a in record.activities] == [
        (p.value, ["fake"]) for p in Purpose
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            toml([*EVERY_PURPOSE, activity("telepathy")]),
            f"allwan_fake/processing.toml: [[activity]] #{len(EVERY_PURPOSE) + 1} (telepathy): "
            "unknown purpose",
        ),
        (
            toml([activity("support", categories=["shoe_size"]), *EVERY_PURPOSE[1:]]),
            "[[activity]] #1 (support): unknown category 'shoe_size'",
        ),
        (
            toml([activity("support", recipients=["tiktok"]), *EVERY_PURPOSE[1:]]),
            "[[activity]] #1 (support): unknown recipient 'tiktok'",
        ),
        (
            toml([activity("support", retention=["forever"]), *EVERY_PURPOSE[1:]]),
            "[[activity]] #1 (support): unknown retention rule 'forever'",
        ),
        (
            toml([activity("support", sources=["rumour"]), *EVERY_PURPOSE[1:]]),
            "[[activity]] #1 (support): unknown source 'rumour'",
        ),
        (
            toml([*EVERY_PURPOSE, activity("support")]),
            f"[[activity]] #{len(EVERY_PURPOSE) + 1} (support): the purpose is declared twice",
        ),
        (
            toml(EVERY_PURPOSE[:-1]),
            f"purpose {list(Purpose)[-1].value!r}: no service declares it",
        ),
        (
            toml([activity("order_processing", retention=[]), *EVERY_PURPOSE[1:]]),
            "purpose 'order_processing': no retention rule bounds its data",
        ),
        (
            toml([{**activity("support"), "categoris": ["name"]}]),
            "allwan_fake/processing.toml: [[activity]] #1 categoris: Extra inputs are not",
        ),
        (
            toml(EVERY_PURPOSE, [{**SMTP, "internal": "privacy"}]),
            "[[outbound]] #1: Value error, names exactly one of recipient",
        ),
        (
            toml(EVERY_PURPOSE, [{"module": "allwan_fake.adapters.smtp", "recipient": "smtp"}]),
            '[[outbound]] #1: Value error, a client to a recipient records = "DataDisclosed"',
        ),
        (
            toml(EVERY_PURPOSE, [{**SMTP, "recipient": "whatsapp"}]),
            "[[outbound]] #1 (allwan_fake.adapters.smtp): recipient 'whatsapp' is in no",
        ),
        (
            toml(EVERY_PURPOSE, [{**SMTP, "module": "allwan_orders.adapters.smtp"}]),
            "[[outbound]] #1 (allwan_orders.adapters.smtp): not a module of allwan_fake",
        ),
        (
            toml(EVERY_PURPOSE, [{"module": "allwan_fake.adapters.api", "internal": "billing"}]),
            "[[outbound]] #1 (allwan_fake.adapters.api): unknown service 'billing'",
        ),
        ("[[activity]\npurpose = 1\n", "allwan_fake/processing.toml: not TOML"),
    ],
    ids=[
        "unknown-purpose",
        "unknown-category",
        "unknown-recipient",
        "unknown-rule",
        "unknown-source",
        "purpose-twice",
        "purpose-undeclared",
        "purpose-unbounded",
        "unknown-key",
        "outbound-both-kinds",
        "outbound-without-record",
        "outbound-recipient-not-in-activities",
        "outbound-foreign-module",
        "outbound-unknown-service",
        "not-toml",
    ],
)
def test_a_bad_declaration_is_refused_naming_its_file_and_entry(text: str, problem: str) -> None:
    with pytest.raises(DeclarationError) as refused:
        build(text)
    assert any(problem in found for found in refused.value.problems), refused.value.problems


def test_a_purpose_without_titles_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(vocabulary.PURPOSES, Purpose.SUPPORT)
    with pytest.raises(DeclarationError, match="no titles for purpose 'support'"):
        current_record()


def test_a_recipient_given_twice_in_the_registry_is_refused() -> None:
    with pytest.raises(DeclarationError, match="recipient id 'smtp' is given twice"):
        build_record(
            read_declarations(), [*RECIPIENTS, *[r for r in RECIPIENTS if r.id == "smtp"]], RULES
        )
