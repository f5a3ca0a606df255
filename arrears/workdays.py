"""Working-day arithmetic over the calendar table.

A working day is a weekday that is not a statutory holiday, or a weekend make-up day (调休).
Conventions, used everywhere a deadline is counted:
- add_working_days(d, n): the n-th working day after d, d itself not counted (so a complaint
  received on Monday with 3 working days is due on Thursday; received on a holiday, the first
  working day after it is day 1). Negative n counts backwards.
- working_days_between(a, b): the working days in (a, b], so that
  working_days_between(d, add_working_days(d, n)) == n.
Days of years not loaded fall back to "Monday to Friday" and are provisional.
"""

from __future__ import annotations

import datetime
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from threading import Lock

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from arrears import config
from arrears.models import CalendarDay, CalendarYear, ConfigValue, YearStatus

# The arithmetic covers these years even where nothing is loaded (weekday fallback), so a
# deadline never falls off the end of the table.
FIRST_YEAR = 2000
YEARS_AHEAD = 5


@dataclass(frozen=True)
class WorkCalendar:
    workdays: tuple[int, ...]  # sorted ordinals of every working day in the covered range
    official_years: frozenset[int]
    workday_end: datetime.time
    first: datetime.date
    last: datetime.date
    _set: frozenset[int] = field(default=frozenset(), repr=False)

    def _check(self, day: datetime.date) -> None:
        if not self.first <= day <= self.last:
            raise ValueError(f"{day} is outside the calendar ({self.first} – {self.last})")

    def is_working_day(self, day: datetime.date) -> bool:
        self._check(day)
        return day.toordinal() in self._set

    def add_working_days(self, day: datetime.date, n: int) -> datetime.date:
        self._check(day)
        ordinal = day.toordinal()
        if n >= 0:
            index = bisect_right(self.workdays, ordinal) + n - 1
            if n == 0:
                return day
        else:
            index = bisect_left(self.workdays, ordinal) + n
        if not 0 <= index < len(self.workdays):
            raise ValueError(f"{day} + {n} working days is outside the calendar")
        return datetime.date.fromordinal(self.workdays[index])

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        self._check(start)
        self._check(end)
        a, b = start.toordinal(), end.toordinal()
        sign = 1
        if b < a:
            a, b, sign = b, a, -1
        return sign * (bisect_right(self.workdays, b) - bisect_right(self.workdays, a))

    def end_of_working_day(self, day: datetime.date) -> datetime.datetime:
        """The moment the working day `day` ends, in the city's time zone."""
        naive = datetime.datetime.combine(day, self.workday_end)
        return timezone.make_aware(naive, timezone.get_default_timezone())

    def is_provisional(self, start: datetime.date, end: datetime.date | None = None) -> bool:
        """Whether counting from `start` to `end` relies on a year without official data."""
        end = end or start
        low, high = min(start, end), max(start, end)
        return any(y not in self.official_years for y in range(low.year, high.year + 1))


def build_calendar() -> WorkCalendar:
    today = timezone.localdate()
    years = dict(CalendarYear.objects.values_list("year", "status"))
    last_year = max([today.year + YEARS_AHEAD, *years])
    first = datetime.date(FIRST_YEAR, 1, 1)
    last = datetime.date(last_year, 12, 31)
    # In a transaction, so the cursor stays on one server connection behind PgBouncer in
    # transaction mode (arrears/streaming.py).
    with transaction.atomic():
        loaded = set(
            CalendarDay.objects.filter(is_workday=True)
            .values_list("date", flat=True)
            .iterator(chunk_size=5000)
        )
    days: list[int] = []
    ordinal = first.toordinal()
    while ordinal <= last.toordinal():
        day = datetime.date.fromordinal(ordinal)
        if day.year in years:
            if day in loaded:
                days.append(ordinal)
        elif day.weekday() < 5:
            days.append(ordinal)
        ordinal += 1
    official = frozenset(y for y, s in years.items() if s == YearStatus.OFFICIAL)
    return WorkCalendar(
        workdays=tuple(days),
        official_years=official,
        workday_end=config.get("calendar.workday_end"),
        first=first,
        last=last,
        _set=frozenset(days),
    )


_cache: dict[str, tuple[tuple[int, int, int, str], WorkCalendar]] = {}
_lock = Lock()


def _version() -> tuple[int, int, int, str]:
    agg = CalendarYear.objects.aggregate(n=Count("id"), rev=Sum("revision"))
    end = ConfigValue.objects.filter(key="calendar.workday_end").values_list("value", flat=True)
    # The date is part of the version because the fallback range moves with today.
    return (agg["n"] or 0, agg["rev"] or 0, timezone.localdate().year, str(end.first()))


def get_calendar() -> WorkCalendar:
    """The calendar in force, rebuilt only when the table changed (two small queries a call)."""
    version = _version()
    cached = _cache.get("calendar")
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        calendar = build_calendar()
        _cache["calendar"] = (version, calendar)
    return calendar


def add_working_days(day: datetime.date, n: int) -> datetime.date:
    return get_calendar().add_working_days(day, n)


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    return get_calendar().working_days_between(start, end)


def is_working_day(day: datetime.date) -> bool:
    return get_calendar().is_working_day(day)


def end_of_working_day(day: datetime.date) -> datetime.datetime:
    return get_calendar().end_of_working_day(day)
