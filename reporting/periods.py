"""Reporting periods: a month, a quarter, a year or custom dates, with the previous period and
the same period last year for comparisons. Dates are local (Asia/Shanghai) and inclusive."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

# Earlier dates are typing errors (the system holds nothing before it), later ones overflow.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2099, 12, 31)


def _shift_year(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + years, day=28)


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    kind: str  # "month", "quarter", "year" or "custom"
    start: dt.date
    end: dt.date  # inclusive

    @property
    def code(self) -> str:
        """The value of the `period` parameter that names this period."""
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return "custom"

    @property
    def label(self) -> str:
        if self.kind == "month":
            return _("%(y)d年%(m)d月") % {"y": self.start.year, "m": self.start.month}
        if self.kind == "quarter":
            return _("%(y)d年第%(q)d季度") % {
                "y": self.start.year,
                "q": (self.start.month - 1) // 3 + 1,
            }
        if self.kind == "year":
            return _("%(y)d年") % {"y": self.start.year}
        return f"{self.start:%Y-%m-%d} — {self.end:%Y-%m-%d}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def params(self) -> dict[str, str]:
        """Query parameters that select this period again (for links)."""
        if self.kind == "custom":
            return {
                "period": "custom",
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
            }
        return {"period": self.code}

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as aware datetimes at local midnight, for date-time columns."""
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(self.start, dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        return start, end

    def previous(self) -> Period:
        if self.kind == "month":
            first = (self.start - dt.timedelta(days=1)).replace(day=1)
            return Period("month", first, _month_end(first.year, first.month))
        if self.kind == "quarter":
            first = (self.start - dt.timedelta(days=1)).replace(day=1)
            first = first.replace(month=(first.month - 1) // 3 * 3 + 1)
            end = self.start - dt.timedelta(days=1)
            return Period("quarter", first, end)
        if self.kind == "year":
            return Period("year", _shift_year(self.start, -1), _shift_year(self.end, -1))
        end = self.start - dt.timedelta(days=1)
        return Period("custom", end - dt.timedelta(days=self.days - 1), end)

    def last_year(self) -> Period:
        if self.kind == "month":
            start = _shift_year(self.start, -1)
            return Period("month", start, _month_end(start.year, start.month))
        return Period(self.kind, _shift_year(self.start, -1), _shift_year(self.end, -1))

    def months(self) -> list[dt.date]:
        """The first day of every month the period touches."""
        out, day = [], self.start.replace(day=1)
        while day <= self.end:
            out.append(day)
            day = _month_end(day.year, day.month) + dt.timedelta(days=1)
        return out


def month(year: int, month_: int) -> Period:
    return Period("month", dt.date(year, month_, 1), _month_end(year, month_))


def quarter(year: int, q: int) -> Period:
    first = dt.date(year, 3 * (q - 1) + 1, 1)
    return Period("quarter", first, _month_end(year, 3 * q))


def year(year_: int) -> Period:
    return Period("year", dt.date(year_, 1, 1), dt.date(year_, 12, 31))


def default_period(today: dt.date | None = None) -> Period:
    """This year: what officials look at first (year-to-date)."""
    return year((today or timezone.localdate()).year)


def _date(value: str, field: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError({field: [_("日期格式应为 YYYY-MM-DD")]}) from exc
    if not EARLIEST <= day <= LATEST:
        raise ValidationError({field: [_("日期应在2000年至2099年之间")]})
    return day


def parse(code: str | None, start: str | None = None, end: str | None = None) -> Period:
    """`period` is "2026-10" (a month), "2026-Q3" (a quarter), "2026" (a year) or "custom"
    with `start` and `end` (inclusive ISO dates). Empty means this year."""
    code = (code or "").strip()
    if not code:
        return default_period()
    if code == "custom":
        if not start or not end:
            raise ValidationError({"period": [_("自定义期间需要填写开始和结束日期")]})
        first, last = _date(start, "start"), _date(end, "end")
        if last < first:
            raise ValidationError({"end": [_("结束日期不能早于开始日期")]})
        if (last - first).days > 366 * 5:
            raise ValidationError({"end": [_("自定义期间不能超过5年")]})
        return Period("custom", first, last)
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})", code):
        y, m = int(match[1]), int(match[2])
        if 2000 <= y <= 2099 and 1 <= m <= 12:
            return month(y, m)
    elif match := re.fullmatch(r"(\d{4})-[Qq]([1-4])", code):
        y = int(match[1])
        if 2000 <= y <= 2099:
            return quarter(y, int(match[2]))
    elif re.fullmatch(r"\d{4}", code) and 2000 <= int(code) <= 2099:
        return year(int(code))
    raise ValidationError(
        {
            "period": [
                _("期间格式应为 2026-10（月）、2026-Q3（季度）或 2026（年），或选择自定义起止日期")
            ]
        }
    )
