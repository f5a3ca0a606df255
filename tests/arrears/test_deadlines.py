"""The deadline mechanism: reminders and escalations exactly once, catch-up after a missed
sweep, pause and extension arithmetic across the 2026 holidays."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from arrears import deadlines, services
from arrears.models import County, Deadline, Department, Notification, Role, User
from arrears.sms import LoggingSmsBackend
from tests.factories import CountyFactory, DepartmentFactory, UserFactory
from tests.races import run_at_once, succeeded

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates

TZ = dt.timezone(dt.timedelta(hours=8))


def at(y: int, m: int, d: int, h: int = 9) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=TZ)


@dataclass(frozen=True)
class Unit:
    """A county department with a deadline's owner and the people escalations reach."""

    county: County
    department: Department
    owner: User
    official: User
    office: User
    leader: User


@pytest.fixture
def unit(calendar_2026: None) -> Unit:
    county = CountyFactory.create()
    department = DepartmentFactory.create(county=county)
    return Unit(
        county=county,
        department=department,
        owner=UserFactory.create(role=Role.INSPECTOR, county=county, department=department),
        official=UserFactory.create(role=Role.COUNTY_OFFICIAL, county=county),
        office=UserFactory.create(city_office=True),
        leader=UserFactory.create(role=Role.CITY_LEADER),
    )


def _open(unit: Unit, start: dt.date, days: int) -> Deadline:
    return deadlines.deadline_open(
        subject=unit.county,
        kind=f"k{start}{days}",
        started_on=start,
        working_days=days,
        county_id=unit.county.pk,
        department_id=unit.department.pk,
        owner=unit.owner,
    )


def _kinds(user: Any) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).order_by("id").values_list("kind", flat=True)
    )


def test_clock_across_national_day(unit: Unit) -> None:
    deadline = _open(unit, dt.date(2026, 9, 28), 3)
    assert deadline.due_date == dt.date(2026, 10, 8)
    assert deadline.remind_at == at(2026, 9, 30, 0)  # one working day before: Sep 30
    assert deadline.next_escalation_at == at(2026, 10, 8, 17) + dt.timedelta(minutes=30)


def test_reminder_and_escalations_each_once(unit: Unit) -> None:
    deadline = _open(unit, dt.date(2026, 9, 28), 3)  # due Thu Oct 8, 17:30
    assert deadlines.deadlines_sweep(now=at(2026, 9, 29)) == {"reminded": 0, "escalated": 0}
    assert deadlines.deadlines_sweep(now=at(2026, 9, 30)) == {"reminded": 1, "escalated": 0}
    assert deadlines.deadlines_sweep(now=at(2026, 9, 30, 10)) == {"reminded": 0, "escalated": 0}
    assert _kinds(unit.owner) == ["deadline.reminder"]
    # the evening of the due date: level 1 to the county official
    assert deadlines.deadlines_sweep(now=at(2026, 10, 8, 18))["escalated"] == 1
    assert _kinds(unit.official) == ["deadline.escalation"]
    assert _kinds(unit.office) == []
    # level 2 two working days later: Fri Oct 9 and Sat Oct 10 (a make-up workday), 17:30
    deadline.refresh_from_db()
    assert deadline.next_escalation_at == at(2026, 10, 10, 17) + dt.timedelta(minutes=30)
    assert deadlines.deadlines_sweep(now=at(2026, 10, 10, 12))["escalated"] == 0
    assert deadlines.deadlines_sweep(now=at(2026, 10, 10, 18))["escalated"] == 1
    assert _kinds(unit.office) == ["deadline.escalation"]
    assert _kinds(unit.leader) == ["deadline.escalation"]
    # the ladder is exhausted: nothing more, ever
    assert deadlines.deadlines_sweep(now=at(2026, 12, 31, 18)) == {"reminded": 0, "escalated": 0}
    assert Notification.objects.count() == 4


def test_a_missed_sweep_catches_up_every_step(unit: Unit) -> None:
    _open(unit, dt.date(2026, 9, 28), 3)
    # no sweep ran for weeks: one sweep sends the reminder and both escalation steps
    assert deadlines.deadlines_sweep(now=at(2026, 11, 2)) == {"reminded": 1, "escalated": 2}
    assert deadlines.deadlines_sweep(now=at(2026, 11, 3)) == {"reminded": 0, "escalated": 0}


def test_closed_in_time_is_met_and_never_escalates(unit: Unit) -> None:
    deadline = _open(unit, dt.date(2026, 9, 28), 3)
    assert deadlines.deadline_close(deadline=deadline, at=at(2026, 10, 8, 17))
    assert deadline.state == "met"
    assert deadlines.deadlines_sweep(now=at(2026, 11, 2)) == {"reminded": 0, "escalated": 0}


def test_pause_adds_the_working_days_it_stood_still(unit: Unit) -> None:
    deadline = _open(unit, dt.date(2026, 9, 21), 10)  # due Oct 12 (across National Day)
    assert deadline.due_date == dt.date(2026, 10, 12)
    paused = deadlines.deadline_pause(deadline=deadline, at=at(2026, 9, 25))
    assert paused.state == "paused" and paused.next_escalation_at is None
    with pytest.raises(ValidationError):
        deadlines.deadline_pause(deadline=paused, at=at(2026, 9, 26))
    # paused Fri Sep 25 → resumed Fri Oct 9: Sep 28, 29, 30, Oct 8, 9 = 5 working days
    resumed = deadlines.deadline_resume(deadline=paused, at=at(2026, 10, 9))
    assert resumed.extended_days == 5
    assert resumed.due_date == dt.date(2026, 10, 19)
    assert resumed.state == "open"
    # nothing escalates while paused
    deadline2 = _open(unit, dt.date(2026, 11, 2), 1)
    deadlines.deadline_pause(deadline=deadline2, at=at(2026, 11, 2, 10))
    # the first deadline (due Oct 19) takes both steps; the paused one none
    assert deadlines.deadlines_sweep(now=at(2026, 12, 1))["escalated"] == 2
    deadline2.refresh_from_db()
    assert deadline2.escalation_level == 0


def test_extension_moves_due_date_and_restarts_the_ladder(unit: Unit) -> None:
    deadline = _open(unit, dt.date(2026, 9, 28), 3)
    deadlines.deadlines_sweep(now=at(2026, 10, 8, 18))  # reminded and escalated once
    with pytest.raises(ValidationError):
        deadlines.deadline_extend(deadline=deadline, working_days=0)
    extended = deadlines.deadline_extend(deadline=deadline, working_days=30)
    # Oct 8 + 30 working days, Sat Oct 10 included: Nov 18
    assert extended.due_date == dt.date(2026, 11, 18)
    assert extended.extended_days == 30
    # the new due time has passed too (these are 2026 dates): the steps taken stay taken;
    # the ladder restarts only when an extension moves the due time into the future
    assert extended.escalation_level == 1


def test_calendar_change_recomputes_next_escalation(unit: Unit) -> None:
    deadline = _open(unit, dt.date(2026, 12, 28), 5)  # due Jan 4 2027 (2027 not loaded)
    assert deadline.due_date == dt.date(2027, 1, 4)
    days = services.calendar_schedule_from_announcement(
        year=2027, holidays=[(dt.date(2027, 1, 1), dt.date(2027, 1, 4), "元旦")], makeup_days=[]
    )
    services.calendar_year_load(year=2027, days=days, status="official", source="t")
    assert deadlines.deadlines_recompute() == 1
    deadline.refresh_from_db()
    assert deadline.due_date == dt.date(2027, 1, 6)  # Dec 29, 30, 31, Jan 5, 6
    assert deadline.next_escalation_at == deadline.due_at


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_notify_exactly_once() -> None:
    for year in (2025, 2026):
        days, status, source = services.calendar_schedule_from_library(year)
        services.calendar_year_load(year=year, days=days, status=status, source=source)
    county = CountyFactory.create()
    department = DepartmentFactory.create(county=county)
    owner = UserFactory.create(role=Role.INSPECTOR, county=county, department=department)
    UserFactory.create(role=Role.COUNTY_OFFICIAL, county=county)
    UserFactory.create(city_office=True)
    for i in range(60):
        deadlines.deadline_open(
            subject=county,
            kind=f"k{i}",
            started_on=dt.date(2026, 9, 1),
            working_days=3,
            county_id=county.pk,
            department_id=department.pk,
            owner=owner,
        )
    results = succeeded(run_at_once(lambda: deadlines.deadlines_sweep(now=at(2026, 11, 30)), 4))
    assert sum(r["reminded"] for r in results) == 60
    assert sum(r["escalated"] for r in results) == 120  # two steps each
    assert Notification.objects.filter(kind="deadline.reminder").count() == 60
    # 60 × level 1 to the county official + 60 × level 2 to the city office
    assert Notification.objects.filter(kind="deadline.escalation").count() == 120


def test_escalations_also_go_by_email_and_sms(
    unit: Unit, django_capture_on_commit_callbacks: Any
) -> None:
    official = unit.official
    official.email, official.phone = "official@example.org", "13900001111"
    official.save()
    LoggingSmsBackend.sent.clear()
    _open(unit, dt.date(2026, 9, 28), 3)
    with django_capture_on_commit_callbacks(execute=True):
        deadlines.deadlines_sweep(now=at(2026, 10, 8, 18))
    assert [m.to for m in mail.outbox if "逾期" in m.subject] == [["official@example.org"]]
    assert [phone for phone, _text in LoggingSmsBackend.sent] == ["13900001111"]
