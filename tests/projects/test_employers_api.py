"""Employers through the API: scoped list and detail (credit code shown, phone masked),
search and list filters, and list management for the city office."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from arrears.models import User
from projects import services
from projects.models import EmployerListing
from tests.projects.conftest import Employers

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_list_and_detail_are_scoped_with_the_phone_masked(employers: Employers) -> None:
    d = employers
    inspector = _api(d.inspector)
    assert _ids(inspector.get("/api/v1/employers/")) == {d.ours.pk}
    detail = inspector.get(f"/api/v1/employers/{d.ours.pk}/")
    assert detail.status_code == 200
    body = detail.json()
    assert body["credit_code"] == "914403001922038216"
    assert body["phone"] == "138****5678" and "13812345678" not in detail.content.decode()
    assert inspector.get(f"/api/v1/employers/{d.theirs.pk}/").status_code == 404
    assert inspector.get("/api/v1/employers/abc/").status_code == 404
    city = _api(d.city_office)
    assert _ids(city.get("/api/v1/employers/")) == {d.ours.pk, d.theirs.pk}


def test_search_and_list_filters(employers: Employers) -> None:
    d = employers
    services.employer_listing_add(
        employer=d.theirs,
        kind="dishonest",
        reason="拒不支付",
        listed_on=timezone.localdate(),
        user=d.city_office,
    )
    city = _api(d.city_office)
    assert _ids(city.get("/api/v1/employers/", {"search": "江城"})) == {d.ours.pk}
    assert _ids(city.get("/api/v1/employers/", {"search": "91330100799655058B"})) == {d.theirs.pk}
    assert _ids(city.get("/api/v1/employers/", {"list": "dishonest"})) == {d.theirs.pk}
    assert _ids(city.get("/api/v1/employers/", {"list": "key_supervision"})) == set()
    bad = city.get("/api/v1/employers/", {"list": "nonsense"})
    assert bad.status_code == 400 and "list" in bad.json()
    listed = city.get(f"/api/v1/employers/{d.theirs.pk}/").json()["listings"]
    assert [(x["kind"], x["removed_on"]) for x in listed] == [("dishonest", None)]


def test_list_management(employers: Employers) -> None:
    d = employers
    city = _api(d.city_office)
    url = f"/api/v1/employers/{d.ours.pk}/listings/"
    today = timezone.localdate().isoformat()
    body = {"kind": "key_supervision", "reason": "多次拖欠", "listed_on": today}
    created = city.post(url, body, format="json")
    assert created.status_code == 201 and created.json()["kind"] == "key_supervision"
    assert city.post(url, body, format="json").status_code == 409  # already listed
    bad = city.post(url, {**body, "reason": "  "}, format="json")
    assert bad.status_code == 400
    remove = f"/api/v1/employers/{d.ours.pk}/listings/remove/"
    removed = city.post(
        remove,
        {"kind": "key_supervision", "removed_on": today, "reason": "已整改"},
        format="json",
    )
    assert removed.status_code == 200 and removed.json()["removal_reason"] == "已整改"
    again = city.post(
        remove, {"kind": "key_supervision", "removed_on": today, "reason": "x"}, format="json"
    )
    assert again.status_code == 409
    assert EmployerListing.objects.filter(employer=d.ours).count() == 1


@pytest.mark.parametrize("who", ["inspector", "hrss_inspector"])
def test_other_roles_cannot_manage_lists(employers: Employers, who: str) -> None:
    d = employers
    body = {"kind": "dishonest", "reason": "x", "listed_on": timezone.localdate().isoformat()}
    user = {"inspector": d.inspector, "hrss_inspector": d.hrss_inspector}[who]
    response = _api(user).post(f"/api/v1/employers/{d.ours.pk}/listings/", body)
    # the housing inspector sees the employer (403); the HRSS one does not (404)
    assert response.status_code == (403 if who == "inspector" else 404)
    assert not EmployerListing.objects.exists()
