"""Work orders of the referring systems: the type a referral carries (checked against its
client's types), the clocks it starts in working days across the 2026 National Day holiday
and the 10/10 make-up Saturday, and their state in the callbacks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from arrears import deadlines
from arrears.models import Deadline, Notification
from complaints.cases import services as case_services
from complaints.intake import services as intake_services
from complaints.integration.work_orders import work_order_status
from complaints.models import CallbackDelivery, Complaint
from complaints.models.integration import validate_work_order_types
from tests.complaints.conftest import City, complaint_data

pytestmark = pytest.mark.dates

TZ = dt.timezone(dt.timedelta(hours=8))
RECEIVED = "2026-09-30T10:00:00+08:00"  # Wednesday before National Day (10/1–10/7)


def _payload(external_id: str, **overrides: Any) -> dict[str, Any]:
    data = complaint_data(county_code="369902", industry_code="housing", **overrides)
    data = {k: (str(v) if v is not None and not isinstance(v, int) else v) for k, v in data.items()}
    return {"external_id": external_id, "received_at": RECEIVED, **data}


def _api(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return api


def _clocks(complaint: Complaint) -> dict[str, Deadline]:
    return {d.kind: d for d in Deadline.objects.for_subject(complaint)}


def test_12345_types_have_their_own_limits_in_working_days(city: City, calendar_2026: None) -> None:
    api = _api(city.key)
    due = {}
    for code in ("consultation", "help", "complaint"):
        r = api.post(
            "/api/v1/referrals/", _payload(f"12345-{code}", work_order_type=code), format="json"
        )
        assert r.status_code == 201, r.content
        complaint = Complaint.objects.get(external_id=f"12345-{code}")
        assert complaint.work_order_type == code
        [clock] = _clocks(complaint).values()
        assert clock.kind == "workorder.close"
        due[code] = clock.due_date
    # 2 working days from Wed 9/30: 10/8, 10/9 (10/1–10/7 are National Day); 10: with the
    # make-up Saturday 10/10 a working day, 10/20; 15: 10/27
    assert due == {
        "consultation": dt.date(2026, 10, 9),
        "help": dt.date(2026, 10, 20),
        "complaint": dt.date(2026, 10, 27),
    }


def test_a_referral_without_a_type_starts_no_work_order_clock(
    city: City, calendar_2026: None
) -> None:
    r = _api(city.key).post("/api/v1/referrals/", _payload("12345-none"), format="json")
    assert r.status_code == 201
    complaint = Complaint.objects.get(external_id="12345-none")
    assert not _clocks(complaint) and work_order_status(complaint) is None


def test_an_unknown_type_is_refused_in_chinese_and_nothing_is_saved(
    city: City, calendar_2026: None
) -> None:
    api = _api(city.key)
    r = api.post("/api/v1/referrals/", _payload("12345-x", work_order_type="clue"), format="json")
    assert r.status_code in (400, 422), r.content
    message = r.json()["work_order_type"][0]
    assert "未知的工单类型" in message and "consultation（咨询）" in message
    assert not Complaint.objects.filter(external_id="12345-x").exists()
    # in a batch, only that referral is refused
    batch = api.post(
        "/api/v1/referrals/batch/",
        {
            "referrals": [
                _payload("12345-b1", work_order_type="help"),
                _payload("12345-b2", work_order_type="nonsense"),
            ]
        },
        format="json",
    )
    assert batch.status_code == 200, batch.content
    outcomes = [item["outcome"] for item in batch.json()["results"]]
    assert outcomes == ["created", "rejected"]
    assert _clocks(Complaint.objects.get(external_id="12345-b1"))["workorder.close"].due_date == (
        dt.date(2026, 10, 20)
    )


def test_a_client_configures_its_own_types(city: City, calendar_2026: None) -> None:
    client = city.client
    client.work_order_types = {"urgent": {"name": "紧急", "close": 1}}
    client.full_clean()
    client.save()
    api = _api(city.key)
    assert (
        api.post(
            "/api/v1/referrals/", _payload("12345-u", work_order_type="urgent"), format="json"
        ).status_code
        == 201
    )
    complaint = Complaint.objects.get(external_id="12345-u")
    assert _clocks(complaint)["workorder.close"].due_date == dt.date(2026, 10, 8)
    # the presets no longer apply to this client
    r = api.post("/api/v1/referrals/", _payload("12345-c", work_order_type="help"), format="json")
    assert r.status_code in (400, 422)
    with pytest.raises(ValidationError):
        validate_work_order_types({"x": {"name": "无时限"}})
    with pytest.raises(ValidationError):
        validate_work_order_types({"x": {"name": "零天", "close": 0}})


def test_clue_platform_accept_respond_close_and_the_callbacks_carry_them(
    city: City, calendar_2026: None
) -> None:
    client = city.other_client
    client.callback_url, client.callback_secret = "http://127.0.0.1:9/cb", "s" * 20
    client.save()
    r = _api(city.other_key).post(
        "/api/v1/referrals/", _payload("clue-1", work_order_type="clue"), format="json"
    )
    assert r.status_code == 201, r.content
    complaint = Complaint.objects.get(external_id="clue-1")
    clocks = _clocks(complaint)
    # accept 1, respond 3, close 15 working days from Wed 9/30, across the holiday
    assert clocks["workorder.accept"].due_date == dt.date(2026, 10, 8)
    assert clocks["workorder.respond"].due_date == dt.date(2026, 10, 10)  # make-up Saturday
    assert clocks["workorder.close"].due_date == dt.date(2026, 10, 27)
    # the very first callback (received) already carries the due times
    first = CallbackDelivery.objects.filter(complaint=complaint).order_by("pk").first()
    assert first is not None
    work_order = first.payload["work_order"]
    assert work_order["type"] == "clue" and work_order["type_name"] == "欠薪线索"
    assert work_order["due_at"].startswith("2026-10-27T17:30")
    assert [s["stage"] for s in work_order["stages"]] == ["accept", "respond", "close"]
    # signing answers "accept" (late: on 10/10, the make-up Saturday, past 10/8's end)
    with time_machine.travel(dt.datetime(2026, 10, 10, 9, tzinfo=TZ), tick=False):
        intake_services.complaint_sign(complaint=complaint, user=city.housing_a)
    assert _clocks(complaint)["workorder.accept"].state == "missed"
    complaint.refresh_from_db()
    # the respond stage is overdue before anyone calls (due at the end of Saturday 10/10)
    deadlines.deadlines_sweep(now=dt.datetime(2026, 10, 12, 17, 31, tzinfo=TZ))
    assert Notification.objects.filter(kind="deadline.escalation").exists()
    with time_machine.travel(dt.datetime(2026, 10, 12, 18, tzinfo=TZ), tick=False):
        status = work_order_status(complaint)
    assert status is not None
    assert {s["stage"]: s["state"] for s in status["stages"]}["respond"] == "overdue"
    # a call answers it; closing the case meets the close stage, and the callback says so
    case = complaint.case
    assert case is not None
    with time_machine.travel(dt.datetime(2026, 10, 13, 9, tzinfo=TZ), tick=False):
        case_services.case_record(case=case, user=city.housing_a, kind="call", text="电话联系")
        case_services.case_accept(case=case, user=city.housing_a)
        case_services.case_record(case=case, user=city.housing_a, kind="mediation", text="调解")
        case_services.case_close(
            case=case, user=city.housing_a, outcome="mediated", note="调解结案"
        )
    clocks = _clocks(complaint)
    assert clocks["workorder.respond"].state == "missed"
    assert clocks["workorder.close"].state == "met"
    last = CallbackDelivery.objects.filter(complaint=complaint).order_by("-pk").first()
    assert last is not None
    assert last.payload["status"] == "closed"
    assert last.payload["work_order"]["state"] == "met"
    assert last.payload["work_order"]["met"] is True
    assert last.payload["work_order"]["overdue"] is False


def test_other_channels_carry_no_work_order(city: City, calendar_2026: None) -> None:
    complaint = intake_services.complaint_create(
        data=complaint_data(county_code="369902"), channel="web_form"
    )
    assert complaint.work_order_type == "" and not _clocks(complaint)
