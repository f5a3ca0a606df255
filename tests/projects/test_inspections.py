"""Inspections: findings make the item non-compliant, rectification deadlines in working days
escalate through the same sweep as cases, verification closes them; fine ranges."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from arrears import config, deadlines
from arrears import services as arrears_services
from arrears.errors import Conflict
from arrears.models import Deadline, Notification, Role, User
from complaints.models import Case
from projects import services
from projects.models import (
    ChecklistItem,
    Employer,
    Inspection,
    Project,
    ProjectParty,
    RectificationOrder,
)
from tests.factories import UserFactory

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates

TZ = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True)
class Inspected:
    """An inspection on Tue 29 Sep 2026 with two findings, each with its rectification order."""

    project: Project
    inspector: User
    official: User  # of the project's county
    inspection: Inspection


@pytest.fixture
def inspected(project: Project, calendar_2026: None) -> Inspected:
    inspector = UserFactory.create(
        role=Role.INSPECTOR, county=project.county, department=project.department
    )
    official = UserFactory.create(role=Role.COUNTY_OFFICIAL, county=project.county)
    # Tue Sep 29 2026, three working days across National Day: Sep 30, Oct 8, Oct 9
    inspection = services.inspection_record(
        project=project,
        inspector=inspector,
        inspected_on=dt.date(2026, 9, 29),
        findings=[
            {"item": "notice_board", "description": "未设置维权信息公示牌"},
            {"item": "deposit", "description": "保证金未足额存储", "working_days": 10},
        ],
    )
    return Inspected(project=project, inspector=inspector, official=official, inspection=inspection)


def _clock(order: RectificationOrder) -> Deadline:
    return Deadline.objects.for_subject(order).get(kind="rectification")


def test_findings_mark_items_and_open_rectification_clocks(inspected: Inspected) -> None:
    project = inspected.project
    states = dict(ChecklistItem.objects.filter(project=project).values_list("item", "state"))
    assert states == {"notice_board": "not_compliant", "deposit": "not_compliant"}
    board, deposit = (f.rectification for f in inspected.inspection.findings.order_by("pk"))
    assert _clock(board).due_date == dt.date(2026, 10, 9)
    # its own 10 working days: Sep 30, Oct 8, 9, 10 (Sat, make-up), 12–16, 19
    assert _clock(deposit).due_date == dt.date(2026, 10, 19)


def test_overdue_rectification_escalates_through_the_sweep(inspected: Inspected) -> None:
    deadlines.deadlines_sweep(now=dt.datetime(2026, 10, 9, 18, tzinfo=TZ))
    escalated = Notification.objects.filter(
        recipient=inspected.official, kind="deadline.escalation"
    )
    assert escalated.count() == 1  # the notice board; the deposit is not due yet
    assert Notification.objects.filter(
        recipient=inspected.inspector, kind="deadline.reminder"
    ).exists()


def test_verification_closes_the_clock_and_restores_the_item(inspected: Inspected) -> None:
    board = inspected.inspection.findings.get(item="notice_board").rectification
    services.rectification_verify(
        order=board, user=inspected.inspector, rectified=False, note="仍未设置"
    )
    assert _clock(board).state == "open"
    services.rectification_verify(
        order=board, user=inspected.inspector, rectified=True, note="已设置公示牌"
    )
    assert _clock(board).state in ("met", "missed")
    item = ChecklistItem.objects.get(project=inspected.project, item="notice_board")
    assert item.state == "compliant"
    with pytest.raises(Conflict):
        services.rectification_verify(order=board, user=inspected.inspector, rectified=True)


def test_fines_within_the_statutory_range(inspected: Inspected) -> None:
    inspection = inspected.inspection
    fine = services.fine_record(
        inspection=inspection,
        article="art56",
        amount=Decimal("50000"),
        decided_on=dt.date(2026, 10, 12),
    )
    assert fine.amount == Decimal("50000")
    for article, amount in (
        ("art56", Decimal("49999.99")),
        ("art54", Decimal("50000.01")),
        ("art99", Decimal("60000")),
    ):
        with pytest.raises(ValidationError):
            services.fine_record(
                inspection=inspection,
                article=article,
                amount=amount,
                decided_on=dt.date(2026, 10, 12),
            )


def test_bad_findings_save_nothing(project: Project, calendar_2026: None) -> None:
    inspector = UserFactory.create(role=Role.INSPECTOR)
    with pytest.raises(ValidationError):
        services.inspection_record(
            project=project,
            inspector=inspector,
            inspected_on=dt.date(2026, 9, 29),
            findings=[
                {"item": "deposit", "description": "x"},
                {"item": "nonsense", "description": "y"},
            ],
        )
    assert Inspection.objects.count() == 0


def test_required_deposit_from_rate_and_record(project: Project) -> None:
    assert services.required_deposit(project=project) is None  # no general contractor yet
    contractor = Employer.objects.create(
        name="江城建工集团有限公司", credit_code="914403001922038216"
    )
    ProjectParty.objects.create(project=project, employer=contractor, role="general_contractor")
    # ¥12,000,000 × 2 % × 0.5 (clean record) = ¥120,000
    assert services.required_deposit(project=project) == (
        Decimal("120000.00"),
        "两年内无拖欠记录，减免",
    )
    assert project.department is not None
    Case.objects.create(
        county=project.county,
        department=project.department,
        owner=UserFactory.create(),
        employer_name="江城建工集团有限公司",
        employer_credit_code="914403001922038216",
        workers_owed=3,
        amount_owed=Decimal("9000"),
    )
    # with arrears: × 1.5 = ¥360,000
    amount, _reason = services.required_deposit(project=project) or (None, "")
    assert amount == Decimal("360000.00")


def test_fine_ranges_are_configuration(inspected: Inspected) -> None:
    """A change of the regulation is an administrator's edit, not a release."""

    # given: art. 54's ceiling raised to ¥80,000
    arrears_services.config_set(key="fines.art54.maximum", value="80000")
    config.forget()
    # when / then: ¥60,000 under art. 54 is now accepted, ¥80,000.01 still refused
    fine = services.fine_record(
        inspection=inspected.inspection,
        article="art54",
        amount=Decimal("60000"),
        decided_on=dt.date(2026, 10, 12),
    )
    assert fine.amount == Decimal("60000")
    with pytest.raises(ValidationError) as refused:
        services.fine_record(
            inspection=inspected.inspection,
            article="art54",
            amount=Decimal("80000.01"),
            decided_on=dt.date(2026, 10, 12),
        )
    assert "80000" in str(refused.value)
