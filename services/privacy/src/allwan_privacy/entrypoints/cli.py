"""``allwan-privacy serve | rebuild | asyncapi | retention [--json]``."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from allwan_runtime.cli import run
from allwan_runtime.projection import rebuild

from allwan_privacy.adapters.schedule import load_schedule
from allwan_privacy.domain.recipients import RegistryInvalid
from allwan_privacy.domain.retention import Schedule, ScheduleError
from allwan_privacy.entrypoints.app import build, create_app
from allwan_privacy.settings import PrivacySettings

PROG = "allwan-privacy"
_COLUMNS = ("RULE", "PERIOD", "NOTICE", "ACTION", "CATEGORIES")


async def rebuild_read_models(settings: PrivacySettings) -> dict[str, int]:
    """Replay the event store into a fresh read model of requests; events replayed."""
    runtime, service = build(settings)
    try:
        projection = service.projection
        return {projection.name: await rebuild(runtime.store, runtime.db, projection)}
    finally:
        await runtime.mongo.close()


def _days(days: float) -> str:
    return f"{days:g} d"


def schedule_table(schedule: Schedule) -> str:
    """The schedule for a reader: one line per rule, then what ends each purpose and why."""
    rows = [_COLUMNS] + [
        (
            rule.name,
            _days(rule.period_days),
            _days(rule.notice_days),
            rule.action,
            ", ".join(rule.categories),
        )
        for rule in schedule.rules
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_COLUMNS) - 1)]
    lines = [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]
    for rule in schedule.rules:
        lines += [
            "",
            rule.name,
            f"  ends with:  {rule.ends_with}",
            f"  applied by: {rule.applied_by}",
            f"  reason:     {rule.reason}",
        ]
    return "\n".join(lines)


def print_schedule(settings: PrivacySettings, *, as_json: bool) -> int:
    """The ``retention`` command: the schedule in force, validated, as a table or as JSON."""
    schedule = load_schedule(settings.retention_schedule, export_days=settings.export_days)
    if as_json:
        rules = [rule.model_dump(mode="json") for rule in schedule.rules]
        print(json.dumps(rules, indent=2, ensure_ascii=False))
    else:
        print(schedule_table(schedule))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a retention schedule or a recipient registry that cannot be used
    stops any of them (exit 2), naming the file and every problem."""
    args = list(sys.argv[1:] if argv is None else argv)
    # The runtime's parser reads one command word: ``retention``'s ``--json`` is taken off
    # first, and anything else is left for it to refuse.
    as_json = args[:1] == ["retention"] and "--json" in args[1:]
    if as_json:
        args.remove("--json")
    try:
        return run(
            PROG,
            args,
            settings=PrivacySettings,
            create_app=create_app,
            rebuild=rebuild_read_models,
            extra={"retention": lambda settings: print_schedule(settings, as_json=as_json)},
            description=__doc__,
        )
    except (ScheduleError, RegistryInvalid) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
