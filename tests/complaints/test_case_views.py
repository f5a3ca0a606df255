"""The case pages and the case API call the same services; the API answers 409 for an
illegal transition and 404 outside the scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from arrears import workdays
from complaints.cases import services
from complaints.models import Case
from reporting.today import my_worklist_figures
from tests.complaints.test_cases import (
    Signed,
    signed,  # noqa: F401 - the fixture
)

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates

TZ = dt.timezone(dt.timedelta(hours=8))


def test_worklist_orders_by_urgency_and_filters(signed: Signed) -> None:  # noqa: F811
    web = Client()
    web.force_login(signed.housing_a)
    html = web.get("/cases/").content.decode()
    case = signed.case
    assert f'data-testid="case-{case.pk}" data-urgency="overdue"' in html  # 2026 clocks passed
    assert case.number
    assert case.number in web.get("/cases/", {"q": "江城建工"}).content.decode()
    assert case.number not in web.get("/cases/", {"q": "别的单位"}).content.decode()
    assert case.number not in web.get("/cases/", {"state": "closed"}).content.decode()
    # another unit's inspector has nothing in their worklist
    other = Client()
    other.force_login(signed.hrss_a)
    assert case.number not in other.get("/cases/?view=all").content.decode()


def test_worklist_urgency_filter_and_sorting(signed: Signed) -> None:  # noqa: F811
    web = Client()
    web.force_login(signed.housing_a)
    case = signed.case
    # the home page's "overdue" number links to the worklist filtered to exactly those cases
    figures = {f.testid: f for f in my_worklist_figures(signed.housing_a, timezone.now())}
    overdue = figures["mine-overdue"]
    assert overdue.url == "/cases/?urgency=overdue" and overdue.value == 1
    assert case.number
    assert case.number in web.get(overdue.url).content.decode()
    assert figures["mine-today"].value == 0
    assert case.number not in web.get("/cases/?urgency=today").content.decode()
    # a column header sorts the list; an unknown key falls back to the urgency order
    html = web.get("/cases/?sort=-owed").content.decode()
    assert 'data-sort="owed" aria-sort="descending"' in html and case.number in html
    assert web.get("/cases/?sort=password").status_code == 200


def test_case_page_actions_through_the_pages(signed: Signed) -> None:  # noqa: F811
    web = Client()
    web.force_login(signed.housing_a)
    case = signed.case
    page = web.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="action-accept"' in page and 'data-testid="action-close"' not in page
    web.post(f"/cases/{case.pk}/accept/")
    web.post(f"/cases/{case.pk}/file/", {"filed_on": "2026-09-30"})
    web.post(
        f"/cases/{case.pk}/payment/",
        {"paid_on": "2026-10-09", "amount": "86400.00", "workers_paid": "12"},
    )
    response = web.post(
        f"/cases/{case.pk}/close/", {"outcome": "paid_in_full", "note": "已全部支付"}, follow=True
    )
    case.refresh_from_db()
    assert (case.state, case.outcome) == ("closed", "paid_in_full")
    html = response.content.decode()
    assert 'data-testid="case-state">已结案' in html
    # a second close is refused with a message, not an error page
    response = web.post(
        f"/cases/{case.pk}/close/", {"outcome": "paid_in_full", "note": "x"}, follow=True
    )
    assert response.status_code == 200
    assert "不能结案" in response.content.decode()
    # bad form input: the page again (400) with the error by the field
    response = web.post(f"/cases/{case.pk}/feedback/", {"satisfaction": "9"}, follow=True)
    assert response.status_code == 400
    assert 'data-testid="error-feedback-satisfaction"' in response.content.decode()
    assert Case.objects.get(pk=case.pk).satisfaction is None


def test_case_api_actions_and_conflicts(signed: Signed) -> None:  # noqa: F811
    api = APIClient()
    api.force_authenticate(signed.housing_a)
    case = signed.case
    listed = api.get("/api/v1/cases/").json()["results"]
    assert [c["number"] for c in listed] == [case.number]
    assert listed[0]["allowed_actions"] == ["accept", "refuse"]
    assert (
        api.post(
            f"/api/v1/cases/{case.pk}/close/",
            {"outcome": "paid_in_full", "note": "x"},
            format="json",
        ).status_code
        == 409
    )
    body = api.post(f"/api/v1/cases/{case.pk}/accept/").json()
    assert body["state"] == "accepted"
    assert api.post(f"/api/v1/cases/{case.pk}/accept/").status_code == 409
    r = api.post(
        f"/api/v1/cases/{case.pk}/payments/",
        {"paid_on": "2026-10-09", "amount": "-5", "workers_paid": 1},
        format="json",
    )
    assert r.status_code == 422 and "amount" in r.json()  # refused by the rules
    r = api.post(
        f"/api/v1/cases/{case.pk}/entries/",
        {"kind": "order", "text": "责令3日内支付"},
        format="json",
    )
    assert r.status_code == 422 and "due_date" in r.json()
    due = workdays.add_working_days(timezone.localdate(), 3).isoformat()
    r = api.post(
        f"/api/v1/cases/{case.pk}/entries/",
        {"kind": "order", "text": "责令3日内支付", "due_date": due},
        format="json",
    )
    assert r.status_code == 200
    assert r.json()["entries"][-1]["kind"] == "order"
    outsider = APIClient()
    outsider.force_authenticate(signed.official_b)
    assert outsider.get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert outsider.post(f"/api/v1/cases/{case.pk}/accept/").status_code == 404


def test_leader_sees_their_major_case_on_their_page(signed: Signed) -> None:  # noqa: F811
    case = signed.case
    services.case_triage(
        case=case,
        user=signed.housing_a,
        triage_class="major",
        reason="风险高",
        leader=signed.leader,
        plan="专班",
    )
    web = Client()
    web.force_login(signed.leader)
    assert case.number
    assert case.number in web.get("/cases/?view=leader").content.decode()
    assert web.get(f"/cases/{case.pk}/").status_code == 200


def test_evidence_on_a_timeline_entry(signed: Signed) -> None:  # noqa: F811
    web = Client()
    web.force_login(signed.housing_a)
    case = signed.case
    photo = SimpleUploadedFile("现场.jpg", b"\xff\xd8\xff\xe0 photo", "image/jpeg")
    web.post(
        f"/cases/{case.pk}/record/", {"kind": "visit", "text": "现场核查考勤", "evidence": [photo]}
    )
    entry = case.entries.get(kind="visit")
    assert [a.original_name for a in entry.attachments.all()] == ["现场.jpg"]
    assert "现场.jpg" in web.get(f"/cases/{case.pk}/").content.decode()
    fake = SimpleUploadedFile("令.pdf", b"not a pdf", "application/pdf")
    response = web.post(
        f"/cases/{case.pk}/record/",
        {"kind": "order", "text": "责令支付", "due_date": "2026-10-13", "evidence": [fake]},
        follow=True,
    )
    assert "文件内容与类型不符" in response.content.decode()
    assert not case.entries.filter(kind="order").exists()
