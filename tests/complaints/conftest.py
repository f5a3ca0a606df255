"""A small city for intake tests: two counties with their departments supervising the usual
industries, a registered project, an integration client with a key."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache

from arrears.models import DepartmentKind, Industry, Role
from arrears.reference import ensure_industries
from tests.factories import CountyFactory, DepartmentFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def city(db: Any) -> dict[str, Any]:
    from complaints.integration.api_keys import api_key_issue
    from complaints.models import IntegrationClient
    from projects.models import Project

    ensure_industries(Industry)
    industries = {i.code: i for i in Industry.objects.all()}
    a = CountyFactory.create(code="369902", name="东湖区", short_name="东湖")
    b = CountyFactory.create(code="369903", name="西江区", short_name="西江")
    c: dict[str, Any] = {"a": a, "b": b, "industries": industries}
    for key, county in (("a", a), ("b", b)):
        hrss = DepartmentFactory.create(county=county, kind=DepartmentKind.HRSS)
        housing = DepartmentFactory.create(county=county, kind=DepartmentKind.HOUSING)
        transport = DepartmentFactory.create(county=county, kind=DepartmentKind.TRANSPORT)
        housing.industries.set([industries["housing"]])
        transport.industries.set([industries["transport"]])
        c[f"{key}_hrss"], c[f"{key}_housing"], c[f"{key}_transport"] = hrss, housing, transport
    c["city_hrss"] = DepartmentFactory.create(county=None, kind=DepartmentKind.HRSS)
    c["project"] = Project.objects.create(
        code="XM-2026-001",
        name="东湖花园二期",
        county=a,
        industry=industries["housing"],
        address="东湖区湖滨路8号",
    )
    c["office"] = UserFactory.create(city_office=True, username="office")
    c["official_a"] = UserFactory.create(role=Role.COUNTY_OFFICIAL, county=a)
    c["official_b"] = UserFactory.create(role=Role.COUNTY_OFFICIAL, county=b)
    c["housing_a"] = UserFactory.create(role=Role.INSPECTOR, county=a, department=c["a_housing"])
    c["hrss_a"] = UserFactory.create(role=Role.INSPECTOR, county=a, department=c["a_hrss"])
    c["duty"] = UserFactory.create(role=Role.DUTY_OFFICER, department=c["city_hrss"])
    machine = UserFactory.create(role=Role.INTEGRATION_CLIENT, username="hotline")
    c["client"] = IntegrationClient.objects.create(
        user=machine, name="12345热线", channel="hotline_12345", rate="1000/min"
    )
    c["key"] = api_key_issue(client=c["client"])
    other = UserFactory.create(role=Role.INTEGRATION_CLIENT, username="clue")
    c["other_client"] = IntegrationClient.objects.create(
        user=other, name="全国线索平台", channel="clue_platform"
    )
    c["other_key"] = api_key_issue(client=c["other_client"])
    return c


def complaint_data(**overrides: Any) -> dict[str, Any]:
    """A valid complaint as a channel would send it (the GB 11643 example ID number and
    Huawei's public credit code)."""
    data: dict[str, Any] = {
        "complainant_name": "张三",
        "complainant_phone": "13812345678",
        "complainant_id_number": "11010519491231002X",
        "complainant_address": "",
        "employer_name": "江城建工集团有限公司",
        "employer_credit_code": "914403001922038216",
        "project_name": "",
        "project_address": "",
        "county_code": "",
        "industry_code": "",
        "workers_owed": 12,
        "amount_owed": Decimal("86400.00"),
        "period_start": dt.date(2026, 7, 1),
        "period_end": dt.date(2026, 9, 30),
        "facts": "7至9月工资未发，老板失联。",
        "request": "支付拖欠工资",
    }
    data.update(overrides)
    return data
