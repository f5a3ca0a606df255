"""Status that follows the case everywhere (tracking page, complaint API, callbacks),
POST/redirect/GET with a one-time token on the public form, and one tracking-number format
accepted however it is typed."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from complaints.cases import services as case_services
from complaints.intake import services as intake_services
from complaints.integration.callbacks import public_status
from complaints.models import (
    STATUS_FOR_CASE_STATE,
    CallbackDelivery,
    CaseState,
    Complaint,
    ComplaintStatus,
)
from complaints.tracking import format_tracking_no, normalize_tracking_no
from tests.complaints.conftest import City, complaint_data
from tests.complaints.test_cases import (
    Signed,
    signed,  # noqa: F401 - the fixture
)
from tests.complaints.test_pages import FORM
from tests.races import run_at_once, succeeded

pytestmark = pytest.mark.dates  # the fixture's case was received in 2026


def _status(signed: Signed) -> str:  # noqa: F811
    return Complaint.objects.get(pk=signed.complaint.pk).status


def test_the_complaint_follows_its_case_through_every_step(signed: Signed) -> None:  # noqa: F811
    case, user = signed.case, signed.housing_a
    assert _status(signed) == "signed"
    case_services.case_accept(case=case, user=user)
    assert _status(signed) == "accepted"
    case_services.case_file(case=case, user=user)
    assert _status(signed) == "filed"
    case_services.case_record_payment(
        case=case, user=user, paid_on=timezone.localdate(), amount=case.amount_owed, workers_paid=12
    )
    case_services.case_close(case=case, user=user, outcome="paid_in_full", note="付清")
    assert _status(signed) == "closed"
    complaint = Complaint.objects.get(pk=signed.complaint.pk)
    assert public_status(complaint)["status_display"] == "已办结"
    assert public_status(complaint)["result"] == "全额支付"
    case_services.case_reopen(case=case, user=user, reason="仍有欠款")
    assert _status(signed) == "filed"


def test_a_refused_case_refuses_its_complaints(signed: Signed) -> None:  # noqa: F811
    case_services.case_refuse(case=signed.case, user=signed.housing_a, reason="属劳动争议")
    assert _status(signed) == "refused"


def test_a_complaint_joining_an_accepted_case_takes_its_status(signed: Signed) -> None:  # noqa: F811
    case_services.case_accept(case=signed.case, user=signed.housing_a)
    other = intake_services.complaint_create(
        data=complaint_data(
            county_code="369902", industry_code="housing", complainant_phone="13700000001"
        ),
        channel="hotline_12345",
    )
    intake_services.complaint_sign(complaint=other, user=signed.housing_a)
    assert Complaint.objects.get(pk=other.pk).status == "accepted"


def test_tracking_page_api_and_callbacks_agree_after_closure(signed: Signed) -> None:  # noqa: F811
    case, user = signed.case, signed.housing_a
    client = signed.client
    client.callback_url = "https://hotline.example/callback"
    client.save(update_fields=["callback_url"])
    complaint = signed.complaint
    Complaint.objects.filter(pk=complaint.pk).update(client=client, external_id="12345-CLOSE")
    case_services.case_accept(case=case, user=user)
    case_services.case_close(case=case, user=user, outcome="withdrawn", note="投诉人撤回")
    complaint.refresh_from_db()
    # the worker's page
    html = (
        Client()
        .post("/track/", {"tracking_no": complaint.tracking_no.lower(), "phone_last4": "5678"})
        .content.decode()
    )
    status = re.search(r'data-testid="track-status">([^<]+)<', html)
    assert status and status.group(1) == "已办结"
    assert "已签收" not in html.split('data-testid="track-status"')[1].split("</p>")[0]
    # the staff API
    api = APIClient()
    api.force_authenticate(user)
    body = api.get(f"/api/v1/complaints/{complaint.tracking_no}/").json()
    assert (body["status"], body["status_display"]) == ("closed", "已办结")
    # the callback written with the closing event carries the new status
    last = CallbackDelivery.objects.filter(complaint=complaint).order_by("pk").last()
    assert last is not None
    assert (last.payload["status"], last.payload["result"]) == ("closed", "投诉人撤回")
    assert last.payload["event"]["text"] == "已办结：投诉人撤回"


def test_the_status_mapping_covers_every_case_state() -> None:
    assert set(STATUS_FOR_CASE_STATE) == set(CaseState.values)
    assert set(STATUS_FOR_CASE_STATE.values()) <= set(ComplaintStatus.values)


# --- POST/redirect/GET and the one-time token ------------------------------------------------


def _token(html: str) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', html)
    assert match, "no token in the form"
    return match.group(1)


def test_refreshing_or_resubmitting_the_public_form_files_one_complaint(
    city: City,
) -> None:
    web = Client()
    token = _token(web.get("/complain/").content.decode())
    first = web.post("/complain/", {**FORM, "form_token": token})
    assert first.status_code == 302 and first["Location"] == "/complain/done/"
    done = web.get("/complain/done/").content.decode()
    assert Complaint.objects.count() == 1
    shown = re.search(r'data-testid="tracking-no">([A-Z0-9-]+)<', done)
    assert shown and shown.group(1) == format_tracking_no(Complaint.objects.get().tracking_no)
    # refreshing the confirmation is a GET: nothing new
    assert web.get("/complain/done/").status_code == 200
    # the same page submitted again (back + submit, a double click, another browser)
    again = Client().post("/complain/", {**FORM, "form_token": token}, follow=True)
    assert Complaint.objects.count() == 1
    assert shown.group(1) in again.content.decode()
    # a fresh form is a new complaint
    token2 = _token(web.get("/complain/").content.decode())
    assert token2 != token
    web.post("/complain/", {**FORM, "form_token": token2, "complainant_phone": "13900000009"})
    assert Complaint.objects.count() == 2


def test_a_refused_submit_keeps_its_token_for_the_corrected_one(city: City) -> None:
    web = Client()
    token = _token(web.get("/complain/").content.decode())
    bad = web.post("/complain/", {**FORM, "workers_owed": "0", "form_token": token})
    assert bad.status_code == 200 and _token(bad.content.decode()) == token
    web.post("/complain/", {**FORM, "form_token": token})
    web.post("/complain/", {**FORM, "form_token": token})
    assert Complaint.objects.count() == 1


def test_the_confirmation_without_a_complaint_goes_back_to_the_form(city: City) -> None:
    response = Client().get("/complain/done/")
    assert response.status_code == 302 and response["Location"] == "/complain/"


def test_the_duty_form_is_one_complaint_per_token_too(city: City) -> None:
    duty = Client()
    duty.force_login(city.duty)
    token = _token(duty.get("/intake/new/").content.decode())
    data = {**FORM, "channel": "duty_phone", "received_at": "", "form_token": token}
    assert duty.post("/intake/new/", data).status_code == 302
    assert duty.post("/intake/new/", data).status_code == 302
    assert Complaint.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_submits_of_one_form_at_once_file_one_complaint(city: City) -> None:
    def submit() -> int:
        return intake_services.complaint_create(
            data=complaint_data(), channel="web_form", form_token="t" * 32
        ).pk

    filed = succeeded(run_at_once(submit, 2))
    assert len(set(filed)) == 1
    assert Complaint.objects.count() == 1


# --- Tracking numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["SJ6CZ-4STZC", "SJ6CZ4STZC", "sj6cz-4stzc", " sj6cz 4stzc ", "ＳＪ６ＣＺ－４ＳＴＺＣ"]
)
def test_tracking_numbers_are_accepted_however_typed(typed: str) -> None:
    assert normalize_tracking_no(typed) == "SJ6CZ4STZC"
    assert format_tracking_no(typed) == "SJ6CZ-4STZC"


def test_one_format_on_every_page_and_lookups_in_any_form(signed: Signed) -> None:  # noqa: F811
    complaint, user = signed.complaint, signed.housing_a
    dashed = format_tracking_no(complaint.tracking_no)
    typed = dashed.lower().replace("-", " - ")
    web = Client()
    web.force_login(user)
    # the staff complaint page under any spelling of the number

    page = web.get(f"/complaints/{quote(typed)}/")
    assert page.status_code == 200 and dashed in page.content.decode()
    case_page = web.get(f"/cases/{signed.case.pk}/").content.decode()
    assert f">{dashed}<" in case_page and f">{complaint.tracking_no}<" not in case_page
    inbox = web.get("/intake/inbox/", {"tracking_no": typed}).content.decode()
    assert "form-errors" not in inbox
    worklist = web.get("/cases/", {"q": dashed.lower()}).content.decode()
    assert signed.case.number
    assert signed.case.number in worklist
    # the API: lookup and filter accept it, output is the display form
    api = APIClient()
    api.force_authenticate(user)
    body = api.get(f"/api/v1/complaints/{quote(typed)}/").json()
    assert body["tracking_no"] == dashed
    listed = api.get("/api/v1/complaints/", {"tracking_no": dashed.lower()}).json()["results"]
    assert [row["tracking_no"] for row in listed] == [dashed]
    assert api.get("/api/v1/complaints/", {"tracking_no": "ZZZZZ-ZZZZZ"}).json()["results"] == []
