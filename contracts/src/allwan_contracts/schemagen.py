"""JSON Schema files of the contracts, for services and tools outside Python.

``python -m allwan_contracts.schemagen`` writes ``contracts/schemas/``: one
``<event_type>.v<version>.json`` per event at its latest version, ``envelope.json``, and
``PrivacyExport.json`` (the copy of their data a customer downloads).
``--check`` writes nothing and exits 1 if the files there are stale, missing or extra.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from allwan_contracts.base import Event
from allwan_contracts.envelope import Envelope
from allwan_contracts.privacy_export import EXPORT_FORMAT, PrivacyExport
from allwan_contracts.registry import REGISTRY

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
_DIALECT = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True)
class SchemaDrift:
    stale: tuple[str, ...]
    missing: tuple[str, ...]
    extra: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.stale or self.missing or self.extra)


def _render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _event_schema(event: type[Event]) -> dict[str, Any]:
    schema = event.model_json_schema()
    schema["$schema"] = _DIALECT
    schema["$id"] = f"{event.event_type}.v{event.schema_version}.json"
    schema["x-allwan"] = {
        "event_type": event.event_type,
        "schema_version": event.schema_version,
        "aggregate_type": event.aggregate_type,
        "aggregate_id_field": event.aggregate_id_field,
        "topic": event.topic,
    }
    return schema


def expected_schemas() -> dict[str, str]:
    """File name → content of every schema file, as this code defines them."""
    files = {"envelope.json": _render(Envelope.model_json_schema() | {"$schema": _DIALECT})}
    export = PrivacyExport.model_json_schema() | {"$schema": _DIALECT, "$id": EXPORT_FORMAT}
    files["PrivacyExport.json"] = _render(export)
    for event in REGISTRY.event_classes:
        files[f"{event.event_type}.v{event.schema_version}.json"] = _render(_event_schema(event))
    return files


def find_drift(directory: Path) -> SchemaDrift:
    """How the JSON files in ``directory`` differ from ``expected_schemas()``."""
    expected = expected_schemas()
    present = {path.name for path in directory.glob("*.json")}
    return SchemaDrift(
        stale=tuple(
            sorted(
                name
                for name in present & expected.keys()
                if (directory / name).read_text(encoding="utf-8") != expected[name]
            )
        ),
        missing=tuple(sorted(expected.keys() - present)),
        extra=tuple(sorted(present - expected.keys())),
    )


def write_schemas(directory: Path) -> None:
    """Write every schema file and delete JSON files that no longer match an event."""
    directory.mkdir(parents=True, exist_ok=True)
    expected = expected_schemas()
    for name in find_drift(directory).extra:
        (directory / name).unlink()
    for name, content in expected.items():
        (directory / name).write_text(content, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m allwan_contracts.schemagen")
    parser.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR, help="schema directory")
    args = parser.parse_args(argv)
    if not args.check:
        write_schemas(args.dir)
        return 0
    drift = find_drift(args.dir)
    for label, names in (
        ("stale", drift.stale),
        ("missing", drift.missing),
        ("extra", drift.extra),
    ):
        for name in names:
            print(f"{label}: {name}", file=sys.stderr)
    if drift:
        print("run: python -m allwan_contracts.schemagen", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
