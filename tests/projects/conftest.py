"""A project in a county whose housing department supervises it, with an inspector; employers
on it and on a project elsewhere."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from arrears.models import Department, DepartmentKind, Industry, Role, User
from arrears.reference import ensure_industries
from projects import services
from projects.models import Employer, Project, ProjectParty
from tests.factories import CountyFactory, DepartmentFactory, UserFactory


@pytest.fixture
def project(db: Any) -> Project:
    ensure_industries(Industry)
    county = CountyFactory.create()
    housing = DepartmentFactory.create(county=county, kind=DepartmentKind.HOUSING)
    housing.industries.set([Industry.objects.get(code="housing")])
    DepartmentFactory.create(county=county, kind=DepartmentKind.HRSS)
    UserFactory.create(role=Role.INSPECTOR, county=county, department=housing)
    p = Project.objects.create(
        code="XM-1",
        name="滨江花园",
        county=county,
        industry=Industry.objects.get(code="housing"),
        contract_value=Decimal("12000000"),
        labour_cost_share=Decimal("25"),
        start_date=dt.date(2026, 1, 1),
        planned_completion=dt.date(2027, 1, 1),
    )
    services.project_assign_department(project=p)
    assert p.department == housing
    return p


@dataclass(frozen=True)
class Employers:
    ours: Employer  # the contractor on the fixture's project
    theirs: Employer  # on a project in another county only
    inspector: User  # of the project's housing department
    city_office: User
    hrss_inspector: User  # of the project's county, another department


@pytest.fixture
def employers(project: Project) -> Employers:
    """A contractor on the fixture's project, and one on a project in another county."""
    ours = Employer.objects.create(
        name="江城建工集团有限公司", credit_code="914403001922038216", phone="13812345678"
    )
    ProjectParty.objects.create(project=project, employer=ours, role="general_contractor")
    other_county = CountyFactory.create()
    elsewhere = Project.objects.create(
        code="XM-2", name="西岸学校", county=other_county, industry=project.industry
    )
    theirs = Employer.objects.create(name="西岸劳务有限公司", credit_code="91330100799655058B")
    ProjectParty.objects.create(project=elsewhere, employer=theirs, role="labour_subcontractor")
    return Employers(
        ours=ours,
        theirs=theirs,
        inspector=User.objects.get(department=project.department),
        city_office=UserFactory.create(city_office=True),
        hrss_inspector=UserFactory.create(
            role=Role.INSPECTOR,
            county=project.county,
            department=Department.objects.get(county=project.county, kind=DepartmentKind.HRSS),
        ),
    )
