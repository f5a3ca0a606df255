"""A representative request per endpoint of the API, its success and its refusals, each
response checked against the committed docs/openapi.yaml (tests/openapi.py): the status is
documented for the operation and the body has the documented shape."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rest_framework.test import APIClient

from complaints.intake import services
from tests.complaints.conftest import City, Received, complaint_data
from tests.openapi import assert_matches_schema

pytestmark = pytest.mark.dates  # reads the clock (received dates, deadlines)

TZ = dt.timezone(dt.timedelta(hours=8))


def _client(user: Any = None, key: str | None = None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    if key is not None:
        api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return api


def _referral(external_id: str, **overrides: Any) -> dict[str, Any]:
    data = complaint_data(**overrides)
    data = {k: (str(v) if v is not None and not isinstance(v, int) else v) for k, v in data.items()}
    return {"external_id": external_id, **data}


@pytest.fixture
def signed(city: City, calendar_2026: None) -> Received:
    complaint = services.complaint_create(
        data=complaint_data(
            county_code="369902",
            industry_code="housing",
            received_at=dt.datetime(2026, 9, 28, 10, tzinfo=TZ),
        ),
        channel="web_form",
    )
    services.complaint_sign(complaint=complaint, user=city.housing_a)
    complaint.refresh_from_db()
    return Received.of(city, complaint)


def test_shared_endpoints_keep_their_contract(city: City, calendar_2026: None) -> None:
    office = _client(city.office)
    for url, path in [
        ("/api/v1/me/", "/api/v1/me/"),
        ("/api/v1/counties/", "/api/v1/counties/"),
        (f"/api/v1/counties/{city.a.code}/", "/api/v1/counties/{code}/"),
        ("/api/v1/departments/", "/api/v1/departments/"),
        (f"/api/v1/departments/{city.city_hrss.pk}/", "/api/v1/departments/{id}/"),
        ("/api/v1/notifications/?read_at__isnull=true", "/api/v1/notifications/"),
        ("/api/v1/calendar/years/", "/api/v1/calendar/years/"),
        ("/api/v1/calendar/is-working-day/?date=2026-10-01", "/api/v1/calendar/is-working-day/"),
        ("/api/v1/projects/", "/api/v1/projects/"),
        (f"/api/v1/projects/{city.project.pk}/checklist/", "/api/v1/projects/{id}/checklist/"),
        ("/api/v1/employers/", "/api/v1/employers/"),
        ("/api/v1/warnings/", "/api/v1/warnings/"),
        ("/api/v1/wage-records/", "/api/v1/wage-records/"),
    ]:
        response = office.get(url)
        assert response.status_code == 200, (url, response.content)
        assert_matches_schema(response, path, "get")
    # then: each refusal in the documented shape
    refusals = [
        (office.get("/api/v1/counties/?page_size=0"), "/api/v1/counties/", 400),
        (office.get("/api/v1/counties/?cursor=nonsense"), "/api/v1/counties/", 404),
        (office.get("/api/v1/counties/999999/"), "/api/v1/counties/{code}/", 404),
        (_client().get("/api/v1/me/"), "/api/v1/me/", 403),
        (
            office.get("/api/v1/calendar/add-working-days/?date=1990-01-01&days=1"),
            "/api/v1/calendar/add-working-days/",
            422,
        ),
        (
            office.get("/api/v1/notifications/?read_at__isnull=yes"),
            "/api/v1/notifications/",
            400,
        ),
    ]
    for response, path, status in refusals:
        assert response.status_code == status, (path, response.content)
        assert response["Content-Type"] == "application/json"
        assert_matches_schema(response, path, "get")
    response = office.delete("/api/v1/me/")
    assert response.status_code == 405
    assert_matches_schema(response, "/api/v1/me/", "get")  # 405 is documented per operation


def test_referral_endpoints_keep_their_contract(city: City) -> None:
    hotline = _client(key=city.key)
    created = hotline.post("/api/v1/referrals/", _referral("C-1"), format="json")
    assert created.status_code == 201
    assert_matches_schema(created, "/api/v1/referrals/", "post")
    replayed = hotline.post("/api/v1/referrals/", _referral("C-1"), format="json")
    assert replayed.status_code == 200
    assert_matches_schema(replayed, "/api/v1/referrals/", "post")
    conflict = hotline.post("/api/v1/referrals/", _referral("C-1", facts="别的事实"), format="json")
    assert conflict.status_code == 409
    assert_matches_schema(conflict, "/api/v1/referrals/", "post")
    for body, status in [
        ({"external_id": "C-2"}, 400),  # malformed: required fields missing
        (_referral("C-3", complainant_id_number="110105194912310021"), 422),  # bad checksum
        (_referral("C-4", received_at="1999-12-31T00:00:00+08:00"), 422),  # before 2000
    ]:
        response = hotline.post("/api/v1/referrals/", body, format="json")
        assert response.status_code == status, response.content
        assert_matches_schema(response, "/api/v1/referrals/", "post")
    for response, path, method in [
        (hotline.get("/api/v1/referrals/"), "/api/v1/referrals/", "get"),
        (hotline.get("/api/v1/referrals/C-1/"), "/api/v1/referrals/{external_id}/", "get"),
        (hotline.get("/api/v1/referrals/nope/"), "/api/v1/referrals/{external_id}/", "get"),
        (
            hotline.post("/api/v1/referrals/batch/", {"referrals": [1]}, format="json"),
            "/api/v1/referrals/batch/",
            "post",
        ),
        (_client().get("/api/v1/referrals/"), "/api/v1/referrals/", "get"),
        (_client(city.office).get("/api/v1/referrals/"), "/api/v1/referrals/", "get"),
    ]:
        assert_matches_schema(response, path, method)
    assert _client().get("/api/v1/referrals/").status_code == 401


def test_complaint_and_case_actions_keep_their_contract(signed: Received) -> None:
    complaint, case = signed.complaint, signed.case
    inspector = _client(signed.housing_a)
    office = _client(signed.office)
    tracking = complaint.tracking_no
    for response, path, method in [
        (office.get("/api/v1/complaints/"), "/api/v1/complaints/", "get"),
        (
            office.get(f"/api/v1/complaints/{tracking}/"),
            "/api/v1/complaints/{tracking_no}/",
            "get",
        ),
        (
            office.get("/api/v1/complaints/?received_after=1999-01-01T00:00:00Z"),
            "/api/v1/complaints/",
            "get",
        ),
        (
            _client(signed.official_b).get(f"/api/v1/complaints/{tracking}/"),
            "/api/v1/complaints/{tracking_no}/",
            "get",
        ),
        (
            office.post(
                f"/api/v1/complaints/{tracking}/dispatch/", {"department": 0}, format="json"
            ),
            "/api/v1/complaints/{tracking_no}/dispatch/",
            "post",
        ),
        (office.get("/api/v1/cases/"), "/api/v1/cases/", "get"),
        (inspector.get(f"/api/v1/cases/{case.pk}/"), "/api/v1/cases/{id}/", "get"),
        (
            inspector.post(f"/api/v1/cases/{case.pk}/accept/", format="json"),
            "/api/v1/cases/{id}/accept/",
            "post",
        ),
        (  # accepted already: 409
            inspector.post(f"/api/v1/cases/{case.pk}/accept/", format="json"),
            "/api/v1/cases/{id}/accept/",
            "post",
        ),
        (  # malformed: 400
            inspector.post(f"/api/v1/cases/{case.pk}/refuse/", {"reason": 1}, format="json"),
            "/api/v1/cases/{id}/refuse/",
            "post",
        ),
        (
            inspector.post(
                f"/api/v1/cases/{case.pk}/entries/",
                {"kind": "call", "text": "电话联系用人单位"},
                format="json",
            ),
            "/api/v1/cases/{id}/entries/",
            "post",
        ),
        (
            inspector.post(
                f"/api/v1/cases/{case.pk}/close/",
                {"outcome": "mediated", "note": "调解"},
                format="json",
            ),
            "/api/v1/cases/{id}/close/",
            "post",
        ),
        (
            _client(signed.official_b).post(f"/api/v1/cases/{case.pk}/accept/"),
            "/api/v1/cases/{id}/accept/",
            "post",
        ),
    ]:
        assert_matches_schema(response, path, method)


def test_wage_records_keep_their_contract(city: City) -> None:
    office = _client(city.office)
    body = {
        "project": city.project.code,
        "month": "2026-01-01",
        "labour_cost_paid_in": "1000.00",
        "workers_on_roll": 3,
        "workers_paid": 3,
        "amount_paid": "900.00",
    }
    created = office.post("/api/v1/wage-records/", body, format="json")
    assert created.status_code == 201, created.content
    assert_matches_schema(created, "/api/v1/wage-records/", "post")
    refusals: list[tuple[dict[str, Any], int]] = [
        ({"amount_paid": None}, 400),
        ({"amount_paid": 900}, 400),  # a JSON number where the schema says a decimal string
        ({"workers_paid": 2**40}, 400),  # was a 500 from PostgreSQL
        ({"project": "XM-NONE"}, 422),
        ({"month": "2999-01-01"}, 422),
    ]
    for changed, status in refusals:
        response = office.post("/api/v1/wage-records/", {**body, **changed}, format="json")
        assert response.status_code == status, (changed, response.content)
        assert_matches_schema(response, "/api/v1/wage-records/", "post")
    without = {k: v for k, v in body.items() if k != "amount_paid"}
    response = office.post("/api/v1/wage-records/", without, format="json")
    assert response.status_code == 400  # was a 500: the service needs both amounts
