"""The assessment (考核) of a small city scored by hand: three counties, the third quarter of
2026, every record placed so each indicator and its points can be counted on paper (the
arithmetic is beside each expectation). Then another scheme from the database, finalising and
its immutability, the pages' scope and the export job."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from arrears import jobs as arrears_jobs
from arrears.models import City, County, Deadline, DepartmentKind, Industry, Job, Role, User
from arrears.reference import ensure_industries
from complaints.cases.services import RESPOND
from complaints.models import Case
from projects.models import (
    ChecklistItem,
    Finding,
    Inspection,
    Project,
    RectificationOrder,
    Warning,
)
from reporting import periods
from reporting.assessment import scoring
from reporting.assessment.services import assessment_finalise
from reporting.models import (
    AssessmentIndicator,
    AssessmentResult,
    AssessmentScheme,
    AssessmentScore,
)
from tests.conftest import TwoCities
from tests.factories import CountyFactory, DepartmentFactory, UserFactory
from tests.reporting.conftest import at, case

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates

Q3 = periods.quarter(2026, 3)  # 1 July – 30 September 2026
NOW = at(2026, 10, 15, 12)  # "now" for the snapshot indicators (overdue, backlog, coverage)
D = Decimal
CORE = ["real_name", "wage_account", "bank_payment", "deposit", "monitoring"]


@dataclass(frozen=True)
class SmallCity:
    city: City
    a: County
    b: County
    c: County
    office: User
    official_a: User
    official_b: User
    inspector_a: User
    a3: Case  # open and overdue in county A
    a5: Case  # the same


def _clock(subject: Any, kind: str, state: str, due: dt.datetime, closed: Any = None) -> None:
    """A clock placed by hand: due at `due`, in `state` (closed at `closed`)."""
    Deadline.objects.create(
        content_type=ContentType.objects.get_for_model(subject),
        object_id=subject.pk,
        kind=kind,
        county=subject.county if isinstance(subject, Case) else subject.finding.inspection.county,
        department=(
            subject.department
            if isinstance(subject, Case)
            else subject.finding.inspection.department
        ),
        started_on=due.date() - dt.timedelta(days=3),
        working_days=1,
        due_date=due.date(),
        due_at=due,
        state=state,
        closed_at=closed,
    )


def _responded(c: Case, on_time: bool) -> None:
    assert c.accepted_at is not None
    due = c.accepted_at + dt.timedelta(days=1)
    closed = due - dt.timedelta(hours=2) if on_time else due + dt.timedelta(days=2)
    _clock(c, RESPOND, "met" if on_time else "missed", due, closed)


def _closed(county: County, dept: Any, owner: User, accepted: dt.datetime, **kw: Any) -> Case:
    return case(county, dept, owner, accepted, state="closed", outcome="paid_in_full", **kw)


@pytest.fixture
def small_city(db: Any) -> SmallCity:
    ensure_industries(Industry)
    housing = Industry.objects.get(code="housing")
    a = CountyFactory.create(code="369902", name="东湖区", short_name="东湖")
    b = CountyFactory.create(code="369903", name="西江区", short_name="西江")
    c = CountyFactory.create(code="369904", name="南山区", short_name="南山")
    depts = {x: DepartmentFactory.create(county=x, kind=DepartmentKind.HRSS) for x in (a, b, c)}
    owner = {
        x: UserFactory.create(role=Role.INSPECTOR, county=x, department=depts[x]) for x in depts
    }

    # County A. Accepted in Q3: A1, A2 (closed), A3, A4, A5 (open).
    a1 = _closed(
        a,
        depts[a],
        owner[a],
        at(2026, 7, 6),
        closed_at=at(2026, 7, 20),
        closed_on_time=True,
        working_days_taken=10,
        amount_owed=D("10000"),
        recovered_amount=D("10000"),
        satisfaction=5,
    )
    a2 = _closed(
        a,
        depts[a],
        owner[a],
        at(2026, 8, 3),
        closed_at=at(2026, 9, 10),
        closed_on_time=False,
        working_days_taken=27,
        amount_owed=D("20000"),
        recovered_amount=D("10000"),
        satisfaction=3,
    )
    a3 = case(a, depts[a], owner[a], at(2026, 9, 1))
    _clock(a3, "case.close", "open", at(2026, 9, 30, 17, 30))  # overdue now
    a4 = case(a, depts[a], owner[a], at(2026, 9, 15))
    _clock(a4, "case.close", "open", at(2026, 10, 30, 17, 30))  # not yet due
    a5 = case(a, depts[a], owner[a], at(2026, 7, 1))
    _clock(a5, "case.close", "open", at(2026, 8, 3, 17, 30))  # overdue now
    for c_, on_time in ((a1, True), (a2, True), (a3, False), (a4, True), (a5, True)):
        _responded(c_, on_time)
    # A0: accepted in May, still open (due after now): the backlog is not cleared.
    a0 = case(a, depts[a], owner[a], at(2026, 5, 10))
    _clock(a0, "case.close", "open", at(2026, 11, 30, 17, 30))
    # Projects: PA1 has the five core systems, PA2 none.
    pa1 = Project.objects.create(code="PA1", name="东湖一号", county=a, industry=housing)
    Project.objects.create(code="PA2", name="东湖二号", county=a, industry=housing)
    for item in CORE:
        ChecklistItem.objects.create(project=pa1, item=item, state="compliant")
    # Warnings raised in Q3: one resolved, one still open; one raised in June (not counted).
    Warning.objects.create(
        project=pa1,
        rule="no_wages_2m",
        level="red",
        county=a,
        detail="x",
        opened_at=at(2026, 7, 2),
        state="resolved",
        resolved_at=at(2026, 7, 9),
        disposition="resolved",
    )
    Warning.objects.create(
        project=pa1,
        rule="fewer_paid",
        level="yellow",
        county=a,
        detail="x",
        opened_at=at(2026, 8, 2),
    )
    Warning.objects.create(
        project=pa1,
        rule="below_minimum",
        level="yellow",
        county=a,
        detail="x",
        opened_at=at(2026, 6, 2),
    )
    # A rectification order issued 1 Sep, still running past its due time: overdue.
    insp = Inspection.objects.create(
        project=pa1,
        inspected_on=dt.date(2026, 9, 1),
        county=a,
        inspector=owner[a],
        department=depts[a],
    )
    finding = Finding.objects.create(inspection=insp, item="deposit", description="未存保证金")
    order = RectificationOrder.objects.create(
        finding=finding, working_days=3, issued_on=dt.date(2026, 9, 1)
    )
    _clock(order, "rectification", "open", at(2026, 9, 4, 17, 30))

    # County B: one case, closed on time, everything recovered, rated 5; a compliant project.
    b1 = _closed(
        b,
        depts[b],
        owner[b],
        at(2026, 7, 10),
        closed_at=at(2026, 7, 30),
        closed_on_time=True,
        working_days_taken=14,
        amount_owed=D("50000"),
        recovered_amount=D("50000"),
        satisfaction=5,
    )
    _responded(b1, True)
    pb1 = Project.objects.create(code="PB1", name="西江一号", county=b, industry=housing)
    for item in CORE:
        ChecklistItem.objects.create(project=pb1, item=item, state="compliant")

    # County C: C1 closed in Q3 on time (8,000 of 10,000 recovered, not rated); C2 accepted in
    # Q3 and closed on 9 October (after the quarter); C3 accepted in June, open and overdue.
    c1 = _closed(
        c,
        depts[c],
        owner[c],
        at(2026, 8, 10),
        closed_at=at(2026, 9, 18),
        closed_on_time=True,
        working_days_taken=28,
        amount_owed=D("10000"),
        recovered_amount=D("8000"),
    )
    c2 = _closed(
        c,
        depts[c],
        owner[c],
        at(2026, 9, 1),
        closed_at=at(2026, 10, 9),
        closed_on_time=False,
        working_days_taken=24,
        amount_owed=D("10000"),
        recovered_amount=D("0"),
    )
    _responded(c1, True)
    _responded(c2, False)
    c3 = case(c, depts[c], owner[c], at(2026, 6, 20))
    _clock(c3, "case.close", "open", at(2026, 7, 10, 17, 30))
    pc1 = Project.objects.create(
        code="PC1", name="南山一号", county=c, industry=housing, status="completed"
    )  # not in construction: no coverage
    Warning.objects.create(
        project=pc1,
        rule="no_wages_2m",
        level="red",
        county=c,
        detail="x",
        opened_at=at(2026, 7, 1),
        state="resolved",
        resolved_at=at(2026, 7, 5),
        disposition="resolved",
    )
    insp_c = Inspection.objects.create(
        project=pc1,
        inspected_on=dt.date(2026, 8, 3),
        county=c,
        inspector=owner[c],
        department=depts[c],
    )
    met = RectificationOrder.objects.create(
        finding=Finding.objects.create(inspection=insp_c, item="deposit", description="x"),
        working_days=3,
        issued_on=dt.date(2026, 8, 3),
    )
    _clock(met, "rectification", "met", at(2026, 8, 6, 17, 30), at(2026, 8, 5))

    return SmallCity(
        city=a.city,
        a=a,
        b=b,
        c=c,
        office=UserFactory.create(city_office=True, city=a.city),
        official_a=UserFactory.create(role=Role.COUNTY_OFFICIAL, county=a),
        official_b=UserFactory.create(role=Role.COUNTY_OFFICIAL, county=b),
        inspector_a=owner[a],
        a3=a3,
        a5=a5,
    )


def _compute(user: User, city: City) -> scoring.Assessment:
    return scoring.compute(user=user, period=Q3, dim="county", city=city, now=NOW)


def _table(a: scoring.Assessment) -> dict[str, dict[str, tuple[Any, Decimal]]]:
    return {u.name: {i.key: (i.value, i.points) for i in u.items} for u in a.units}


def test_the_default_scheme_scored_by_hand(small_city: SmallCity) -> None:
    # when
    result = _compute(small_city.office, small_city.city)
    # then
    table = _table(result)
    assert table["东湖区"] == {
        "on_time_rate": (D("0.5000"), D("10.00")),  # A1 on time, A2 late: 20 × 0.5
        "closure_rate": (D("0.4000"), D("6.00")),  # A1, A2 of A1–A5: 15 × 0.4
        # (10,000 + 10,000) / (10,000 + 20,000) = 0.6667; 15 × 0.6667 = 10.0005
        "recovery_rate": (D("0.6667"), D("10.00")),
        "response_rate": (D("0.8000"), D("8.00")),  # A3 late of five: 10 × 0.8
        "core_coverage": (D("0.5000"), D("7.50")),  # PA1 of PA1, PA2: 15 × 0.5
        "warnings_resolution_rate": (D("0.5000"), D("5.00")),  # one of two raised in Q3
        "satisfaction": (D("4.00"), D("4.00")),  # (5 + 3) / 2 = 4; 5 × 4 / 5
        "backlog": (1, D("0.00")),  # A0, accepted in May, still open
        "overdue": (2, D("-2.00")),  # A3, A5: 1 point each
        "orders_overdue": (1, D("-1.00")),
    }
    assert table["西江区"] == {
        "on_time_rate": (D("1.0000"), D("20.00")),
        "closure_rate": (D("1.0000"), D("15.00")),
        "recovery_rate": (D("1.0000"), D("15.00")),
        "response_rate": (D("1.0000"), D("10.00")),
        "core_coverage": (D("1.0000"), D("15.00")),
        "warnings_resolution_rate": (None, D("10.00")),  # none raised: nothing to fail
        "satisfaction": (D("5.00"), D("5.00")),
        "backlog": (0, D("10.00")),
        "overdue": (0, D("0.00")),
        "orders_overdue": (0, D("0.00")),
    }
    assert table["南山区"] == {
        "on_time_rate": (D("1.0000"), D("20.00")),  # C1 (C2 closed in October)
        "closure_rate": (D("1.0000"), D("15.00")),  # C1 and C2 accepted in Q3, both closed
        "recovery_rate": (D("0.8000"), D("12.00")),  # C1: 8,000 / 10,000; 15 × 0.8
        "response_rate": (D("0.5000"), D("5.00")),  # C2 late
        "core_coverage": (None, D("15.00")),  # no project in construction
        "warnings_resolution_rate": (D("1.0000"), D("10.00")),
        "satisfaction": (None, D("5.00")),  # nobody rated C1
        "backlog": (1, D("0.00")),  # C3, accepted in June
        "overdue": (1, D("-1.00")),  # C3
        "orders_overdue": (0, D("0.00")),  # met in time
    }
    totals = [(u.name, u.total, u.grade, u.rank) for u in result.units]
    assert totals == [
        ("西江区", D("100.00"), "A", 1),
        # 20 + 15 + 12 + 5 + 15 + 10 + 5 + 0 − 1
        ("南山区", D("81.00"), "B", 2),
        # 10 + 6 + 10 + 8 + 7.5 + 5 + 4 + 0 − 2 − 1
        ("东湖区", D("47.50"), "C", 3),
    ]


def test_a_city_scheme_from_the_database(small_city: SmallCity) -> None:
    # given: the city's own 2026 scheme, an on-time target of 80% and a capped deduction
    scheme = AssessmentScheme.objects.create(
        year=2026, city=small_city.city, name="江城市2026年考核办法", grade_a_min=80, grade_b_min=50
    )
    AssessmentIndicator.objects.create(
        scheme=scheme, key="on_time_rate", kind="score", weight=60, target=D("0.8")
    )
    AssessmentIndicator.objects.create(scheme=scheme, key="backlog", kind="clearance", weight=40)
    AssessmentIndicator.objects.create(
        scheme=scheme, key="overdue", kind="deduction", per_unit=4, cap=5
    )
    # the province's scheme of the year does not apply to a city with its own
    AssessmentScheme.objects.create(year=2026, name="省", grade_a_min=99, grade_b_min=98)
    # when
    result = _compute(small_city.office, small_city.city)
    # then
    assert [(u.name, u.total, u.grade) for u in result.units] == [
        ("西江区", D("100.00"), "A"),  # 60 + 40
        ("南山区", D("56.00"), "B"),  # 60 (100% ≥ 80%) + 0 − 4
        ("东湖区", D("32.50"), "C"),  # 60 × 0.5 / 0.8 = 37.50; + 0; − min(2 × 4, 5)
    ]


def test_a_county_official_sees_their_own_county_without_a_rank(small_city: SmallCity) -> None:
    mine = _compute(small_city.official_a, small_city.city)
    assert [(u.name, u.total, u.rank) for u in mine.units] == [("东湖区", D("47.50"), None)]


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_finalised_results_do_not_change_with_the_records(small_city: SmallCity) -> None:
    # given: Q3 finalised on 15 October
    result = assessment_finalise(user=small_city.office, period=Q3, city=small_city.city, now=NOW)
    scores = {s.name: s for s in AssessmentScore.objects.filter(result=result)}
    assert (scores["东湖区"].total, scores["东湖区"].grade, scores["东湖区"].rank) == (
        D("47.50"),
        "C",
        3,
    )
    overdue = next(i for i in scores["东湖区"].indicators if i["key"] == "overdue")
    assert overdue["row_ids"] == sorted([small_city.a3.pk, small_city.a5.pk])
    assert overdue["rows_total"] == 2
    assert result.finalised_by == small_city.office
    # when: A's overdue case is closed afterwards
    Case.objects.filter(pk=small_city.a3.pk).update(
        state="closed", closed_at=NOW, outcome="paid_in_full"
    )
    # then: the page shows the saved result, the live figure has moved
    saved = scoring.assessment(
        user=small_city.office, period=Q3, dim="county", city=small_city.city
    )
    assert saved.result == result
    assert next(u for u in saved.units if u.name == "东湖区").total == D("47.50")
    live = _compute(small_city.office, small_city.city)
    # one overdue case fewer (+1) and A3 closed: closure 3 of 5 (15 × 0.6 = 9.00, +3)
    assert next(u for u in live.units if u.name == "东湖区").total == D("51.50")
    # a saved result is never edited, and a period is finalised once
    with pytest.raises(ValidationError):
        result.save()
    score = scores["东湖区"]
    score.total = D("99")
    with pytest.raises(ValidationError):
        score.save()
    with pytest.raises(ValidationError):
        assessment_finalise(user=small_city.office, period=Q3, city=small_city.city, now=NOW)
    assert AssessmentResult.objects.count() == 1
    # the page says so, lists it in the history, and the rows are the ones counted then
    body = _client(small_city.office).get(f"/reports/assessment/?period={Q3.code}").content
    assert "已定稿".encode() in body
    # a county official sees their own saved score and the history, nothing of the others
    mine = _client(small_city.official_a).get(f"/reports/assessment/?period={Q3.code}")
    text = mine.content.decode()
    assert "47.50" in text and "assessment-history" in text and "西江区" not in text
    rows = _client(small_city.office).get(
        "/reports/assessment/rows/",
        {"period": Q3.code, "unit": small_city.a.code, "indicator": "overdue"},
    )
    assert rows.status_code == 200
    assert small_city.a3.number
    assert small_city.a3.number in rows.content.decode()


def test_only_the_office_finalises_and_only_an_ended_period(small_city: SmallCity) -> None:
    with pytest.raises(PermissionDenied):
        assessment_finalise(user=small_city.official_a, period=Q3, city=small_city.city, now=NOW)
    with pytest.raises(ValidationError):
        assessment_finalise(
            user=small_city.office, period=periods.year(2026), city=small_city.city, now=NOW
        )
    with pytest.raises(PermissionDenied):  # the province's assessment is the province's
        assessment_finalise(user=small_city.office, period=Q3, city=None, now=NOW)


def test_the_pages(small_city: SmallCity) -> None:
    # The pages compute at the moment they are asked: that moment is NOW.
    with time_machine.travel(NOW, tick=False):
        _pages(small_city)


def _pages(small_city: SmallCity) -> None:
    office = _client(small_city.office)
    page = office.get(f"/reports/assessment/?period={Q3.code}")
    assert page.status_code == 200
    body = page.content.decode()
    assert "东湖区" in body and "西江区" in body and "47.50" in body
    detail = office.get(f"/reports/assessment/counties/{small_city.a.code}/?period={Q3.code}")
    assert detail.status_code == 200
    assert "47.50" in detail.content.decode()
    rows = office.get(
        "/reports/assessment/rows/",
        {"period": Q3.code, "unit": small_city.a.code, "indicator": "backlog"},
    )
    assert rows.status_code == 200
    # a month is not an assessment period; an unknown indicator is refused
    assert office.get("/reports/assessment/?period=2026-09").status_code == 400
    bad = {"period": Q3.code, "unit": small_city.a.code, "indicator": "nope"}
    assert office.get("/reports/assessment/rows/", bad).status_code == 400
    # a county official sees their county, not another; department staff are not assessed
    official = _client(small_city.official_a)
    mine = official.get(f"/reports/assessment/?period={Q3.code}").content.decode()
    assert "东湖区" in mine and "西江区" not in mine
    other = f"/reports/assessment/counties/{small_city.b.code}/?period={Q3.code}"
    assert official.get(other).status_code == 404
    assert _client(small_city.inspector_a).get("/reports/assessment/").status_code == 403


def test_the_export_runs_as_a_job(
    small_city: SmallCity, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    # when: the page's export link (the job runs in the test, at NOW)
    with time_machine.travel(NOW, tick=False), capture(execute=True):
        response = _client(small_city.office).get(f"/reports/assessment/export/?period={Q3.code}")
    # then
    assert response.status_code == 302
    job = Job.objects.get(owner=small_city.office, kind="reporting.assessment")
    assert response["Location"] == "/jobs/"
    job.refresh_from_db()
    assert job.state == "done", job.error
    sheets = load_workbook(job.result.path, read_only=True)
    scores = list(sheets["考核结果"].iter_rows(values_only=True))
    header = scores[1]
    assert header[:2] == ("排名", "单位") and header[-2:] == ("总分", "等级")
    assert scores[2][1] == "西江区" and scores[2][-2:] == (100, "A")
    assert scores[4][1] == "东湖区" and scores[4][-2:] == (47.5, "C")
    # the rows that cost points: A's two overdue cases
    overdue = list(sheets["逾期案件"].iter_rows(values_only=True))
    assert [r[0] for r in overdue[1:]].count("东湖区") == 2
    assert arrears_jobs.REGISTRY["reporting.assessment"].replica_reads


def test_the_province_scores_its_cities_and_a_city_only_its_own(two_cities: TwoCities) -> None:
    d = two_cities
    # the province office: one row per city
    province = scoring.compute(user=d.province_office, period=Q3, dim="city", city=None, now=NOW)
    assert [u.name for u in province.units] == [d.city_b.name, d.city_a.name]  # by code
    page = _client(d.province_office).get(f"/reports/assessment/?period={Q3.code}")
    assert page.status_code == 200 and d.city_b.name in page.content.decode()
    # city A's office sees its counties only and cannot reach or finalise city B's
    office = _client(d.city_office)
    body = office.get(f"/reports/assessment/?period={Q3.code}").content.decode()
    assert d.a.name in body and d.b.name not in body
    assert office.get(f"/reports/assessment/cities/{d.city_b.code}/").status_code == 404
    post = {"period": Q3.code, "city_code": d.city_b.code}
    assert office.post("/reports/assessment/finalise/", post).status_code == 404
    assert not AssessmentResult.objects.exists()


def test_the_page_takes_a_constant_number_of_queries(small_city: SmallCity) -> None:
    url = f"/reports/assessment/?period={Q3.code}"
    office = _client(small_city.office)
    with time_machine.travel(NOW, tick=False):
        office.get(url)  # warm caches (content types, configuration)
        with CaptureQueriesContext(connection) as before:
            assert office.get(url).status_code == 200
        # given: two more counties with records of their own
        for code in ("369905", "369906"):
            county = CountyFactory.create(code=code, name=f"新区{code}")
            dept = DepartmentFactory.create(county=county, kind=DepartmentKind.HRSS)
            owner = UserFactory.create(role=Role.INSPECTOR, county=county, department=dept)
            _responded(case(county, dept, owner, at(2026, 7, 7)), True)
        with CaptureQueriesContext(connection) as after:
            assert office.get(url).status_code == 200
    assert len(after.captured_queries) == len(before.captured_queries)
    assert len(before.captured_queries) <= 40


def test_finalising_from_the_page_runs_as_a_job(
    small_city: SmallCity, django_capture_on_commit_callbacks: Any
) -> None:
    office = _client(small_city.office)
    post = {"period": Q3.code, "city_code": small_city.city.code}
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = office.post("/reports/assessment/finalise/", post)
    assert response.status_code == 302
    job = Job.objects.get(kind="reporting.assessment_finalise")
    assert job.state == "done", job.error
    result = AssessmentResult.objects.get(city=small_city.city, period=Q3.code)
    assert job.report == {"result": result.pk, "period": "2026-Q3"}
    assert AssessmentScore.objects.get(result=result, county=small_city.a).total == D("47.50")
    # a second time is refused at once, without a job
    with time_machine.travel(NOW, tick=False):
        again = office.post("/reports/assessment/finalise/", post, follow=True)
    assert "已定稿" in again.content.decode()
    assert Job.objects.filter(kind="reporting.assessment_finalise").count() == 1
    # a county official may not
    official = _client(small_city.official_a)
    assert official.post("/reports/assessment/finalise/", post).status_code == 404
