"""The pre-aggregated facts (reporting/facts.py) against the live computation: random histories
of receipts, routing, acceptance, closing, reopening, payments, entries, moves between units,
recomputed working days (what a calendar change does), merges, project changes and the cases'
clocks (started, paused, resumed, closed in time or late, moved by a calendar change, deleted;
the response clocks counted when they end) — written
as the services and bulk updates write them — and then every figure of every dashboard (per
city, county and department; each period kind; filters; the scopes of five kinds of user)
computed both ways must be equal, to the fen and to the working day. Rebuilding finds nothing
to correct, and finds and corrects a cell that was tampered with."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from arrears.models import Deadline, DeadlineState, DepartmentKind, Industry, Role
from arrears.reference import ensure_industries
from complaints.cases.services import RESPOND
from complaints.models import (
    Case,
    CaseEntry,
    CasePayment,
    Channel,
    Complaint,
    Outcome,
    Payer,
)
from projects.models import InvestmentType, Project
from reporting import facts, periods
from reporting.models import Fact, FactDelta
from reporting.periods import Period
from reporting.selectors import Filters, dashboard
from reporting.selectors.rollups import _rollups
from tests.factories import CityFactory, CountyFactory, DepartmentFactory, UserFactory

NOW = timezone.make_aware(dt.datetime(2026, 11, 30, 12, 0))
START = dt.datetime(2025, 10, 1, tzinfo=dt.UTC)


class World:
    """Two cities, three counties, departments at county and city level, five kinds of user."""

    def __init__(self) -> None:
        ensure_industries(Industry)
        self.industries = list(Industry.objects.order_by("pk")[:3])
        city_a = CityFactory.create()
        city_b = CityFactory.create(code="369800", name="云岭市", short_name="云岭")
        a1 = CountyFactory.create(code="369902", name="东湖区", city=city_a)
        a2 = CountyFactory.create(code="369903", name="西江区", city=city_a)
        b1 = CountyFactory.create(code="369803", name="城关区", city=city_b)
        self.counties = [a1, a2, b1]
        self.departments = [
            DepartmentFactory.create(county=c, kind=k)
            for c in self.counties
            for k in (DepartmentKind.HRSS, DepartmentKind.HOUSING)
        ]
        city_housing = DepartmentFactory.create(
            county=None, city=city_a, kind=DepartmentKind.HOUSING
        )
        self.departments.append(city_housing)
        self.projects = [
            Project.objects.create(
                code=f"XM-{i}",
                name=f"项目{i}",
                county=self.counties[i % 3],
                industry=self.industries[i % 3],
                investment_type=inv,
                contract_value=Decimal("1000000"),
                start_date=dt.date(2025, 1, 1),
                planned_completion=dt.date(2027, 1, 1),
            )
            for i, inv in enumerate([InvestmentType.GOVERNMENT, InvestmentType.PRIVATE, ""])
        ]
        self.city_a, self.city_b = city_a, city_b
        self.users = {
            "province": UserFactory.create(role=Role.PROVINCE_OFFICE, is_staff=True),
            "city_a": UserFactory.create(role=Role.CITY_OFFICE, city=city_a, is_staff=True),
            "county_a1": UserFactory.create(role=Role.COUNTY_OFFICIAL, county=a1),
            "inspector": UserFactory.create(
                role=Role.INSPECTOR, county=a1, department=self.departments[0]
            ),
            "city_housing": UserFactory.create(
                role=Role.DEPARTMENT_OFFICIAL, department=city_housing
            ),
        }


def _moment(minutes: int) -> dt.datetime:
    # Minutes from 1 October 2025 UTC: times fall on every side of local midnight.
    return START + dt.timedelta(minutes=minutes)


MINUTES = st.integers(0, 60 * 24 * 430)
MONEY = st.integers(0, 5_000_000).map(lambda fen: Decimal(fen) / 100)

RECEIVE = st.tuples(
    st.just("receive"),
    st.integers(0, 3),  # county (3 = none yet)
    st.integers(0, 6),
    st.integers(0, 3),  # industry (3 = none)
    st.sampled_from(list(Channel.values)),
    MINUTES,
)
ACCEPT = st.tuples(
    st.just("accept"),
    st.integers(0, 50),
    MINUTES,
    st.sampled_from(["simple", "ordinary", "major", ""]),
    st.integers(0, 3),  # project (3 = none)
    MONEY,
    st.integers(1, 40),
)
CLOSE = st.tuples(
    st.just("close"),
    st.integers(0, 50),
    st.integers(0, 60 * 24 * 40),
    st.sampled_from(list(Outcome.values)),  # a closed case has an outcome (constraint)
    st.sampled_from([None, True, False]),
    st.one_of(st.none(), st.integers(0, 40)),
    st.one_of(st.none(), st.integers(1, 5)),
    st.integers(0, 100),
)
# Clocks fall due on every side of NOW and of its local midnight (the facts count the days
# before today, the live read today's): from four days before to three days after.
DUE = st.one_of(
    st.integers(-4 * 1440, 3 * 1440),
    # Local midnights (where clocks fall due: the end of a working day) and NOW itself.
    st.sampled_from([-720 - 1440, -720, 0, 720]),
)
CLOCK = st.tuples(
    st.just("clock"), st.integers(0, 50), st.sampled_from(["accept", "respond", "close"]), DUE
)
CLOCK_STATE = st.tuples(
    st.just("clock_state"),
    st.integers(0, 50),
    st.sampled_from(["open", "paused", "met", "missed", "cancelled"]),
    # When a clock ends (a response clock counts on that local day): up to a year ago.
    st.one_of(st.just(0), st.integers(-400 * 1440, 0)),
)
CLOCK_OPS = st.one_of(
    CLOCK,
    CLOCK_STATE,
    st.tuples(st.just("clock_shift"), st.integers(-2 * 1440, 2 * 1440)),
    st.tuples(st.just("clock_delete"), st.integers(0, 50)),
    # A complaint's own clock (dispatch) is not a case's: never counted as an overdue case.
    st.tuples(st.just("complaint_clock"), st.integers(0, 50), DUE),
)
OPS = st.one_of(
    RECEIVE,
    CLOCK_OPS,
    ACCEPT,
    CLOSE,
    st.tuples(st.just("reopen"), st.integers(0, 50)),
    st.tuples(
        st.just("pay"),
        st.integers(0, 50),
        st.integers(0, 500),
        st.integers(1, 5_000_000).map(lambda fen: Decimal(fen) / 100),  # positive (constraint)
        st.integers(0, 9),
        st.sampled_from(list(Payer.values)),
    ),
    # A payment's payer corrected afterwards (a bulk update, as a data fix would make it).
    st.tuples(st.just("payer"), st.integers(0, 50), st.sampled_from(list(Payer.values))),
    st.tuples(
        st.just("entry"),
        st.integers(0, 50),
        st.sampled_from(["arbitration", "police", "note"]),
        MINUTES,
    ),
    st.tuples(st.just("delete_entry"), st.integers(0, 50)),
    st.tuples(st.just("move"), st.integers(0, 50), st.integers(0, 6), st.integers(0, 3)),
    st.tuples(st.just("recompute"), st.integers(0, 3)),
    st.tuples(st.just("merge"), st.integers(0, 50), st.integers(0, 50)),
    st.tuples(st.just("investment"), st.integers(0, 2), st.sampled_from(["state_owned", ""])),
    st.tuples(st.just("fold")),
)


def _pick(items: list[Any], i: int) -> Any:
    return items[i % len(items)] if items else None


def apply(world: World, op: tuple[Any, ...], made: dict[str, list[Any]]) -> None:
    kind = op[0]
    complaints, cases = made["complaints"], made["cases"]
    if kind == "receive":
        _, county_i, dept_i, ind_i, channel, minutes = op
        county = world.counties[county_i] if county_i < 3 else None
        department = world.departments[dept_i] if county else None
        complaints.append(
            Complaint.objects.create(
                tracking_no=f"F{len(complaints):08d}",
                channel=channel,
                received_at=_moment(minutes),
                complainant_name="张三",
                complainant_phone="13812345678",
                employer_name="江城建工",
                city=county.city if county else world.city_b,
                county=county,
                department=department,
                industry=world.industries[ind_i] if ind_i < 3 else None,
                workers_owed=2,
                amount_owed=Decimal("100.00"),
                facts="工资未发",
                status="signed" if county else "pending_dispatch",
            )
        )
    elif kind == "accept":
        _, c_i, minutes, triage, project_i, owed, workers = op
        source = _pick([c for c in complaints if c.county_id and not c.case_id], c_i)
        if source is None:
            return
        case = Case.objects.create(
            county_id=source.county_id,
            department_id=source.department_id,
            owner=world.users["inspector"],
            employer_name="江城建工",
            workers_owed=workers,
            amount_owed=owed,
            state="accepted",
            triage_class=triage,
            project=world.projects[project_i] if project_i < 3 else None,
            accepted_at=_moment(minutes),
            channel=source.channel,
            industry_id=source.industry_id,
        )
        Complaint.objects.filter(pk=source.pk).update(case=case)
        source.case_id = case.pk
        cases.append(case)
    elif kind == "close":
        _, c_i, later, outcome, on_time, days, satisfaction, share = op
        case = _pick(cases, c_i)
        if case is None:
            return
        case.refresh_from_db()
        case.state = "closed"
        case.closed_at = (case.accepted_at or _moment(0)) + dt.timedelta(minutes=later)
        case.outcome = outcome
        case.closed_on_time = on_time
        case.working_days_taken = days
        case.satisfaction = satisfaction
        case.recovered_amount = (case.amount_owed * share / 100).quantize(Decimal("0.01"))
        case.save()
    elif kind == "reopen":
        case = _pick(cases, op[1])
        if case is None:
            return
        Case.objects.filter(pk=case.pk, state="closed").update(
            state="filed", closed_on_time=None, reopened_count=1
        )
    elif kind == "pay":
        _, c_i, days, amount, workers, payer = op
        case = _pick(cases, c_i)
        if case is None:
            return
        entry = CaseEntry.objects.create(case=case, kind="payment", at=_moment(days * 1440))
        CasePayment.objects.create(
            case=case,
            entry=entry,
            paid_on=(START + dt.timedelta(days=days)).date(),
            amount=amount,
            workers_paid=workers,
            payer=payer,
        )
    elif kind == "payer":
        payment = _pick(list(CasePayment.objects.order_by("pk")), op[1])
        if payment is not None:
            CasePayment.objects.filter(pk=payment.pk).update(payer=op[2], fund_repaid=0)
    elif kind == "entry":
        _, c_i, entry_kind, minutes = op
        case = _pick(cases, c_i)
        if case is not None:
            CaseEntry.objects.create(case=case, kind=entry_kind, at=_moment(minutes))
    elif kind == "delete_entry":
        entry = CaseEntry.objects.filter(payment__isnull=True).order_by("pk")
        found = list(entry[op[1] % 5 : op[1] % 5 + 1])
        if found:
            found[0].delete()
    elif kind == "move":
        _, c_i, dept_i, ind_i = op
        case = _pick(cases, c_i)
        if case is None:
            return
        department = world.departments[dept_i]
        Case.objects.filter(pk=case.pk).update(
            county=department.county or world.counties[0],
            department=department,
            industry=world.industries[ind_i] if ind_i < 3 else None,
        )
    elif kind == "recompute":
        # What a calendar change does: working days and on-time recomputed in bulk.
        Case.objects.filter(state="closed", working_days_taken__isnull=False).update(
            working_days_taken=op[1] * 3, closed_on_time=op[1] % 2 == 0
        )
    elif kind == "merge":
        a, b = _pick(complaints, op[1]), _pick(complaints, op[2])
        if a is not None and b is not None and a.pk != b.pk:
            Complaint.objects.filter(pk=a.pk).update(merged_into=b, status="merged")
    elif kind == "investment":
        Project.objects.filter(pk=world.projects[op[1]].pk).update(investment_type=op[2])
    elif kind == "fold":
        facts.fold()
    elif kind in ("clock", "complaint_clock"):
        subject = _pick(cases if kind == "clock" else complaints, op[1])
        if subject is None:
            return
        clock_kind = f"case.{op[2]}" if kind == "clock" else "complaint.dispatch"
        due = NOW + dt.timedelta(minutes=op[-1])
        running = Deadline.objects.for_subject(subject).filter(kind=clock_kind)
        if clock_kind != RESPOND:
            running = running.filter(state__in=["open", "paused"])
        # A case has one response clock, started when it is opened (never a second: the
        # response figures count cases).
        if not running.exists():
            Deadline.objects.create(
                content_type=ContentType.objects.get_for_model(subject),
                object_id=subject.pk,
                kind=clock_kind,
                county_id=subject.county_id,
                department_id=subject.department_id,
                started_on=(due - dt.timedelta(days=20)).date(),
                working_days=10,
                due_date=due.date(),
                due_at=due,
            )
    elif kind == "clock_state":
        clock = _pick(list(Deadline.objects.order_by("pk")), op[1])
        if clock is None:
            return
        state = op[2]
        if state in ("open", "paused"):
            others = Deadline.objects.filter(
                content_type_id=clock.content_type_id,
                object_id=clock.object_id,
                kind=clock.kind,
                state__in=["open", "paused"],
            ).exclude(pk=clock.pk)
            if others.exists():
                return  # one running clock of a kind per subject (constraint)
        ended = NOW + dt.timedelta(minutes=op[3] if len(op) > 3 else 0)
        Deadline.objects.filter(pk=clock.pk).update(
            state=state,
            closed_at=None if state in ("open", "paused") else ended,
            paused_at=NOW if state == DeadlineState.PAUSED else None,
        )
    elif kind == "clock_shift":
        # What a calendar change does to the running clocks: due times recomputed in bulk.
        Deadline.objects.filter(state__in=["open", "paused"]).update(
            due_at=F("due_at") + dt.timedelta(minutes=op[1])
        )
    elif kind == "clock_delete":
        clock = _pick(list(Deadline.objects.order_by("pk")), op[1])
        if clock is not None:
            clock.delete()


PERIODS = [
    periods.year(2026),
    periods.month(2026, 11),
    periods.quarter(2026, 1),
    Period("custom", dt.date(2025, 12, 17), dt.date(2026, 3, 4)),
    Period("custom", dt.date(2026, 2, 1), dt.date(2026, 2, 1)),
]


def _raw(rows: dict[Any, dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    """Raw figures without the empty ones (a live Sum over no rows is None, a fact 0)."""
    out = {}
    for unit, values in rows.items():
        kept = {k: Decimal(v).normalize() for k, v in values.items() if v}
        if kept:
            out[unit] = kept
    return out


def _board(user: Any, filters: Filters, dim: str, *, live: bool) -> Any:
    with override_settings(REPORTING_FACTS=not live):
        board = dashboard(user=user, filters=filters, dim=dim, now=NOW)
        # The raw figures too, not only the rates derived from them.
        raw = [_raw(r) for r in _rollups(user=user, filters=filters, dim=dim, now=NOW)]
    units = [
        (u.id, u.code, u.values, u.previous, u.last_year, u.avg_days_change, u.rank)
        for u in board.units
    ]
    total = (board.total.values, board.total.previous, board.total.last_year)
    return raw, units, total, board.breakdowns, board.trend, board.overdue_units


def _views(world: World) -> list[tuple[str, Filters, str]]:
    a1, a2 = world.counties[0], world.counties[1]
    out: list[tuple[str, Filters, str]] = []
    for i, period in enumerate(PERIODS):
        out.append(("province", Filters(period), "city"))
        out.append(("province", Filters(period), "county"))
        out.append(("city_a", Filters(period, city_id=world.city_a.pk), "county"))
        out.append(("county_a1", Filters(period, county_id=a1.pk), "department"))
        if i < 2:
            out.append(("inspector", Filters(period), "department"))
            out.append(("city_housing", Filters(period), "county"))
            out.append(("province", Filters(period, industry_id=world.industries[i].pk), "county"))
            out.append(("city_a", Filters(period, channel="hotline_12345"), "department"))
            out.append(
                (
                    "province",
                    Filters(
                        period,
                        county_id=a2.pk,
                        department_id=world.departments[3].pk,
                        channel="web_form",
                    ),
                    "department",
                )
            )
    out.append(("province", Filters(PERIODS[3], industry_id=world.industries[1].pk), "city"))
    return out


@pytest.mark.django_db
@settings(
    # FACTS_EXAMPLES=200 for a longer search by hand; CI runs the same 10 every time.
    max_examples=int(os.environ.get("FACTS_EXAMPLES", "10")),
    deadline=None,
    derandomize=True,
    # No shrinking: a failure prints its history as found (shrinking one takes minutes).
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    received=st.lists(RECEIVE, min_size=3, max_size=15),
    accepted=st.lists(ACCEPT, min_size=1, max_size=12),
    clocks=st.lists(CLOCK, max_size=12),
    ended=st.lists(CLOCK_STATE, max_size=8),
    closed=st.lists(CLOSE, max_size=10),
    rest=st.lists(OPS, min_size=3, max_size=30),
)
def test_every_figure_from_the_facts_equals_the_live_computation(
    received: list[Any],
    accepted: list[Any],
    clocks: list[Any],
    ended: list[Any],
    closed: list[Any],
    rest: list[Any],
) -> None:
    # Receipts, then cases and their clocks, then closings, then anything in any order (a
    # list of any operation alone seldom reaches a closed case or an overdue one).
    history = received + accepted + clocks + ended + closed + rest
    with transaction.atomic():
        world = World()
        made: dict[str, list[Any]] = {"complaints": [], "cases": []}
        for op in history:
            apply(world, op, made)
        for who, filters, dim in _views(world):
            user = world.users[who]
            from_facts = _board(user, filters, dim, live=False)
            assert from_facts == _board(user, filters, dim, live=True), (who, filters, dim)
        assert facts.rebuild(write=False) == []
        transaction.set_rollback(True)


@pytest.fixture
def world(db: Any) -> World:
    return World()


def _receive(world: World, when: dt.datetime, county: int = 0) -> Complaint:
    made: dict[str, list[Any]] = {"complaints": list(Complaint.objects.all()), "cases": []}
    minutes = int((when - START).total_seconds() // 60)
    apply(world, ("receive", county, county * 2, 0, "web_form", minutes), made)
    return made["complaints"][-1]


def test_a_write_leaves_a_delta_and_the_fold_moves_it(world: World) -> None:
    _receive(world, timezone.make_aware(dt.datetime(2026, 11, 3, 0, 30)))
    assert FactDelta.objects.count() == 1
    delta = FactDelta.objects.get()
    # Half past midnight in Beijing is the previous evening in UTC: counted on its local day.
    assert delta.day == dt.date(2026, 11, 3)
    assert delta.received == 1 and delta.received_ch_web_form == 1
    assert facts.fold() == 1
    assert FactDelta.objects.count() == 0
    cells = {(f.grain, f.level, f.day): f.received for f in Fact.objects.all()}
    assert cells == {
        ("D", 0, dt.date(2026, 11, 3)): 1,
        ("D", 1, dt.date(2026, 11, 3)): 1,
        ("M", 0, dt.date(2026, 11, 1)): 1,
        ("M", 1, dt.date(2026, 11, 1)): 1,
    }
    # Folding again finds nothing: idempotent.
    assert facts.fold() == 0
    assert Fact.objects.get(grain="M", level=0).received == 1


def test_an_update_that_changes_no_figure_writes_no_delta(world: World) -> None:
    complaint = _receive(world, timezone.make_aware(dt.datetime(2026, 11, 3, 10)))
    facts.fold()
    Complaint.objects.filter(pk=complaint.pk).update(facts="补充说明", employer_name="另一单位")
    assert FactDelta.objects.count() == 0


def test_a_rolled_back_write_leaves_nothing(world: World) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        _receive(world, timezone.make_aware(dt.datetime(2026, 11, 3, 10)))
        raise RuntimeError
    assert FactDelta.objects.count() == 0


def test_rebuild_finds_and_corrects_a_tampered_cell(world: World) -> None:
    _receive(world, timezone.make_aware(dt.datetime(2026, 11, 3, 10)))
    facts.fold()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reporting_fact SET received = 5 WHERE grain = 'M' AND level = 0")
    found = facts.rebuild(dt.date(2026, 11, 1), dt.date(2026, 11, 30), write=False)
    assert [(d.grain, d.level, d.column, d.stored, d.computed) for d in found] == [
        ("M", 0, "received", 5, 1)
    ]
    assert Fact.objects.get(grain="M", level=0).received == 5  # only reported
    assert len(facts.rebuild(dt.date(2026, 11, 1), dt.date(2026, 11, 30))) == 1
    assert Fact.objects.get(grain="M", level=0).received == 1
    assert facts.rebuild(write=False) == []


def test_the_command_checks_and_rebuilds(world: World, capsys: Any) -> None:
    _receive(world, timezone.make_aware(dt.datetime(2026, 11, 3, 10)))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reporting_factdelta SET received = 2")
    with pytest.raises(SystemExit) as exited:
        call_command("facts", "--check", "--from", "2026-11", "--to", "2026-11")
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert "received" in out and "2026-11" in out
    call_command("facts", "--rebuild", "--from", "2026-11", "--to", "2026-11")
    call_command("facts", "--check")
    assert "0" in capsys.readouterr().out


def _overdue(world: World, *, live: bool) -> tuple[int, list[tuple[Any, Any, int]]]:
    board = _board(world.users["province"], Filters(PERIODS[1]), "county", live=live)
    units = [(u["county_id"], u["department_id"], u["n"]) for u in board[5]]
    return board[2][0]["overdue"], units


def test_overdue_cases_are_the_days_before_today_from_the_facts_and_today_live(
    world: World,
) -> None:
    made: dict[str, list[Any]] = {"complaints": [], "cases": []}
    for i in range(6):
        apply(world, ("receive", 0, 0, 0, "web_form", 600 * 24 * 60 + i), made)
        apply(world, ("accept", i, 600 * 24 * 60, "ordinary", 0, Decimal("10"), 2), made)
    # Due at the end of yesterday, today before NOW (noon), today after NOW, tomorrow; a paused
    # clock past due; a case with two clocks, both past due (counted once).
    for i, minutes, kind in [
        (0, -12 * 60, "close"),  # at the end of yesterday: midnight
        (1, -30, "close"),
        (2, 30, "close"),
        (3, 1440, "close"),
        (4, -3000, "close"),
        (5, -3000, "accept"),
        (5, -60, "close"),
    ]:
        apply(world, ("clock", i, kind, minutes), made)
    apply(world, ("clock_state", 4, "paused"), made)
    facts.fold()
    # Cases 0 (yesterday: from the facts), 1 (today before noon: live) and 5.
    assert _overdue(world, live=False) == _overdue(world, live=True)
    assert _overdue(world, live=False)[0] == 3
    day = Fact.objects.filter(grain="D", level=0, open_due__gt=0).values_list("day", "open_due")
    assert sorted(day) == [
        (dt.date(2026, 11, 28), 1),  # case 5: its earliest clock
        (dt.date(2026, 11, 29), 1),
        (dt.date(2026, 11, 30), 2),
        (dt.date(2026, 12, 1), 1),
    ]
    # The sweep's bookkeeping (reminded, escalated) changes no figure and writes no delta.
    Deadline.objects.update(reminded_at=NOW, escalation_level=1)
    assert FactDelta.objects.count() == 0
    # Closing the case closes its clock: the case leaves the figure.
    case = made["cases"][0]
    Case.objects.filter(pk=case.pk).update(state="closed", closed_at=NOW, outcome="paid_in_full")
    assert _overdue(world, live=False)[0] == 2 == _overdue(world, live=True)[0]


@pytest.mark.parametrize(("hour", "expected"), [(9, 1), (17, 1), (18, 3), (0, 1)])
def test_overdue_at_every_hour_of_a_day_of_clocks_due_at_the_end_of_the_working_day(
    world: World, hour: int, expected: int
) -> None:
    made: dict[str, list[Any]] = {"complaints": [], "cases": []}
    for i in range(4):
        apply(world, ("receive", 0, 0, 0, "web_form", 600 * 24 * 60 + i), made)
        apply(world, ("accept", i, 600 * 24 * 60, "ordinary", 0, Decimal("10"), 2), made)
    # 17:30 yesterday, 17:30 today (twice), 17:30 tomorrow — as the calendar sets due times.
    for i, minutes in enumerate([-1110, 330, 330, 1770]):
        apply(world, ("clock", i, "close", minutes), made)
    facts.fold()
    now = NOW.replace(hour=hour, minute=0)
    user, filters = world.users["province"], Filters(PERIODS[1])

    def overdue(live: bool) -> int:
        with override_settings(REPORTING_FACTS=not live):
            return dashboard(user=user, filters=filters, dim="county", now=now).total.values[
                "overdue"
            ]

    assert overdue(live=False) == overdue(live=True) == expected


def test_response_clocks_count_when_they_end_and_move_with_their_case(world: World) -> None:
    made: dict[str, list[Any]] = {"complaints": [], "cases": []}
    for i in range(3):
        apply(world, ("receive", 0, 0, 0, "web_form", 400 * 24 * 60 + i), made)
        apply(world, ("accept", i, 400 * 24 * 60, "ordinary", 0, Decimal("10"), 2), made)
        apply(world, ("clock", i, "respond", 0), made)
    clocks = list(Deadline.objects.filter(kind=RESPOND).order_by("pk"))
    # In time, late, and one cancelled (no response); a reminder writes no figure.
    apply(world, ("clock_state", 0, "met", -1440), made)
    apply(world, ("clock_state", 1, "missed", -1440), made)
    apply(world, ("clock_state", 2, "cancelled", -1440), made)
    Deadline.objects.update(reminded_at=NOW)
    user, filters = world.users["province"], Filters(PERIODS[1])

    def figures(live: bool) -> tuple[Any, Any]:
        with override_settings(REPORTING_FACTS=not live):
            total = dashboard(user=user, filters=filters, dim="county", now=NOW).total.values
        return total["responded"], total["response_rate"]

    assert figures(live=False) == figures(live=True) == (2, Decimal("0.5000"))
    facts.fold()
    # The case answered in time moves to another county; the late one's clock is reopened;
    # then a clock is deleted.
    apply(world, ("move", 0, 4, 0), made)
    by_county = dashboard(user=user, filters=filters, dim="county", now=NOW)
    assert {u.id: u.values["responded"] for u in by_county.units if u.values["responded"]} == {
        world.counties[2].pk: 1,
        world.counties[0].pk: 1,
    }
    apply(world, ("clock_state", 1, "open"), made)
    assert figures(live=False) == figures(live=True) == (1, Decimal("1.0000"))
    clocks[0].delete()
    assert figures(live=False) == figures(live=True) == (0, None)
    assert facts.rebuild(write=False) == []
