"""Migrations 0015–0017 give a deployment of one city its city: every county the city its
division code names, city-level departments and the city office that city, each routed
complaint its county's city and each unrouted one the one city; nothing else changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from arrears.models import County, Department, User
from complaints.models import Complaint

BEFORE = [
    ("arrears", "0014_password_history_user_sessions"),
    ("complaints", "0015_api_key_expiry_rotation_allowlist"),
    ("projects", "0005_encrypt_employer_phone_rows"),
]
AFTER = [("arrears", "0017_cities_required"), ("complaints", "0016_cities")]


@pytest.mark.django_db(transaction=True)
def test_a_one_city_deployment_gets_its_city() -> None:
    # given: the schema before cities, with the one city's counties, departments and people
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps: Any = executor.loader.project_state(BEFORE).apps
    OldCounty = apps.get_model("arrears", "County")
    OldDepartment = apps.get_model("arrears", "Department")
    OldUser = apps.get_model("arrears", "User")
    OldComplaint = apps.get_model("complaints", "Complaint")
    east = OldCounty.objects.create(code="369902", name="东湖区", short_name="东湖")
    west = OldCounty.objects.create(code="369903", name="西江区", short_name="西江")
    city_hrss = OldDepartment.objects.create(level="city", kind="hrss", name="市人社局")
    east_hrss = OldDepartment.objects.create(
        county=east, level="county", kind="hrss", name="东湖区人社局"
    )
    office = OldUser.objects.create(username="office", role="city_office")
    inspector = OldUser.objects.create(
        username="inspector", role="inspector", county=east, department=east_hrss
    )
    official = OldUser.objects.create(username="official", role="county_official", county=west)
    common = {
        "channel": "web_form",
        "received_at": "2026-10-01T10:00:00+08:00",
        "complainant_name": "王五",
        "complainant_phone": "13912345678",
        "employer_name": "某公司",
        "facts": "欠薪",
        "workers_owed": 3,
        "amount_owed": 9000,
    }
    routed = OldComplaint.objects.create(
        tracking_no="AAAAA22222", county=west, status="pending_signature", **common
    )
    waiting = OldComplaint.objects.create(
        tracking_no="BBBBB33333", status="pending_dispatch", **common
    )

    # when (and back to the latest schema for the tests that follow)
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    # then: one city, 369900, named for the administrator to rename, holding everything
    counties = list(County.objects.select_related("city").order_by("code"))
    city = counties[0].city
    assert city.code == "369900" and {c.city_id for c in counties} == {city.pk}
    assert Department.objects.get(pk=city_hrss.pk).city_id == city.pk
    assert Department.objects.get(pk=east_hrss.pk).city_id == city.pk
    assert {
        u.username: u.city_id
        for u in User.objects.filter(pk__in=[office.pk, inspector.pk, official.pk])
    } == {"office": city.pk, "inspector": city.pk, "official": city.pk}
    assert Complaint.objects.get(pk=routed.pk).city_id == city.pk
    assert Complaint.objects.get(pk=waiting.pk).city_id == city.pk
