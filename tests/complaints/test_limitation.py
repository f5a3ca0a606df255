"""The limitation period (劳动保障监察条例 art. 20): a complaint received more than
`complaints.limitation_years` after the end of the period owed is received all the same, and
the officer is warned on the complaint and case pages and in the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from rest_framework.test import APIClient

from arrears.services import config_set
from complaints.intake import services
from complaints.limitation import limitation_warning
from complaints.models import Complaint
from tests.complaints.conftest import City, complaint_data
from tests.complaints.test_pages import FORM

pytestmark = pytest.mark.dates  # the public form files at the current time

TZ = dt.timezone(dt.timedelta(hours=8))


def _complaint(period_end: dt.date | None, **more: object) -> Complaint:
    return services.complaint_create(
        data=complaint_data(
            county_code="369902",
            industry_code="housing",
            period_start=period_end - dt.timedelta(days=90) if period_end else None,
            period_end=period_end,
            received_at=dt.datetime(2026, 9, 28, 10, tzinfo=TZ),
            **more,
        ),
        channel="web_form",
    )


def test_two_years_from_the_end_of_the_period_owed(city: City) -> None:
    # the last day of the period is still within: 2024-09-28 + 2 years = the day received
    assert limitation_warning(_complaint(dt.date(2024, 9, 28))) is None
    late = _complaint(dt.date(2024, 9, 27))
    warning = limitation_warning(late)
    assert warning is not None and "2024-09-27" in warning and "2026-09-27" in warning
    # no date given: nothing to warn about
    assert limitation_warning(_complaint(None)) is None
    # a city may set its own period
    config_set(key="complaints.limitation_years", value=3, city=city.a.city)
    assert limitation_warning(late) is None


def test_a_late_complaint_is_received_and_the_officer_warned(city: City) -> None:
    # given: the public form with a period that ended more than two years ago
    web = Client()
    response = web.post(
        "/complain/", {**FORM, "period_start": "2023-05-01", "period_end": "2023-12-31"}
    )
    # then: received as any other (never refused)
    assert response.status_code == 302 and response["Location"] == "/complain/done/"
    complaint = Complaint.objects.get(period_end=dt.date(2023, 12, 31))
    # and the officers see the warning on the complaint page and in the API
    staff = Client()
    staff.force_login(city.office)
    html = staff.get(f"/complaints/{complaint.tracking_no}/").content.decode()
    assert 'data-testid="limitation-warning"' in html and "2023-12-31" in html
    api = APIClient()
    api.force_authenticate(city.office)
    body = api.get(f"/api/v1/complaints/{complaint.tracking_no}/").json()
    assert "2023-12-31" in body["limitation_warning"]


def test_the_case_shows_the_warning_of_its_complaint(city: City, calendar_2026: None) -> None:
    complaint = _complaint(dt.date(2023, 6, 30))
    services.complaint_sign(complaint=complaint, user=city.housing_a)
    complaint.refresh_from_db()
    assert complaint.case is not None
    web = Client()
    web.force_login(city.housing_a)
    html = web.get(f"/cases/{complaint.case.pk}/").content.decode()
    assert 'data-testid="limitation-warning"' in html
    api = APIClient()
    api.force_authenticate(city.housing_a)
    body = api.get(f"/api/v1/cases/{complaint.case.pk}/").json()
    assert len(body["limitation_warnings"]) == 1 and "2023-06-30" in body["limitation_warnings"][0]
    # a complaint within the period: nothing shown
    fresh = _complaint(dt.date(2026, 8, 31), employer_name="另一家公司")
    assert limitation_warning(fresh) is None
