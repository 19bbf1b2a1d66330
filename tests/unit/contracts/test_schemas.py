from __future__ import annotations

import json
from pathlib import Path

import pytest
from allwan_contracts import REGISTRY
from allwan_contracts.schemagen import SCHEMA_DIR, expected_schemas, find_drift, main, write_schemas


def test_checked_in_schemas_are_current() -> None:
    drift = find_drift(SCHEMA_DIR)
    assert not drift, f"{drift}: run `uv run python -m allwan_contracts.schemagen`"


def test_there_is_one_schema_per_event_at_its_latest_version_plus_envelope_and_export() -> None:
    names = set(expected_schemas())
    expected = {
        "envelope.json",
        "PrivacyExport.json",
        "OrderPlaced.v2.json",
        "CustomerErased.v1.json",
    }
    assert expected <= names
    assert "OrderPlaced.v1.json" not in names
    assert len(names) == len(REGISTRY.event_classes) + 2


def test_schema_files_are_sorted_json_with_a_trailing_newline() -> None:
    for content in expected_schemas().values():
        assert content.endswith("}\n")
        assert (
            content
            == json.dumps(json.loads(content), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        )


def test_check_lists_stale_missing_and_extra_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--dir", str(tmp_path)]) == 0
    assert main(["--check", "--dir", str(tmp_path)]) == 0
    (tmp_path / "OrderPaid.v1.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "envelope.json").unlink()
    (tmp_path / "OrderPlaced.v1.json").write_text("{}\n", encoding="utf-8")

    assert main(["--check", "--dir", str(tmp_path)]) == 1

    report = capsys.readouterr().err
    assert "stale: OrderPaid.v1.json" in report
    assert "missing: envelope.json" in report
    assert "extra: OrderPlaced.v1.json" in report


def test_writing_repairs_every_kind_of_drift(tmp_path: Path) -> None:
    write_schemas(tmp_path)
    (tmp_path / "OrderPaid.v1.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "OrderPlaced.v1.json").write_text("{}\n", encoding="utf-8")
    write_schemas(tmp_path)
    assert not find_drift(tmp_path)
