"""The deadline mechanism: reminders and escalations exactly once, catch-up after a missed
sweep, pause and extension arithmetic across the 2026 holidays."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from arrears import config, deadlines, services
from arrears.models import ConfigValue, County, Deadline, Department, Notification, Role, User
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


# --- Reminder steps and pause rules per kind ---------------------------------------------------


@pytest.fixture
def stepped_kind() -> Any:
    """A kind registered as an app registers one (a label), with steps 5 and 1 declared as its
    defaults; removed again so that no other test sees it."""
    kind = "test.stepped"
    deadlines.kind_defaults(kind, reminders="5,1", pause_for=("suspension",))
    deadlines.KIND_LABELS[kind] = "测试时限"
    yield kind
    del deadlines.KIND_LABELS[kind]
    del deadlines.KIND_DEFAULTS[kind]
    for key in [k for k in list(config.REGISTRY) if f".{kind}" in k]:
        del config.REGISTRY[key]


def _open_kind(unit: Unit, kind: str, start: dt.date, days: int) -> Deadline:
    return deadlines.deadline_open(
        subject=unit.county,
        kind=kind,
        started_on=start,
        working_days=days,
        county_id=unit.county.pk,
        department_id=unit.department.pk,
        owner=unit.owner,
    )


def _keys(user: Any) -> list[str | None]:
    return list(
        Notification.objects.filter(recipient=user, kind="deadline.reminder")
        .order_by("id")
        .values_list("dedupe_key", flat=True)
    )


def test_any_registered_kind_gets_its_settings(db: Any) -> None:
    # given a kind registered with a label only (as another app would), no defaults declared
    deadlines.KIND_LABELS.update({"test.plain": "另一时限"})
    try:
        # then its reminder and pause settings exist, with the general defaults
        assert config.get("deadline.reminders.test.plain") == ""
        assert deadlines.reminder_steps("test.plain") == [1]  # deadline.reminder_working_days
        assert [rule[2] for rule in deadlines.pause_rules("test.plain")] == [False] * 3
        assert "另一时限" in str(config.REGISTRY["deadline.pause.test.plain.arbitration"].label)
    finally:
        del deadlines.KIND_LABELS["test.plain"]
        for key in [k for k in list(config.REGISTRY) if ".test.plain" in k]:
            del config.REGISTRY[key]
    # a kind nobody registered has the general single reminder and never pauses
    assert deadlines.reminder_steps("nobody.knows") == [1]
    assert not deadlines.pauses_for("nobody.knows", "arbitration")


def test_the_case_kinds_ship_with_their_rules(db: Any) -> None:
    assert deadlines.reminder_steps("case.close") == [5, 1]
    assert deadlines.pauses_for("case.close", "arbitration")
    assert deadlines.pauses_for("case.close", "suspension")
    assert not deadlines.pauses_for("case.close", "extension")
    assert deadlines.reminder_steps("case.accept") == [1]
    assert not deadlines.pauses_for("case.order", "arbitration")


def test_bad_reminder_steps_are_refused_and_never_stop_the_sweep(
    unit: Unit, stepped_kind: str
) -> None:
    key = f"deadline.reminders.{stepped_kind}"
    with pytest.raises(ValidationError):
        services.config_set(key=key, value="5；1")
    with pytest.raises(ValidationError):
        services.config_set(key=key, value="-1")
    # a value stored behind the admin's back: the general single reminder instead
    ConfigValue.objects.create(key=key, value="five")
    config.forget()
    assert deadlines.reminder_steps(stepped_kind) == [1]


def test_each_step_once_across_national_day_and_a_makeup_saturday(
    unit: Unit, stepped_kind: str
) -> None:
    # given a 10-working-day clock from Mon Sep 21: due Mon Oct 12, across National Day
    deadline = _open_kind(unit, stepped_kind, dt.date(2026, 9, 21), 10)
    assert deadline.due_date == dt.date(2026, 10, 12)
    # 5 working days before: Oct 10 (make-up Saturday), 9, 8, Sep 30, 29
    assert deadline.remind_at == at(2026, 9, 29, 0)
    assert deadlines.deadlines_sweep(now=at(2026, 9, 28))["reminded"] == 0
    # when the sweep runs on the day, twice
    assert deadlines.deadlines_sweep(now=at(2026, 9, 29))["reminded"] == 1
    assert deadlines.deadlines_sweep(now=at(2026, 9, 29, 10))["reminded"] == 0
    deadline.refresh_from_db()
    # then the step is stored on the row, and the next is the make-up Saturday Oct 10
    assert deadline.reminded_step == 5
    assert deadline.remind_at == at(2026, 10, 10, 0)
    # nothing during the holiday
    assert deadlines.deadlines_sweep(now=at(2026, 10, 7))["reminded"] == 0
    assert deadlines.deadlines_sweep(now=at(2026, 10, 10))["reminded"] == 1
    deadline.refresh_from_db()
    assert (deadline.reminded_step, deadline.remind_at) == (1, None)
    # every step sent: nothing more, ever
    assert deadlines.deadlines_sweep(now=at(2026, 12, 31))["reminded"] == 0
    assert _keys(unit.owner) == [
        f"deadline:{deadline.pk}:2026-10-12:remind:5",
        f"deadline:{deadline.pk}:2026-10-12:remind:1",
    ]
    # each says how many working days are left
    titles = Notification.objects.filter(recipient=unit.owner).order_by("id")
    assert [t.title.split("：")[0] for t in titles] == ["还有5个工作日到期", "还有1个工作日到期"]


def test_a_late_sweep_sends_only_the_nearest_step(unit: Unit, stepped_kind: str) -> None:
    deadline = _open_kind(unit, stepped_kind, dt.date(2026, 9, 21), 10)
    # no sweep until Sat Oct 10: both steps are due, one reminder (the nearer) goes out
    assert deadlines.deadlines_sweep(now=at(2026, 10, 10)) == {"reminded": 1, "escalated": 0}
    assert _keys(unit.owner) == [f"deadline:{deadline.pk}:2026-10-12:remind:1"]
    assert deadlines.deadlines_sweep(now=at(2026, 10, 11))["reminded"] == 0


def test_a_clock_shorter_than_a_step_is_reminded_when_it_starts(
    unit: Unit, stepped_kind: str
) -> None:
    # 3 working days from Mon Sep 28: due Thu Oct 8; 5 days before would be before the start
    deadline = _open_kind(unit, stepped_kind, dt.date(2026, 9, 28), 3)
    assert deadline.remind_at == at(2026, 9, 28, 0)
    assert deadlines.deadlines_sweep(now=at(2026, 9, 28, 10))["reminded"] == 1
    # Sep 28 → Oct 8: Sep 29, 30, Oct 8 are left
    assert Notification.objects.get(recipient=unit.owner).title.startswith("还有3个工作日到期")
    deadline.refresh_from_db()
    assert deadline.remind_at == at(2026, 9, 30, 0)  # 1 working day before Oct 8
    assert deadlines.deadlines_sweep(now=at(2026, 9, 30))["reminded"] == 1
    assert len(_keys(unit.owner)) == 2


def test_spring_festival_and_its_makeup_sunday(unit: Unit, stepped_kind: str) -> None:
    # 2026: Spring Festival Feb 15–23, make-up workdays Sat Feb 14 and Sat Feb 28
    deadline = _open_kind(unit, stepped_kind, dt.date(2026, 2, 9), 8)
    # Feb 10, 11, 12, 13, 14 (make-up), 24, 25, 26 → due Thu Feb 26
    assert deadline.due_date == dt.date(2026, 2, 26)
    # 5 before: Feb 25, 24, 14, 13, 12 → Feb 12; 1 before: Feb 25
    assert deadline.remind_at == at(2026, 2, 12, 0)
    assert deadlines.deadlines_sweep(now=at(2026, 2, 12))["reminded"] == 1
    deadline.refresh_from_db()
    assert deadline.remind_at == at(2026, 2, 25, 0)


def test_a_city_sets_its_own_steps_and_running_clocks_follow(unit: Unit, stepped_kind: str) -> None:
    deadline = _open_kind(unit, stepped_kind, dt.date(2026, 9, 21), 10)
    services.config_set(key=f"deadline.reminders.{stepped_kind}", value="3", city=unit.county.city)
    assert deadlines.reminder_steps(stepped_kind, unit.county.city_id) == [3]
    assert deadlines.reminder_steps(stepped_kind) == [5, 1]  # the province's still
    assert deadlines.deadlines_recompute() == 1
    deadline.refresh_from_db()
    # 3 working days before Mon Oct 12: Sat Oct 10 (make-up), Fri Oct 9, Thu Oct 8
    assert deadline.remind_at == at(2026, 10, 8, 0)


def test_an_extension_into_the_future_restarts_the_steps(unit: Unit, stepped_kind: str) -> None:
    with time_machine.travel(at(2026, 10, 10, 9), tick=False):
        deadline = _open_kind(unit, stepped_kind, dt.date(2026, 9, 21), 10)
        deadlines.deadlines_sweep(now=at(2026, 10, 10, 9))
        deadline.refresh_from_db()
        assert deadline.reminded_step == 1
        extended = deadlines.deadline_extend(deadline=deadline, working_days=10)
    # due Oct 26: a new due date, its steps from the first (Oct 19 and Oct 23)
    assert extended.due_date == dt.date(2026, 10, 26)
    assert (extended.reminded_step, extended.remind_at) == (None, at(2026, 10, 19, 0))
    assert deadlines.deadlines_sweep(now=at(2026, 10, 19))["reminded"] == 1
    assert deadlines.deadlines_sweep(now=at(2026, 10, 23))["reminded"] == 1
    assert len(_keys(unit.owner)) == 3


def test_an_idle_reminder_sweep_is_one_probe_of_its_index(unit: Unit, stepped_kind: str) -> None:
    for day in range(1, 20):
        _open_kind(unit, f"{stepped_kind}{day}", dt.date(2026, 9, day), 10)
    # before any is due: the two claims and nothing else
    with CaptureQueriesContext(connection) as queries:
        assert deadlines.deadlines_sweep(now=at(2026, 8, 1)) == {"reminded": 0, "escalated": 0}
    claims = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(claims) == 2 and all("SKIP LOCKED" in sql for sql in claims)
    if connection.vendor == "postgresql":
        claim = Deadline.objects.filter(state="open", remind_at__lte=at(2026, 8, 1)).order_by(
            "remind_at", "pk"
        )
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            assert "deadline_open_remind_step_idx" in claim.explain()


def test_pause_for_a_reason_only_where_configured(unit: Unit, stepped_kind: str) -> None:
    stepped = _open_kind(unit, stepped_kind, dt.date(2026, 9, 21), 10)
    other = _open_kind(unit, "test.other", dt.date(2026, 9, 21), 10)
    city = unit.county.city_id
    # the stepped kind pauses for a suspension (its default), not for arbitration
    assert deadlines.deadlines_pause_for(subject=unit.county, reason="arbitration", city=city) == []
    paused = deadlines.deadlines_pause_for(
        subject=unit.county, reason="suspension", city=city, at=at(2026, 9, 25)
    )
    assert [d.pk for d in paused] == [stepped.pk]
    assert paused[0].pause_reason == "suspension"
    # a city switches arbitration on for it: the other kind still runs
    services.config_set(
        key=f"deadline.pause.{stepped_kind}.arbitration", value=True, city=unit.county.city
    )
    assert deadlines.pauses_for(stepped_kind, "arbitration", city)
    # the end of another wait does not resume it; the end of its own does
    assert deadlines.deadlines_resume_for(subject=unit.county, reason="arbitration") == []
    resumed = deadlines.deadlines_resume_for(
        subject=unit.county, reason="suspension", at=at(2026, 10, 9)
    )
    assert [d.extended_days for d in resumed] == [5]
    other.refresh_from_db()
    assert other.state == "open"


def test_a_clock_of_calendar_hours_is_reminded_once_and_never_pauses(
    unit: Unit, stepped_kind: str
) -> None:
    # 24 calendar hours from the eve of National Day: the holiday counts, the steps do not
    deadline = deadlines.deadline_open_hours(
        subject=unit.county,
        kind=stepped_kind,
        starts_at=at(2026, 9, 30, 18),
        hours=24,
        county_id=unit.county.pk,
        department_id=unit.department.pk,
        owner=unit.owner,
    )
    assert deadline.remind_at == at(2026, 10, 1, 6)  # half of it left
    assert deadlines.deadlines_sweep(now=at(2026, 10, 1, 5))["reminded"] == 0
    assert deadlines.deadlines_sweep(now=at(2026, 10, 1, 7))["reminded"] == 1
    assert deadlines.deadlines_sweep(now=at(2026, 10, 1, 8))["reminded"] == 0
    deadline.refresh_from_db()
    assert (deadline.reminded_step, deadline.remind_at) == (0, None)
    # configured to pause for a suspension, it still runs: the statute's hours
    assert (
        deadlines.deadlines_pause_for(
            subject=unit.county, reason="suspension", city=unit.county.city_id
        )
        == []
    )
