"""The retention schedule: the shipped file validates, every kind of mistake in a file stops
the service with a message naming it, and ``allwan-privacy retention`` prints it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from allwan_contracts.accountability import RetentionRule
from allwan_privacy.adapters.schedule import load_schedule
from allwan_privacy.domain.retention import ScheduleError, parse_schedule
from allwan_privacy.entrypoints.cli import main
from allwan_privacy.settings import PrivacySettings

SHIPPED = PrivacySettings().retention_schedule


def shipped_rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = tomllib.loads(SHIPPED.read_text("utf-8"))["rule"]
    return rules


def toml(rules: list[dict[str, Any]]) -> str:
    """The rules as a TOML file (``json.dumps`` writes TOML-compatible strings and lists)."""
    lines = []
    for rule in rules:
        lines.append("[[rule]]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in rule.items()]
    return "\n".join(lines) + "\n"


def test_the_shipped_schedule_validates_with_one_erasure_rule_and_the_exports_days() -> None:
    schedule = load_schedule(SHIPPED, export_days=PrivacySettings().export_days)
    assert schedule.erasure.name == "customer_contact"
    assert schedule.erasure.action == "erase_customer"
    assert [rule.name for rule in schedule.rules] == [rule["name"] for rule in shipped_rules()]
    assert all(isinstance(rule, RetentionRule) for rule in schedule.rules)


def _rule(changed: str, **changes: Any) -> list[dict[str, Any]]:
    """The shipped rules with the rule named ``changed`` changed."""
    rules = shipped_rules()
    for rule in rules:
        if rule["name"] == changed:
            rule.update(changes)
    return rules


CONTACT = "customer_contact"
MISTAKES: dict[str, tuple[list[dict[str, Any]], str]] = {
    "a name twice": (
        [*shipped_rules(), shipped_rules()[1]],
        "rule 'marketing' appears twice",
    ),
    "two erasure rules": (
        _rule("marketing", action="erase_customer"),
        "exactly one rule must have action 'erase_customer', not 2",
    ),
    "no erasure rule": (
        _rule(CONTACT, action="destroy", notice_days=0),
        "exactly one rule must have action 'erase_customer', not 0",
    ),
    "an unknown action": (_rule(CONTACT, action="forget"), "rule 1: action: Input should be"),
    "an unknown category": (
        _rule(CONTACT, categories=["name", "shoe_size"]),
        "rule 1: categories.1",
    ),
    "no category": (_rule(CONTACT, categories=[]), "categories must name at least one"),
    "a category twice": (_rule(CONTACT, categories=["name", "name"]), "categories must not repeat"),
    "an unknown field": (_rule(CONTACT, colour="red"), "rule 1: colour: Extra inputs"),
    "a missing field": (
        [{k: v for k, v in rule.items() if k != "reason"} for rule in shipped_rules()],
        "rule 1: reason: Field required",
    ),
    "a blank reason": (_rule(CONTACT, reason="  "), "reason must not be empty"),
    "a negative period": (_rule(CONTACT, period_days=-1), "rule 1: period_days: Input should be"),
    "an endless period": (_rule(CONTACT, period_days=50_000), "period_days must be at most 36500"),
    "a notice longer than the period": (
        _rule(CONTACT, period_days=10, notice_days=20),
        "notice_days must not exceed period_days",
    ),
    "a notice nobody sends": (
        _rule("marketing", period_days=10, notice_days=5),
        "rule 'marketing': notice_days must be 0",
    ),
    "exports kept longer than the service keeps them": (
        _rule("privacy_exports", period_days=30),
        "rule 'privacy_exports': period_days must equal the service's export days",
    ),
    "no exports rule": (
        [rule for rule in shipped_rules() if rule["name"] != "privacy_exports"],
        "no rule 'privacy_exports'",
    ),
    "a bad rule name": (_rule(CONTACT, name="Customer Contact"), "rule 1: name: String should"),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_a_schedule_with_a_mistake_is_refused_with_the_mistake_named(mistake: str) -> None:
    rules, expected = MISTAKES[mistake]
    with pytest.raises(ScheduleError, match=r"^the file is invalid: ") as refused:
        parse_schedule(toml(rules), export_days=7, source="the file")
    assert expected in str(refused.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[rule]\n", "the file is not valid TOML"),
        ("", "no [[rule]] table"),
        ('rule = "x"\n', "no [[rule]] table"),
        ('owner = "me"\n' + toml(shipped_rules()), "unknown key 'owner'"),
        (toml(shipped_rules()).replace("730", "inf"), "period_days must be at most 36500"),
    ],
)
def test_a_file_that_is_not_a_schedule_is_refused(text: str, expected: str) -> None:
    with pytest.raises(ScheduleError, match="the file") as refused:
        parse_schedule(text, export_days=7, source="the file")
    assert expected in str(refused.value)


def test_every_problem_of_a_file_is_named_at_once() -> None:
    rules = _rule(CONTACT, categories=[], reason="")
    with pytest.raises(ScheduleError) as refused:
        parse_schedule(toml(rules), export_days=8, source="the file")
    message = str(refused.value)
    for expected in ("categories must name", "reason must not be empty", "export days"):
        assert expected in message


def test_a_schedule_that_cannot_be_read_is_refused_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(ScheduleError, match=r"missing\.toml cannot be read"):
        load_schedule(tmp_path / "missing.toml", export_days=7)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ScheduleError, match="is not UTF-8 text"):
        load_schedule(binary, export_days=7)


# -- the command --------------------------------------------------------------------------


def test_the_retention_command_prints_the_schedule_as_a_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["retention"]) == 0
    out = capsys.readouterr().out
    header, contact = out.splitlines()[:2]
    assert header.split() == ["RULE", "PERIOD", "NOTICE", "ACTION", "CATEGORIES"]
    assert contact.split()[:6] == ["customer_contact", "730", "d", "30", "d", "erase_customer"]
    assert "  reason:     Tax law requires" in out


def test_the_retention_command_prints_the_schedule_as_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["retention", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    rules = [RetentionRule.model_validate(rule) for rule in printed]
    expected = load_schedule(SHIPPED, export_days=PrivacySettings().export_days).rules
    assert tuple(rules) == expected


def test_a_bad_schedule_stops_the_command_with_exit_code_2_and_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "retention.toml"
    bad.write_text(toml(_rule("marketing", action="erase_customer")), encoding="utf-8")
    monkeypatch.setenv("ALLWAN_RETENTION_SCHEDULE", str(bad))
    assert main(["retention"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"allwan-privacy: retention schedule {bad} is invalid:" in captured.err
    assert "exactly one rule must have action 'erase_customer'" in captured.err


def test_json_is_an_option_of_the_retention_command_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["asyncapi", "--json"])
    assert refused.value.code == 2
    assert "unrecognized arguments: --json" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("variable", "expected"),
    [
        ("ALLWAN_RETENTION_SCHEDULE", "retention schedule"),
        ("ALLWAN_RECIPIENTS_FILE", "missing.toml"),
    ],
)
def test_the_service_does_not_start_on_a_configuration_file_it_cannot_use(
    variable: str,
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(variable, str(tmp_path / "missing.toml"))
    assert main(["asyncapi"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("allwan-privacy: ")
    assert expected in captured.err
