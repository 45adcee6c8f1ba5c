"""Ordergroove's timestamp format and subscription-frequency calendar arithmetic."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from common.config import DEFAULT_ORDERGROOVE_TIMEZONE

# Ordergroove sends timestamps with a space separator and no zone. The only page of its
# documentation that names their zone says CST (reference ordergroove.md, "Naive timestamps"):
# the sandbox's "today", and every time it writes, are in that zone, America/Chicago.
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_FORMAT = "%Y-%m-%d"
ZONE = ZoneInfo(DEFAULT_ORDERGROOVE_TIMEZONE)

# Ordergroove's `every_period` codes.
DAYS, WEEKS, MONTHS, YEARS = 1, 2, 3, 4
PERIOD_DAYS = {DAYS: 1, WEEKS: 7, MONTHS: 30, YEARS: 365}

# The moment it is (aware): what a test may pin.
Instant = Callable[[], datetime]
# Now as Ordergroove writes it: naive, in its zone, whole seconds.
Clock = Callable[[], datetime]


def system_instant() -> datetime:
    return datetime.now(UTC)


def zone_clock(instant: Instant = system_instant) -> Clock:
    """A clock reading `instant` in Ordergroove's zone."""
    return lambda: instant().astimezone(ZONE).replace(tzinfo=None, microsecond=0)


ordergroove_now: Clock = zone_clock()


def format_timestamp(value: datetime | date | None) -> str | None:
    """A `date` (not a datetime) renders bare, as some Ordergroove records do."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime(TIMESTAMP_FORMAT)
    return value.strftime(DATE_FORMAT)


def parse_timestamp(text: str) -> datetime:
    """Accept "YYYY-MM-DD HH:MM:SS", its ISO "T" form, or a bare date (midnight)."""
    for pattern in (TIMESTAMP_FORMAT, "%Y-%m-%dT%H:%M:%S", DATE_FORMAT):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise ValueError(f"not a timestamp: {text!r}")


def is_bare_date(text: str) -> bool:
    try:
        datetime.strptime(text, DATE_FORMAT)
    except ValueError:
        return False
    return True


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months; the day clamps to the target month's length (Jan 31 + 1 → Feb 28/29)."""
    year, month_index = divmod(moment.month - 1 + months, 12)
    year += moment.year
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return moment.replace(year=year, month=month_index + 1, day=min(moment.day, last_day))


def add_frequency(moment: datetime, every: int, every_period: int) -> datetime:
    """The next occurrence, `every` times `every_period` after `moment`."""
    if every_period == MONTHS:
        return add_months(moment, every)
    if every_period == YEARS:
        return add_months(moment, 12 * every)
    return moment + timedelta(days=every * PERIOD_DAYS[every_period])


def subtract_frequency(moment: datetime, every: int, every_period: int) -> datetime:
    """The previous occurrence, used to seed a realistic order history."""
    return add_frequency(moment, -every, every_period)
