"""Reading the retention schedule the store edits (``ALLWAN_RETENTION_SCHEDULE``; by default
the one shipped with the service, ``schedule/retention.toml``)."""

from __future__ import annotations

from pathlib import Path

from allwan_privacy.domain.retention import Schedule, ScheduleError, parse_schedule


def load_schedule(path: Path, *, export_days: int) -> Schedule:
    """The schedule at ``path``; ``ScheduleError`` (every problem listed) if it cannot be read
    or does not validate."""
    source = f"retention schedule {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScheduleError(f"{source} cannot be read: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ScheduleError(f"{source} is not UTF-8 text") from None
    return parse_schedule(text, export_days=export_days, source=source)
