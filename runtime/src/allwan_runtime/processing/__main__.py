"""``python -m allwan_runtime.processing``: write the record of processing (``./dev records``).

Writes ``docs/records-of-processing.json``, ``docs/records-of-processing.md`` and the copy
the privacy service serves to staff (``allwan_privacy/schedule/records_of_processing.json``).
``--check`` writes nothing and exits 1 naming every stale or missing file (``./dev check``);
declarations that do not validate exit 2 with every problem.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from allwan_runtime.processing.declarations import DeclarationError, read_declarations
from allwan_runtime.processing.record import build_record, read_recipients, read_schedule
from allwan_runtime.processing.render import render_json, render_markdown

ROOT = Path(__file__).resolve().parents[4]
JSON_FILE = Path("docs/records-of-processing.json")
MARKDOWN_FILE = Path("docs/records-of-processing.md")
SERVED_FILE = Path("services/privacy/src/allwan_privacy/schedule/records_of_processing.json")


def expected_files() -> dict[Path, str]:
    """Each generated file, relative to the repository, and its content from the code now."""
    record = build_record(read_declarations(), read_recipients(), read_schedule())
    as_json = render_json(record)
    return {JSON_FILE: as_json, MARKDOWN_FILE: render_markdown(record), SERVED_FILE: as_json}


def stale_files(root: Path) -> list[Path]:
    """The generated files under ``root`` that are missing or differ from ``expected_files``."""
    return [
        path
        for path, content in expected_files().items()
        if not (root / path).is_file() or (root / path).read_text(encoding="utf-8") != content
    ]


def write_files(root: Path) -> None:
    for path, content in expected_files().items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(content, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m allwan_runtime.processing")
    parser.add_argument("--check", action="store_true", help="only report stale files; exit 1")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository's root")
    args = parser.parse_args(argv)
    try:
        if not args.check:
            write_files(args.root)
            return 0
        stale = stale_files(args.root)
    except DeclarationError as error:
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    for path in stale:
        print(f"stale: {path}", file=sys.stderr)
    if stale:
        print("run: ./dev records (uv run python -m allwan_runtime.processing)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
