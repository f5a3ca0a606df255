"""POST /api/v1/warnings/{id}/cases/: a warning turned into a new case through the API, by the
same service as the page (numbered, clocked, the warning resolved and linked); refusals as JSON
in Chinese; scoped (404 outside the caller's scope)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from arrears.models import Deadline, Role, User
from complaints.models import Case
from projects import services
from projects.models import Employer, Project, ProjectParty, Warning
from tests.factories import CountyFactory, UserFactory

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def warning(project: Project) -> Warning:
    contractor = Employer.objects.create(name="江城建工", credit_code="914403001922038216")
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


def test_a_warning_becomes_a_case_through_the_api(project: Project, warning: Warning) -> None:
    # given the inspector of the project's department
    inspector = User.objects.get(department=project.department)
    # when they open a case from the warning, with their own figures
    response = _api(inspector).post(
        f"/api/v1/warnings/{warning.pk}/cases/",
        {"workers_owed": 55, "amount_owed": "140000.00", "note": "立案调查"},
        format="json",
    )
    # then the case exists, clocked, and the warning records it
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    body = response.json()
    assert (body["id"], body["number"], body["employer_name"]) == (case.pk, case.number, "江城建工")
    assert (case.workers_owed, case.amount_owed, case.project) == (55, Decimal("140000"), project)
    assert Deadline.objects.for_subject(case).count() == 2
    warning.refresh_from_db()
    assert (warning.state, warning.disposition, warning.case) == ("resolved", "case", case)
    # and a second request on the resolved warning is a conflict, opening nothing
    again = _api(inspector).post(
        f"/api/v1/warnings/{warning.pk}/cases/", {"note": "再次"}, format="json"
    )
    assert again.status_code == 409 and again.json()["detail"] == "该预警已处置"
    assert Case.objects.count() == 1


def test_without_figures_the_pages_defaults_are_taken(project: Project, warning: Warning) -> None:
    inspector = User.objects.get(department=project.department)
    response = _api(inspector).post(
        f"/api/v1/warnings/{warning.pk}/cases/", {"note": "按预警数据立案"}, format="json"
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert (case.workers_owed, case.amount_owed) == (60, Decimal("150000"))


def test_refusals_are_json_in_chinese(project: Project, warning: Warning) -> None:
    inspector = _api(User.objects.get(department=project.department))
    url = f"/api/v1/warnings/{warning.pk}/cases/"
    # malformed: 400 by field
    bad = inspector.post(url, {"workers_owed": 0, "amount_owed": "-1"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()) == {"workers_owed", "amount_owed", "note"}
    # a role that may not dispose of warnings: 403 with the service's reason
    leader = UserFactory.create(role=Role.CITY_LEADER, city=project.county.city)
    refused = _api(leader).post(url, {"note": "x"}, format="json")
    assert refused.status_code == 403 and refused.json()["detail"] == "您不能处置预警"
    # outside the caller's scope: 404, as the warning's page
    stranger = UserFactory.create(role=Role.INSPECTOR, county=CountyFactory.create())
    assert _api(stranger).post(url, {"note": "x"}, format="json").status_code == 404
    assert Case.objects.count() == 0
    warning.refresh_from_db()
    assert warning.state == "open"


def test_a_project_without_parties_is_refused_by_the_rules(project: Project) -> None:
    warning = Warning.objects.create(
        project=project,
        rule="fewer_paid",
        level="yellow",
        county=project.county,
        department=project.department,
        detail="发放人数少于考勤人数",
    )
    inspector = _api(User.objects.get(department=project.department))
    response = inspector.post(
        f"/api/v1/warnings/{warning.pk}/cases/",
        {"workers_owed": 3, "amount_owed": "9000", "note": "立案"},
        format="json",
    )
    assert response.status_code == 422
    assert response.json() == {"employer": ["该项目未登记参建单位，无法确定被投诉单位"]}
