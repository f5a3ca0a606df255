"""A warning turned into a case links the case: one the officer may see, about the warning's
project; the link shows on the warning queue, the project page and in the API."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from rest_framework.test import APIClient

from arrears.models import Role, User
from complaints.models import Case
from projects import services
from projects.models import Employer, Project, ProjectParty, Warning
from tests.factories import CountyFactory, DepartmentFactory, UserFactory

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates


def _case(number: str, department: Any, owner: User, **fields: Any) -> Case:
    return Case.objects.create(
        number=number,
        county=department.county,
        department=department,
        owner=owner,
        employer_name=fields.pop("employer_name", "江城建工集团有限公司"),
        workers_owed=3,
        amount_owed=Decimal("18000"),
        **fields,
    )


@dataclass(frozen=True)
class WarnedProject:
    """A red warning on the fixture's project and the cases it could be linked to."""

    inspector: User
    warning: Warning
    ours: Case  # on the project
    by_credit_code: Case  # against the project's contractor, by credit code
    unrelated: Case
    out_of_scope: Case  # on the project, but in another county's department


@pytest.fixture
def setting(project: Project) -> WarnedProject:
    inspector = User.objects.get(department=project.department)
    warning = Warning.objects.create(
        project=project,
        rule="no_wages_2m",
        level="red",
        county=project.county,
        department=project.department,
        detail="连续两个月未发放",
    )
    contractor = Employer.objects.create(name="江城建工", credit_code="914403001922038216")
    ProjectParty.objects.create(project=project, employer=contractor, role="general_contractor")
    elsewhere = DepartmentFactory.create(county=CountyFactory.create(), kind="housing")
    return WarnedProject(
        inspector=inspector,
        warning=warning,
        ours=_case("AJ20260000001", project.department, inspector, project=project),
        by_credit_code=_case(
            "AJ20260000002",
            project.department,
            inspector,
            employer_credit_code="914403001922038216",
        ),
        unrelated=_case("AJ20260000003", project.department, inspector),
        out_of_scope=_case("AJ20260000004", elsewhere, inspector, project=project),
    )


def _dispose(user: User, warning: Warning, **data: str) -> str:
    web = Client()
    web.force_login(user)
    body = {"disposition": "case", "note": "已立案调查", **data}
    return web.post(f"/warnings/{warning.pk}/dispose/", body, follow=True).content.decode()


def test_turned_into_a_case_links_it_and_shows_the_link(
    project: Project, setting: WarnedProject
) -> None:
    warning, case = setting.warning, setting.ours
    _dispose(setting.inspector, warning, case_number=" aj20260000001 ")
    warning.refresh_from_db()
    assert (warning.state, warning.disposition, warning.case) == ("resolved", "case", case)
    web = Client()
    web.force_login(setting.inspector)
    resolved = web.get("/warnings/?state=resolved").content.decode()
    assert f'href="/cases/{case.pk}/" data-testid="warning-case">{case.number}<' in resolved
    assert f"warning-{warning.pk}" not in web.get("/warnings/").content.decode()
    page = web.get(f"/projects/{project.pk}/").content.decode()
    assert f'data-testid="warning-case">{case.number}<' in page


def test_a_case_without_the_project_but_against_its_contractor_is_accepted(
    setting: WarnedProject,
) -> None:
    _dispose(setting.inspector, setting.warning, case_number="AJ20260000002")
    setting.warning.refresh_from_db()
    assert setting.warning.case == setting.by_credit_code


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({}, "转为案件时请填写案件编号"),
        ({"case_number": "AJ20269999999"}, "案件不存在或不在您的数据范围内"),
        ({"case_number": "AJ20260000004"}, "案件不存在或不在您的数据范围内"),  # other county
        ({"case_number": "AJ20260000003"}, "该案件与预警项目无关"),
        ({"disposition": "interview", "case_number": "AJ20260000001"}, "只有“转为案件”才关联案件"),
    ],
)
def test_the_case_is_checked(setting: WarnedProject, data: dict[str, str], text: str) -> None:
    body = _dispose(setting.inspector, setting.warning, **data)
    assert text in body
    setting.warning.refresh_from_db()
    assert (setting.warning.state, setting.warning.case) == ("open", None)


def test_through_the_api(setting: WarnedProject) -> None:
    api = APIClient()
    api.force_authenticate(setting.inspector)
    url = f"/api/v1/warnings/{setting.warning.pk}/dispose/"
    bad = api.post(url, {"disposition": "case", "note": "立案"}, format="json")
    assert bad.status_code == 422 and "case_number" in bad.json()
    good = api.post(
        url, {"disposition": "case", "note": "立案", "case_number": "AJ20260000001"}, format="json"
    )
    assert good.status_code == 200
    assert good.json()["case_number"] == "AJ20260000001"
    assert good.json()["case_id"] == setting.ours.pk
    again = api.post(
        url, {"disposition": "case", "note": "立案", "case_number": "AJ20260000001"}, format="json"
    )
    assert again.status_code == 409


def test_only_a_warning_turned_into_a_case_links_one(setting: WarnedProject) -> None:
    warning = setting.warning
    with pytest.raises(IntegrityError), transaction.atomic():
        Warning.objects.filter(pk=warning.pk).update(disposition="interview", case=setting.ours)


def test_the_case_number_shows_only_to_those_who_may_see_the_case(
    setting: WarnedProject, project: Project
) -> None:
    """A county official links a case of the county's HRSS department to the housing
    department's warning: the housing inspector sees that it became a case, not which."""

    hrss = project.county.departments.get(kind="hrss")
    official = UserFactory.create(role=Role.COUNTY_OFFICIAL, county=project.county)
    _case("AJ20260000009", hrss, official, project=project)
    number = "AJ20260000009"
    warning = setting.warning

    services.warning_dispose(
        warning=warning,
        user=official,
        disposition="case",
        note="转人社",
        case_number=number,
    )
    inspector = Client()
    inspector.force_login(setting.inspector)
    queue = inspector.get("/warnings/?state=resolved").content.decode()
    page = inspector.get(f"/projects/{project.pk}/").content.decode()
    assert "已转为案件" in page
    assert number not in queue and number not in page
    api = APIClient()
    api.force_authenticate(setting.inspector)
    row = api.get(f"/api/v1/warnings/{warning.pk}/").json()
    assert (row["case_id"], row["case_number"]) == (None, None)
    boss = Client()
    boss.force_login(official)
    assert number in boss.get("/warnings/?state=resolved").content.decode()
