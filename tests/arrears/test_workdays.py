"""Working-day arithmetic across the 2026 holidays and make-up days, provisional years, and
recomputation of open deadlines when a schedule is loaded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from arrears import deadlines, services, workdays
from arrears.models import CalendarDay, CalendarYear, DayKind, Deadline, YearStatus
from tests.factories import CountyFactory

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates

D = dt.date


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # National Day 2026: Oct 1–7 off, Sun 9/20 and Sat 10/10 worked.
        (D(2026, 9, 28), 3, D(2026, 10, 8)),
        # Spring Festival 2026: Feb 15–23 off, Sat 2/14 and Sat 2/28 worked.
        (D(2026, 2, 12), 3, D(2026, 2, 24)),
        (D(2026, 2, 13), 1, D(2026, 2, 14)),
        (D(2026, 2, 14), 1, D(2026, 2, 24)),
        (D(2026, 2, 27), 1, D(2026, 2, 28)),
        (D(2026, 10, 9), 1, D(2026, 10, 10)),
        # Counting from a holiday: the first working day after it is day 1.
        (D(2026, 10, 3), 1, D(2026, 10, 8)),
        # New Year 2026: Jan 1–3 off, Sun 1/4 worked.
        (D(2025, 12, 31), 1, D(2026, 1, 4)),
        # Labour Day 2026: May 1–5 off, Sat 5/9 worked.
        (D(2026, 4, 30), 2, D(2026, 5, 7)),
        # Five working days of acceptance across a plain weekend.
        (D(2026, 11, 27), 5, D(2026, 12, 4)),
        (D(2026, 11, 30), 0, D(2026, 11, 30)),
        # Backwards.
        (D(2026, 10, 8), -1, D(2026, 9, 30)),
        (D(2026, 2, 24), -2, D(2026, 2, 13)),
    ],
)
def test_add_working_days(calendar_2026: None, start: dt.date, n: int, expected: dt.date) -> None:
    assert workdays.add_working_days(start, n) == expected


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 2, 14), True),  # Saturday make-up day
        (D(2026, 10, 10), True),
        (D(2026, 9, 20), True),  # Sunday make-up day
        (D(2026, 1, 4), True),
        (D(2026, 10, 1), False),
        (D(2026, 10, 7), False),
        (D(2026, 2, 16), False),  # Monday in the Spring Festival
        (D(2026, 11, 28), False),  # plain Saturday
        (D(2026, 11, 30), True),
    ],
)
def test_is_working_day(calendar_2026: None, day: dt.date, working: bool) -> None:
    assert workdays.is_working_day(day) is working


def test_working_days_between_is_inverse_of_add(calendar_2026: None) -> None:
    assert workdays.working_days_between(D(2026, 9, 28), D(2026, 10, 8)) == 3
    assert workdays.working_days_between(D(2026, 10, 8), D(2026, 9, 28)) == -3
    assert workdays.working_days_between(D(2026, 10, 1), D(2026, 10, 7)) == 0
    # All of 2026: 365 days − 104 weekend days − 13 weekday holidays + 6 make-up days = 254 …
    # counted the other way: the table itself.
    workdays_2026 = CalendarDay.objects.filter(date__year=2026, is_workday=True).count()
    assert workdays.working_days_between(D(2025, 12, 31), D(2026, 12, 31)) == workdays_2026
    start = D(2026, 1, 5)
    for n in (1, 5, 15, 30, 60, 90):
        assert workdays.working_days_between(start, workdays.add_working_days(start, n)) == n


def test_2026_schedule_matches_the_announcement(calendar_2026: None) -> None:
    makeup = set(
        CalendarDay.objects.filter(date__year=2026, kind=DayKind.MAKEUP_WORKDAY).values_list(
            "date", flat=True
        )
    )
    assert makeup == {
        D(2026, 1, 4),
        D(2026, 2, 14),
        D(2026, 2, 28),
        D(2026, 5, 9),
        D(2026, 9, 20),
        D(2026, 10, 10),
    }
    assert CalendarYear.objects.get(year=2026).status == YearStatus.OFFICIAL


def test_end_of_working_day_is_local_closing_time(calendar_2026: None) -> None:
    end = workdays.end_of_working_day(D(2026, 10, 8))
    assert end.isoformat() == "2026-10-08T17:30:00+08:00"
    services.config_set(key="calendar.workday_end", value="18:00")
    assert workdays.end_of_working_day(D(2026, 10, 8)).isoformat() == "2026-10-08T18:00:00+08:00"


def test_unloaded_year_is_provisional_and_falls_back_to_weekdays(calendar_2026: None) -> None:
    calendar = workdays.get_calendar()
    assert calendar.is_provisional(D(2026, 12, 30)) is False
    # Nothing loaded for 2027: Monday–Friday, flagged provisional.
    assert calendar.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 1)
    assert calendar.is_provisional(D(2026, 12, 28), D(2027, 1, 5)) is True


def test_library_year_without_official_data_loads_as_provisional(db: None) -> None:
    days, status, source = services.calendar_schedule_from_library(2027)
    assert status == YearStatus.PROVISIONAL
    services.calendar_year_load(year=2027, days=days, status=status, source=source)
    # The estimate knows New Year's Day but no make-up days.
    assert workdays.is_working_day(D(2027, 1, 1)) is False
    assert not CalendarDay.objects.filter(date__year=2027, kind=DayKind.MAKEUP_WORKDAY).exists()
    assert workdays.get_calendar().is_provisional(D(2027, 3, 1)) is True
    assert services.calendar_years_needing_data(today=D(2027, 3, 1)) == [2027]


def test_last_year_stays_needed_after_new_year_while_a_clock_started_in_it_runs(
    db: None,
) -> None:

    # Nothing official: a clock started in late December runs into January.
    deadlines.deadline_open(
        subject=CountyFactory.create(), kind="a", started_on=D(2026, 12, 28), working_days=5
    )
    # Its count still depends on 2026's working days after New Year.
    assert services.calendar_years_needing_data(today=D(2027, 1, 2)) == [2026, 2027]


def test_deadline_depending_on_a_provisional_year_is_provisional(calendar_2026: None) -> None:
    subject = CountyFactory.create()
    early = deadlines.deadline_open(
        subject=subject, kind="a", started_on=D(2026, 9, 28), working_days=3
    )
    late = deadlines.deadline_open(
        subject=subject, kind="b", started_on=D(2026, 12, 20), working_days=15
    )
    assert (early.due_date, early.provisional) == (D(2026, 10, 8), False)
    assert early.due_at.isoformat() == "2026-10-08T17:30:00+08:00"
    assert late.provisional is True


def test_loading_an_announced_schedule_recomputes_open_deadlines(
    calendar_2026: None, django_capture_on_commit_callbacks: Any
) -> None:
    subject = CountyFactory.create()
    # given a deadline running into 2027 while 2027 is unknown (weekdays only)
    deadline = deadlines.deadline_open(
        subject=subject, kind="close", started_on=D(2026, 12, 30), working_days=2
    )
    assert (deadline.due_date, deadline.provisional) == (D(2027, 1, 1), True)
    # when the city office types in the announcement (New Year Jan 1–3 off, made-up example)
    days = services.calendar_schedule_from_announcement(
        year=2027,
        holidays=[(D(2027, 1, 1), D(2027, 1, 3), "元旦")],
        makeup_days=[(D(2027, 1, 9), "元旦调休")],
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.calendar_year_load(year=2027, days=days, status=YearStatus.OFFICIAL, source="test")
    # then the recompute task, enqueued on commit, moved the deadline; it is no longer provisional
    assert len(callbacks) == 1
    deadline.refresh_from_db()
    assert deadline.due_date == D(2027, 1, 4)
    assert deadline.provisional is False
    # and a later single-day change moves it again
    with django_capture_on_commit_callbacks(execute=True):
        services.calendar_day_set(day=D(2027, 1, 4), kind=DayKind.HOLIDAY, name="临时调整")
    deadline.refresh_from_db()
    assert deadline.due_date == D(2027, 1, 5)


def test_closed_deadlines_are_not_recomputed(calendar_2026: None) -> None:
    deadline = deadlines.deadline_open(
        subject=CountyFactory.create(), kind="x", started_on=D(2026, 12, 30), working_days=2
    )
    assert deadlines.deadline_close(deadline=deadline) is True
    assert deadlines.deadline_close(deadline=deadline) is False  # second close changes nothing
    services.calendar_day_set(day=D(2026, 12, 31), kind=DayKind.HOLIDAY, name="x")
    assert deadlines.deadlines_recompute() == 0
    deadline.refresh_from_db()
    assert deadline.due_date == D(2027, 1, 1)


@pytest.mark.parametrize(
    ("holidays", "makeup", "message"),
    [
        ([(D(2027, 1, 3), D(2027, 1, 1), "x")], [], "晚于"),
        ([(D(2026, 12, 31), D(2027, 1, 1), "x")], [], "不属于"),
        ([], [(D(2027, 1, 4), "x")], "不是周末"),  # a Monday cannot be a make-up day
        ([(D(2027, 1, 2), D(2027, 1, 3), "x")], [(D(2027, 1, 2), "x")], "同时"),
    ],
)
def test_bad_announcements_are_refused_in_chinese(
    db: None, holidays: list, makeup: list, message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        services.calendar_schedule_from_announcement(
            year=2027, holidays=holidays, makeup_days=makeup
        )
    assert message in info.value.messages[0]


def test_incomplete_year_is_refused_and_nothing_saved(db: None) -> None:
    days = services.calendar_schedule_from_announcement(year=2027, holidays=[], makeup_days=[])
    with pytest.raises(ValidationError):
        services.calendar_year_load(year=2027, days=days[:-1], status="official", source="x")
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_deadline_recompute_is_needed_only_for_running(calendar_2026: None) -> None:
    assert Deadline.objects.count() == 0
    assert deadlines.deadlines_recompute() == 0


def test_library_and_estimate_agree_on_2026_weekday_holidays(db: None) -> None:
    # The cross-check the city office runs with `load_calendar --check`.
    assert services.calendar_cross_check(2026) == []
    assert services.calendar_cross_check(2027) == []  # no official data: nothing to compare
