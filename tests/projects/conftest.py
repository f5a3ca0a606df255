"""A project in a county whose housing department supervises it, with an inspector."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from arrears.models import DepartmentKind, Industry, Role
from arrears.reference import ensure_industries
from projects import services
from projects.models import Project
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
