"""A small city for intake tests: two counties with their departments supervising the usual
industries, a registered project, an integration client with a key."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, Self

import pytest
from django.core.cache import cache

from arrears.models import County, Department, DepartmentKind, Industry, Role, User
from arrears.reference import ensure_industries
from complaints.integration.api_keys import api_key_issue
from complaints.models import Case, Complaint, IntegrationClient
from projects.models import Project
from tests.factories import CountyFactory, DepartmentFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@dataclass(frozen=True)
class City:
    """Two counties (东湖 A, 西江 B), each with an HRSS, a housing and a transport department;
    a city HRSS office; a registered project in A; the people; two integration clients."""

    a: County
    b: County
    industries: dict[str, Industry]  # by code
    a_hrss: Department
    a_housing: Department
    a_transport: Department
    b_hrss: Department
    b_housing: Department
    b_transport: Department
    city_hrss: Department
    project: Project
    office: User
    official_a: User
    official_b: User
    housing_a: User  # inspector of A's housing department
    hrss_a: User  # inspector of A's HRSS department
    duty: User  # the city's duty officer
    client: IntegrationClient  # the 12345 hotline
    key: str
    other_client: IntegrationClient  # the national clue platform
    other_key: str


@dataclass(frozen=True)
class Received(City):
    """The city with a complaint signed into a case."""

    complaint: Complaint
    case: Case

    @classmethod
    def of(cls, city: City, complaint: Complaint, **more: Any) -> Self:
        """`city`'s people and places, with the complaint and its case (and `more` fields of
        a subclass)."""
        assert complaint.case is not None, "the complaint is not signed"
        places_and_people = {f.name: getattr(city, f.name) for f in fields(City)}
        return cls(**places_and_people, complaint=complaint, case=complaint.case, **more)


@pytest.fixture
def city(db: Any) -> City:
    ensure_industries(Industry)
    industries = {i.code: i for i in Industry.objects.all()}
    a = CountyFactory.create(code="369902", name="东湖区", short_name="东湖")
    b = CountyFactory.create(code="369903", name="西江区", short_name="西江")

    def units(county: County) -> tuple[Department, Department, Department]:
        """The county's HRSS, housing and transport departments, the last two each
        supervising its industry."""
        hrss = DepartmentFactory.create(county=county, kind=DepartmentKind.HRSS)
        housing = DepartmentFactory.create(county=county, kind=DepartmentKind.HOUSING)
        transport = DepartmentFactory.create(county=county, kind=DepartmentKind.TRANSPORT)
        housing.industries.set([industries["housing"]])
        transport.industries.set([industries["transport"]])
        return hrss, housing, transport

    a_hrss, a_housing, a_transport = units(a)
    b_hrss, b_housing, b_transport = units(b)
    city_hrss = DepartmentFactory.create(county=None, kind=DepartmentKind.HRSS)
    project = Project.objects.create(
        code="XM-2026-001",
        name="东湖花园二期",
        county=a,
        industry=industries["housing"],
        address="东湖区湖滨路8号",
    )
    office = UserFactory.create(city_office=True, username="office")
    official_a = UserFactory.create(role=Role.COUNTY_OFFICIAL, county=a)
    official_b = UserFactory.create(role=Role.COUNTY_OFFICIAL, county=b)
    housing_a = UserFactory.create(role=Role.INSPECTOR, county=a, department=a_housing)
    hrss_a = UserFactory.create(role=Role.INSPECTOR, county=a, department=a_hrss)
    duty = UserFactory.create(role=Role.DUTY_OFFICER, department=city_hrss)
    machine = UserFactory.create(role=Role.INTEGRATION_CLIENT, username="hotline")
    client = IntegrationClient.objects.create(
        user=machine, name="12345热线", channel="hotline_12345", rate="1000/min"
    )
    key = api_key_issue(client=client)
    other = UserFactory.create(role=Role.INTEGRATION_CLIENT, username="clue")
    other_client = IntegrationClient.objects.create(
        user=other, name="全国线索平台", channel="clue_platform"
    )
    return City(
        a=a,
        b=b,
        industries=industries,
        a_hrss=a_hrss,
        a_housing=a_housing,
        a_transport=a_transport,
        b_hrss=b_hrss,
        b_housing=b_housing,
        b_transport=b_transport,
        city_hrss=city_hrss,
        project=project,
        office=office,
        official_a=official_a,
        official_b=official_b,
        housing_a=housing_a,
        hrss_a=hrss_a,
        duty=duty,
        client=client,
        key=key,
        other_client=other_client,
        other_key=api_key_issue(client=other_client),
    )


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
