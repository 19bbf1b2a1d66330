"""Subscription periods: a plan of n months ends n calendar months after it starts."""

from __future__ import annotations

import calendar
from datetime import datetime


def add_months(start: datetime, months: int) -> datetime:
    """The same day and time ``months`` later, on the month's last day if it is shorter
    (31 January + 1 month = 28 or 29 February)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)
