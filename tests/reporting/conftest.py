"""A hand-built October 2026 for the dashboards: every record placed by hand so each figure can
be counted by hand (the expected figures are in test_metrics.py, with the arithmetic).

County A (东湖区): three complaints in October, one on each side of the month's edges; cases X
(closed 6 working days after filing, across National Day, on time), Y (closed late after 16
working days), Z (open and overdue now); projects with 5+3 checklists; warnings; an inspection
with two rectification orders (one met, one overdue) and a fine. County B (西江区): case W
(referred to arbitration, then closed late after 21 working days). Plus one complaint waiting
for city dispatch and, for the comparison, a case of county A closed in October 2025."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from arrears import deadlines
from arrears.models import County, Department, DepartmentKind, Industry, Role, User
from arrears.reference import ensure_industries
from complaints.cases import services
from complaints.models import Case, CaseEntry, Complaint
from projects.models import (
    ChecklistItem,
    Finding,
    Fine,
    Inspection,
    Project,
    RectificationOrder,
    Warning,
)
from tests.factories import CountyFactory, DepartmentFactory, UserFactory

# "Now" for the snapshot figures (open and overdue): the last day of November 2026.
NOW = timezone.make_aware(dt.datetime(2026, 11, 30, 12, 0))


def at(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, h, minute))


def clock(when: dt.datetime) -> Any:
    """Runs service calls as if at a given moment."""
    return mock.patch("django.utils.timezone.now", return_value=when)


_n = 0


def complaint(county: Any, department: Any, received: dt.datetime, channel: str, **kw: Any) -> Any:
    global _n
    _n += 1
    data: dict[str, Any] = {
        "tracking_no": f"TEST{_n:06d}",
        "channel": channel,
        "received_at": received,
        "complainant_name": "张三",
        "complainant_phone": "13812345678",
        "employer_name": "江城建工集团有限公司",
        "county": county,
        "department": department,
        "workers_owed": 3,
        "amount_owed": Decimal("9000.00"),
        "facts": "工资未发",
        "status": "signed" if county else "pending_dispatch",
    }
    data.update(kw)
    return Complaint.objects.create(**data)


def case(county: Any, department: Any, owner: Any, accepted: dt.datetime | None, **kw: Any) -> Case:
    data: dict[str, Any] = {
        "county": county,
        "department": department,
        "owner": owner,
        "employer_name": "江城建工集团有限公司",
        "workers_owed": 5,
        "amount_owed": Decimal("30000.50"),
        "state": "accepted",
        "triage_class": "ordinary",
        "suggested_class": "ordinary",
        "accepted_at": accepted,
        "created_at": accepted or NOW,
        "channel": "hotline_12345",
    }
    data.update(kw)
    c = Case.objects.create(**data)
    c.number = f"AJ2026{c.pk:07d}"
    c.save(update_fields=["number"])
    return c


@dataclass(frozen=True)
class October:
    """The hand-built month's places, people and cases X, Y, Z, W (see the module's doc)."""

    a: County
    b: County
    a_hrss: Department
    a_housing: Department
    b_hrss: Department
    office: User
    official_a: User
    official_b: User
    inspector_a: User
    housing_a: User
    x: Case
    y: Case
    z: Case
    w: Case

    def user(self, name: str) -> User:
        """One of the people by name, for tests parametrized over who looks."""
        found = getattr(self, name)
        assert isinstance(found, User), name
        return found


@pytest.fixture
def october(db: Any, calendar_2026: Any) -> October:
    ensure_industries(Industry)
    housing_industry = Industry.objects.get(code="housing")
    a = CountyFactory.create(code="369902", name="东湖区", short_name="东湖")
    b = CountyFactory.create(code="369903", name="西江区", short_name="西江")
    a_hrss = DepartmentFactory.create(county=a, kind=DepartmentKind.HRSS, name="东湖区人社局")
    a_housing = DepartmentFactory.create(county=a, kind=DepartmentKind.HOUSING, name="东湖区住建局")
    b_hrss = DepartmentFactory.create(county=b, kind=DepartmentKind.HRSS, name="西江区人社局")
    office = UserFactory.create(city_office=True, username="office")
    inspector_a = UserFactory.create(role=Role.INSPECTOR, county=a, department=a_hrss)
    inspector_b = UserFactory.create(role=Role.INSPECTOR, county=b, department=b_hrss)
    official_a = UserFactory.create(role=Role.COUNTY_OFFICIAL, county=a, username="official_a")
    official_b = UserFactory.create(role=Role.COUNTY_OFFICIAL, county=b, username="official_b")
    housing_a = UserFactory.create(role=Role.INSPECTOR, county=a, department=a_housing)

    # Complaints: October runs from 1 Oct 00:00 to 31 Oct 24:00, local time.
    complaint(a, a_hrss, at(2026, 9, 30, 23, 59), "hotline_12345")  # September
    complaint(a, a_hrss, at(2026, 10, 1, 0, 0), "hotline_12345")
    complaint(a, a_hrss, at(2026, 10, 15), "web_form", industry=housing_industry)
    complaint(a, a_housing, at(2026, 10, 31, 23, 59), "hotline_12345")
    complaint(a, a_hrss, at(2026, 11, 1, 0, 0), "web_form")  # November
    complaint(b, b_hrss, at(2026, 10, 20), "service_window")
    complaint(None, None, at(2026, 10, 21), "duty_phone")  # waiting for city dispatch

    # X: accepted 25 Sep, filed 28 Sep (15 working days: due 23 Oct), paid 10 Oct, closed
    # 12 Oct. Working days from 28 Sep to 12 Oct: 29, 30 Sep, 9, 10 (make-up Saturday), 12 Oct
    # and 8 Oct = 6 (1–7 Oct is the National Day holiday).
    x = case(
        a, a_hrss, inspector_a, at(2026, 9, 25), workers_owed=5, amount_owed=Decimal("30000.50")
    )
    with clock(at(2026, 9, 28)):
        services.case_file(case=x, user=inspector_a, filed_on=dt.date(2026, 9, 28))
    with clock(at(2026, 10, 10)):
        services.case_record_payment(
            case=x,
            user=inspector_a,
            paid_on=dt.date(2026, 10, 10),
            amount=Decimal("30000.50"),
            workers_paid=5,
        )
    with clock(at(2026, 10, 12)):
        x = services.case_close(case=x, user=inspector_a, outcome="paid_in_full", note="付清")
    with clock(at(2026, 10, 13)):
        services.case_feedback(case=x, user=inspector_a, satisfaction=5)

    # Y: accepted and filed 9 Oct (due 29 Oct), paid 28 and 29 Oct, closed 30 Oct: late.
    # Working days 9 → 30 Oct: 10, 12–16, 19–23, 26–30 = 16.
    y = case(
        a,
        a_hrss,
        inspector_a,
        at(2026, 10, 9),
        workers_owed=12,
        amount_owed=Decimal("86400.00"),
        channel="web_form",
        industry=housing_industry,
    )
    with clock(at(2026, 10, 9)):
        services.case_file(case=y, user=inspector_a, filed_on=dt.date(2026, 10, 9))
    for day, amount in ((28, "40000.00"), (29, "10000.00")):
        with clock(at(2026, 10, day)):
            services.case_record_payment(
                case=y,
                user=inspector_a,
                paid_on=dt.date(2026, 10, day),
                amount=Decimal(amount),
                workers_paid=6,
            )
    with clock(at(2026, 10, 30)):
        y = services.case_close(case=y, user=inspector_a, outcome="partly_paid", note="部分支付")
    with clock(at(2026, 11, 2)):
        services.case_feedback(case=y, user=inspector_a, satisfaction=3)

    # Z: accepted and filed 20 Oct (due 10 Nov), still open: overdue on 30 Nov. A payment on
    # 2 Nov belongs to November.
    z = case(
        a, a_hrss, inspector_a, at(2026, 10, 20), workers_owed=3, amount_owed=Decimal("9000.25")
    )
    with clock(at(2026, 10, 20)):
        services.case_file(case=z, user=inspector_a, filed_on=dt.date(2026, 10, 20))
    with clock(at(2026, 11, 2)):
        services.case_record_payment(
            case=z,
            user=inspector_a,
            paid_on=dt.date(2026, 11, 2),
            amount=Decimal("1000.00"),
            workers_paid=1,
        )

    # A pending case (not accepted) in county A: open, not overdue (no clock).
    case(
        a, a_housing, housing_a, None, state="pending", workers_owed=2, amount_owed=Decimal("5000")
    )

    # W (county B): accepted and filed 10 Sep (due 30 Sep), referred to arbitration 14 Oct
    # (the clock pauses), closed 15 Oct: late. Working days 10 Sep → 15 Oct: 11, 14–18,
    # 20 (make-up Sunday), 21–24 (25 Sep is the Mid-Autumn Festival), 28–30 Sep, 8, 9, 10,
    # 12–15 Oct = 21.
    w = case(
        b,
        b_hrss,
        inspector_b,
        at(2026, 9, 10),
        workers_owed=20,
        amount_owed=Decimal("200000.00"),
        channel="service_window",
    )
    with clock(at(2026, 9, 10)):
        services.case_file(case=w, user=inspector_b, filed_on=dt.date(2026, 9, 10))
    with clock(at(2026, 10, 14)):
        entry = services.case_refer_arbitration(case=w, user=inspector_b, note="转仲裁")
    # A field default is bound at import, so the patched clock does not reach it: the entry
    # takes its moment by hand.
    CaseEntry.objects.filter(pk=entry.pk).update(at=at(2026, 10, 14))
    with clock(at(2026, 10, 15)):
        w = services.case_close(case=w, user=inspector_b, outcome="arbitration", note="仲裁")

    # Last year: a case of county A closed on 20 Oct 2025 after 20 working days.
    case(
        a,
        a_hrss,
        inspector_a,
        at(2025, 9, 1),
        state="closed",
        closed_at=at(2025, 10, 20),
        outcome="paid_in_full",
        working_days_taken=20,
        closed_on_time=False,
        recovered_amount=Decimal("1000"),
    )

    # Projects of county A: P1 all eight items met, P2 the five core ones (not the notice
    # board), P3 none; P4 completed (not counted). Coverage: core 2/3, 两金一牌 1/3.
    def project(code: str, status: str = "in_construction") -> Project:
        return Project.objects.create(
            code=code,
            name=f"项目{code}",
            county=a,
            industry=housing_industry,
            department=a_housing,
            status=status,
        )

    p1, p2, _p3, p4 = project("P1"), project("P2"), project("P3"), project("P4", "completed")
    items = [
        "real_name",
        "wage_account",
        "bank_payment",
        "deposit",
        "monitoring",
        "contracts",
        "notice_board",
        "injury_insurance",
    ]
    for code in items:
        ChecklistItem.objects.create(project=p1, item=code, state="compliant")
        ChecklistItem.objects.create(project=p4, item=code, state="compliant")
    for code in items[:5]:
        ChecklistItem.objects.create(
            project=p2, item=code, state="compliant" if code != "monitoring" else "not_applicable"
        )
    ChecklistItem.objects.create(project=p2, item="notice_board", state="not_compliant")
    ChecklistItem.objects.create(project=p2, item="injury_insurance", state="compliant")

    # Warnings: raised 5 Oct (open); raised 20 Sep and resolved 3 Oct.
    Warning.objects.create(
        project=p1,
        rule="no_wages_2m",
        level="red",
        county=a,
        department=a_housing,
        detail="两个月未发",
        opened_at=at(2026, 10, 5),
    )
    Warning.objects.create(
        project=p2,
        rule="fewer_paid",
        level="yellow",
        county=a,
        department=a_housing,
        detail="人数不符",
        opened_at=at(2026, 9, 20),
        state="resolved",
        resolved_at=at(2026, 10, 3),
        disposition="resolved",
    )

    # Inspections: 12 Oct with two findings. Order 1 (3 working days from 12 Oct: due 15 Oct)
    # met on 14 Oct; order 2 (from 20 Oct: due 23 Oct) still open: overdue. An inspection on
    # 30 Sep with an order issued that day is September's. A fine on 16 Oct; one on 2 Nov.
    insp = Inspection.objects.create(
        project=p2,
        inspected_on=dt.date(2026, 10, 12),
        inspector=housing_a,
        county=a,
        department=a_housing,
    )
    for n, (issued, closed) in enumerate(
        ((dt.date(2026, 10, 12), at(2026, 10, 14)), (dt.date(2026, 10, 20), None))
    ):
        finding = Finding.objects.create(
            inspection=insp, item="notice_board", description=f"问题{n}"
        )
        order = RectificationOrder.objects.create(finding=finding, working_days=3, issued_on=issued)
        clock_ = deadlines.deadline_open(
            subject=order,
            kind="rectification",
            started_on=issued,
            working_days=3,
            county_id=a.pk,
            department_id=a_housing.pk,
        )
        if closed:
            deadlines.deadline_close(deadline=clock_, at=closed)
    september = Inspection.objects.create(
        project=p1,
        inspected_on=dt.date(2026, 9, 30),
        inspector=housing_a,
        county=a,
        department=a_housing,
    )
    old = Finding.objects.create(inspection=september, item="deposit", description="旧问题")
    RectificationOrder.objects.create(finding=old, working_days=3, issued_on=dt.date(2026, 9, 30))
    Fine.objects.create(
        inspection=insp,
        article="art56",
        amount=Decimal("50000.00"),
        decided_on=dt.date(2026, 10, 16),
    )
    Fine.objects.create(
        inspection=insp,
        article="art54",
        amount=Decimal("20000.00"),
        decided_on=dt.date(2026, 11, 2),
    )

    return October(
        a=a,
        b=b,
        a_hrss=a_hrss,
        a_housing=a_housing,
        b_hrss=b_hrss,
        office=office,
        official_a=official_a,
        official_b=official_b,
        inspector_a=inspector_a,
        housing_a=housing_a,
        x=x,
        y=y,
        z=z,
        w=w,
    )
