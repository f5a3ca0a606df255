"""A warning turned into a NEW case: opened by the case service (numbered, clocked) in the
warning's unit with its project, employer and figures; linked both ways; scoped."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from arrears.models import Deadline, Role, User
from complaints.models import Case, CaseEntry
from projects import services
from projects.models import Employer, Project, ProjectParty, Warning
from tests.factories import CountyFactory, UserFactory

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates


@pytest.fixture
def warning(project: Project) -> Warning:
    builder = Employer.objects.create(name="滨江置业", credit_code="91440300MA5FXXXX1A")
    contractor = Employer.objects.create(name="江城建工", credit_code="914403001922038216")
    ProjectParty.objects.create(project=project, employer=builder, role="builder")
    ProjectParty.objects.create(project=project, employer=contractor, role="general_contractor")
    services.wage_record_save(
        project=project,
        month=dt.date(2026, 10, 1),
        labour_cost_paid_in=Decimal("250000"),
        workers_on_roll=100,
        workers_paid=40,
        amount_paid=Decimal("100000"),
    )
    return Warning.objects.create(
        project=project,
        rule="no_wages_2m",
        level="red",
        county=project.county,
        department=project.department,
        detail="连续两个月未足额发放",
    )


def test_a_warning_becomes_a_new_case_with_its_clocks(project: Project, warning: Warning) -> None:
    inspector = User.objects.get(department=project.department)
    web = Client()
    web.force_login(inspector)
    queue = web.get("/warnings/").content.decode()
    assert f'data-testid="warning-new-case-{warning.pk}"' in queue
    form = web.get(f"/warnings/{warning.pk}/new-case/").content.decode()
    assert "江城建工" in form  # the general contractor, not the builder
    assert 'value="60"' in form and 'value="150000' in form  # prefilled from October
    response = web.post(
        f"/warnings/{warning.pk}/new-case/",
        {"workers_owed": "60", "amount_owed": "150000", "note": "立案调查"},
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert (case.county, case.department, case.owner) == (
        project.county,
        project.department,
        inspector,
    )
    assert (case.project, case.project_name, case.employer_name, case.employer_credit_code) == (
        project,
        project.name,
        "江城建工",
        "914403001922038216",
    )
    assert (case.workers_owed, case.amount_owed) == (60, Decimal("150000"))
    assert case.number and case.number.startswith("AJ")
    clocks = set(Deadline.objects.for_subject(case).values_list("kind", flat=True))
    assert len(clocks) == 2  # to accept and to respond, as a complaint's case
    assert CaseEntry.objects.filter(case=case, text__contains="由欠薪预警转为案件").exists()

    warning.refresh_from_db()
    assert (warning.state, warning.disposition, warning.case, warning.note) == (
        "resolved",
        "case",
        case,
        "立案调查",
    )
    page = web.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="case-warnings"' in page and "连续两个月未足额发放" in page
    assert f'href="/projects/{project.pk}/" data-testid="case-warning-project"' in page
    resolved = web.get("/warnings/?state=resolved").content.decode()
    assert f'href="/cases/{case.pk}/" data-testid="warning-case">{case.number}<' in resolved
    # A second try on the resolved warning opens nothing.
    web.post(
        f"/warnings/{warning.pk}/new-case/",
        {"workers_owed": "60", "amount_owed": "150000", "note": "再次"},
    )
    assert Case.objects.count() == 1


def test_another_countys_officer_cannot_turn_it_into_a_case(warning: Warning) -> None:
    web = Client()
    web.force_login(UserFactory.create(role=Role.INSPECTOR, county=CountyFactory.create()))
    assert web.get(f"/warnings/{warning.pk}/new-case/").status_code == 404
    response = web.post(
        f"/warnings/{warning.pk}/new-case/",
        {"workers_owed": "60", "amount_owed": "150000", "note": "越权"},
    )
    assert response.status_code == 404
    assert Case.objects.count() == 0
    warning.refresh_from_db()
    assert (warning.state, warning.case) == ("open", None)


def test_bad_figures_open_nothing(project: Project, warning: Warning) -> None:
    web = Client()
    web.force_login(User.objects.get(department=project.department))
    html = web.post(
        f"/warnings/{warning.pk}/new-case/", {"workers_owed": "0", "amount_owed": "-1", "note": ""}
    ).content.decode()
    assert 'data-testid="form-errors"' in html
    assert Case.objects.count() == 0
    warning.refresh_from_db()
    assert warning.state == "open"


def test_the_service_refuses_a_user_outside_the_warnings_unit(warning: Warning) -> None:
    stranger = UserFactory.create(role=Role.INSPECTOR, county=CountyFactory.create())
    with pytest.raises(PermissionDenied):
        services.warning_open_case(
            warning=warning, user=stranger, workers_owed=1, amount_owed=Decimal(1), note="越权"
        )
    assert Case.objects.count() == 0
    warning.refresh_from_db()
    assert warning.state == "open"
