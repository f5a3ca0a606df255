"""The public rating page (/track/<number>/rate/, the link of the closing SMS): the
complainant rates a closed case once, with the phone's last four digits as on the tracking
page; no personal data shown; rate-limited with the tracking page; the rating becomes the
case's satisfaction, the figure the dashboards average."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from arrears.errors import Conflict
from complaints.cases import services as case_services
from complaints.models import Case, CaseEntry, ComplaintEvent, ComplaintRating
from tests.complaints.test_cases import (
    Signed,
    signed,  # noqa: F401 - the fixture
)


def _address() -> str:
    """An address of its own per test: the rate limit's counters outlive a test in Redis."""
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


def _close(signed: Signed) -> Case:  # noqa: F811
    case, user = signed.case, signed.housing_a
    case_services.case_accept(case=case, user=user)
    case_services.case_record_payment(
        case=case,
        user=user,
        paid_on=timezone.localdate(),
        amount=Decimal("86400.00"),
        workers_paid=12,
    )
    return case_services.case_close(case=case, user=user, outcome="paid_in_full", note="付清")


def _url(signed: Signed) -> str:  # noqa: F811
    return f"/track/{signed.complaint.tracking_no}/rate/"


def test_a_closed_case_is_rated_once_and_feeds_the_satisfaction(signed: Signed) -> None:  # noqa: F811
    # given a closed case and its complainant on a phone
    case = _close(signed)
    web, ip = Client(enforce_csrf_checks=True), _address()
    page = web.get(_url(signed), REMOTE_ADDR=ip)
    html = page.content.decode()
    assert page.status_code == 200 and 'name="csrfmiddlewaretoken"' in html
    assert "非常满意" in html and "基本满意" in html and "不满意" in html
    # no personal data: not the name, the phone, the employer or the amount
    for personal in ("张三", "13812345678", "86400", signed.complaint.employer_name):
        assert personal not in html
    token = web.cookies["csrftoken"].value
    # when they rate 4 (满意)
    done = web.post(
        _url(signed),
        {"phone_last4": "5678", "satisfaction": "4", "csrfmiddlewaretoken": token},
        REMOTE_ADDR=ip,
    )
    # then thanked (POST/redirect/GET), and the case's satisfaction is 4
    assert done.status_code == 302 and done["Location"].endswith("?done=1")
    assert 'data-testid="rate-done"' in web.get(done["Location"]).content.decode()
    case.refresh_from_db()
    assert case.satisfaction == 4
    assert CaseEntry.objects.filter(case=case, kind="feedback", data__online=True).count() == 1
    assert ComplaintEvent.objects.filter(complaint=signed.complaint, kind="rated").exists()
    # a second rating is refused and changes nothing
    again = web.post(
        _url(signed),
        {"phone_last4": "5678", "satisfaction": "1", "csrfmiddlewaretoken": token},
        REMOTE_ADDR=ip,
    )
    assert 'data-testid="rate-refused"' in again.content.decode()
    assert "已评价过" in again.content.decode()
    case.refresh_from_db()
    assert case.satisfaction == 4
    assert ComplaintRating.objects.count() == 1


def test_without_the_csrf_token_nothing_is_rated(signed: Signed) -> None:  # noqa: F811
    _close(signed)
    web = Client(enforce_csrf_checks=True)
    response = web.post(
        _url(signed), {"phone_last4": "5678", "satisfaction": "5"}, REMOTE_ADDR=_address()
    )
    assert response.status_code == 403
    assert not ComplaintRating.objects.exists()


def test_an_open_case_cannot_be_rated_yet(signed: Signed) -> None:  # noqa: F811
    web = Client()
    response = web.post(
        _url(signed), {"phone_last4": "5678", "satisfaction": "5"}, REMOTE_ADDR=_address()
    )
    assert "办结后才能评价" in response.content.decode()
    assert not ComplaintRating.objects.exists()
    with pytest.raises(Conflict):
        case_services.complaint_rate(complaint=signed.complaint, satisfaction=5)


def test_a_wrong_phone_or_number_looks_the_same_and_a_bad_number_is_404(
    signed: Signed,  # noqa: F811
) -> None:
    _close(signed)
    web, ip = Client(), _address()
    wrong = web.post(_url(signed), {"phone_last4": "0000", "satisfaction": "5"}, REMOTE_ADDR=ip)
    unknown = web.post(
        "/track/ZZZZZZZZZZ/rate/", {"phone_last4": "5678", "satisfaction": "5"}, REMOTE_ADDR=ip
    )
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert 'data-testid="not-found"' in response.content.decode()
    assert web.get("/track/TOO-SHORT/rate/").status_code == 404
    # no choice, or one off the scale: the form says so, nothing is stored
    bad = web.post(_url(signed), {"phone_last4": "5678", "satisfaction": "9"}, REMOTE_ADDR=ip)
    assert bad.status_code == 400 and 'data-testid="error-satisfaction"' in bad.content.decode()
    assert not ComplaintRating.objects.exists()


def test_the_dashed_form_of_the_number_works_too(signed: Signed) -> None:  # noqa: F811
    case = _close(signed)
    number = signed.complaint.tracking_no
    web = Client()
    done = web.post(
        f"/track/{number[:5]}-{number[5:]}/rate/",
        {"phone_last4": "5678", "satisfaction": "3"},
        REMOTE_ADDR=_address(),
    )
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.satisfaction == 3


def test_rating_shares_the_tracking_pages_limit(signed: Signed, settings: Any) -> None:  # noqa: F811
    _close(signed)
    web, ip = Client(), _address()
    for _ in range(10):
        web.post("/track/", {"tracking_no": "ZZZZZZZZZZ", "phone_last4": "1234"}, REMOTE_ADDR=ip)
    blocked = web.post(_url(signed), {"phone_last4": "5678", "satisfaction": "5"}, REMOTE_ADDR=ip)
    assert blocked.status_code == 429
    assert not ComplaintRating.objects.exists()


def test_the_mean_of_several_complainants_rounded_half_up(signed: Signed) -> None:  # noqa: F811
    case = _close(signed)
    case_services.complaint_rate(complaint=signed.complaint, satisfaction=5)
    case.refresh_from_db()
    assert case.satisfaction == 5
    # a callback afterwards records what the officer heard: the latest record stands
    case_services.case_feedback(case=case, user=signed.housing_a, satisfaction=3)
    case.refresh_from_db()
    assert case.satisfaction == 3


def test_the_closing_sms_links_to_the_rating_page(signed: Signed) -> None:  # noqa: F811
    _close(signed)
    closed = signed.complaint.texts.get(key="closed:0").body
    link = closed.rsplit("：", 1)[1]
    assert urlsplit(link).path == f"/track/{signed.complaint.tracking_no}/rate/"
    assert Client().get(urlsplit(link).path).status_code == 200


def test_the_tracking_page_of_a_closed_case_links_to_the_rating_page(
    signed: Signed,  # noqa: F811
) -> None:
    web, ip = Client(), _address()
    number = signed.complaint.tracking_no
    form = {"tracking_no": number, "phone_last4": "5678"}
    assert (
        'data-testid="track-rate"' not in web.post("/track/", form, REMOTE_ADDR=ip).content.decode()
    )
    _close(signed)
    html = web.post("/track/", form, REMOTE_ADDR=ip).content.decode()
    assert f'href="/track/{number}/rate/"' in html
