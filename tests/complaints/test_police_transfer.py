"""The police transfer in three steps (国务院令310号 art. 5): proposed, decided by the head
within 3 calendar days, handed over within 24 hours — clocks that run through the 2026
National Day holiday and weekends, escalated by the sweep like the others."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from arrears import deadlines
from arrears.errors import Conflict
from arrears.models import Deadline, Notification
from complaints.cases import services as case_services
from complaints.models import Case
from tests.complaints.test_cases import (
    Signed,
    signed,  # noqa: F401 - the fixture
)

pytestmark = pytest.mark.dates

TZ = dt.timezone(dt.timedelta(hours=8))
APPROVAL, HANDOVER = "case.police_approval", "case.police_handover"


def _clock(case: Case, kind: str) -> Deadline:
    return Deadline.objects.for_subject(case).get(kind=kind)


def _at(year: int, month: int, day: int, hour: int) -> time_machine.travel:
    return time_machine.travel(dt.datetime(year, month, day, hour, tzinfo=TZ), tick=False)


def _proposed(signed: Signed) -> Case:  # noqa: F811
    case = signed.case
    case_services.case_accept(case=case, user=signed.housing_a)
    with _at(2026, 9, 30, 10):  # Wednesday before National Day (10/1–10/7)
        case_services.case_propose_police(
            case=case, user=signed.housing_a, note="欠薪逾三个月，经责令仍不支付"
        )
    return case


def test_the_approval_clock_runs_three_calendar_days_through_the_holiday(
    signed: Signed,  # noqa: F811
) -> None:
    case = _proposed(signed)
    clock = _clock(case, APPROVAL)
    # 72 hours, not 3 working days (which would end on 10/10, the make-up Saturday)
    assert clock.calendar_hours == 72
    assert clock.due_at == dt.datetime(2026, 10, 3, 10, tzinfo=TZ)
    assert clock.due_date == dt.date(2026, 10, 3)
    assert clock.remind_at == dt.datetime(2026, 10, 2, 10, tzinfo=TZ)
    assert clock.next_escalation_at == clock.due_at
    # a holiday does not stop the sweep: escalated at the due time, on 10/3
    deadlines.deadlines_sweep(now=dt.datetime(2026, 10, 3, 9, 59, tzinfo=TZ))
    assert not Notification.objects.filter(kind="deadline.escalation").exists()
    deadlines.deadlines_sweep(now=dt.datetime(2026, 10, 3, 10, 1, tzinfo=TZ))
    assert Notification.objects.filter(
        recipient=signed.official_a, kind="deadline.escalation"
    ).exists()
    clock.refresh_from_db()
    assert clock.escalation_level == 1
    # the next step of the ladder (2 working days) counts working days after the due date:
    # 10/8, 10/9 (the holiday ends 10/7): 10/9, at the end of the working day
    assert clock.next_escalation_at is not None
    assert clock.next_escalation_at.astimezone(TZ).date() == dt.date(2026, 10, 9)


def test_approval_opens_the_24_hour_hand_over_over_a_weekend(
    signed: Signed,  # noqa: F811
) -> None:
    case = _proposed(signed)
    with _at(2026, 10, 2, 15):  # a holiday: the head decides all the same
        case_services.case_decide_police(case=case, user=signed.head_a, approve=True)
    approval = _clock(case, APPROVAL)
    assert approval.state == "met"
    handover = _clock(case, HANDOVER)
    assert handover.calendar_hours == 24
    assert handover.due_at == dt.datetime(2026, 10, 3, 15, tzinfo=TZ)
    assert handover.remind_at == dt.datetime(2026, 10, 3, 3, tzinfo=TZ)  # half of it left
    with _at(2026, 10, 3, 14):
        entry = case_services.case_transfer_police(case=case, user=signed.housing_a, note="已移交")
    assert entry.kind == "police" and entry.data["handed_over_on_time"] is True
    assert _clock(case, HANDOVER).state == "met"
    assert case_services.police_step(case) == "transferred"
    with pytest.raises(Conflict):  # handed over once
        case_services.case_propose_police(case=case, user=signed.housing_a, note="再次")


def test_a_late_hand_over_is_recorded_as_missed(signed: Signed) -> None:  # noqa: F811
    case = _proposed(signed)
    with _at(2026, 10, 10, 9):  # the make-up Saturday: the approval itself was late
        case_services.case_decide_police(case=case, user=signed.head_a, approve=True)
    assert _clock(case, APPROVAL).state == "missed"
    with _at(2026, 10, 11, 10):  # Sunday, 25 hours later
        entry = case_services.case_transfer_police(case=case, user=signed.housing_a, note="移交")
    assert entry.data["handed_over_on_time"] is False
    assert _clock(case, HANDOVER).state == "missed"


def test_a_calendar_change_does_not_move_the_police_clocks(
    signed: Signed,  # noqa: F811
) -> None:
    case = _proposed(signed)
    before = _clock(case, APPROVAL).due_at
    deadlines.deadlines_recompute()
    assert _clock(case, APPROVAL).due_at == before


def test_only_the_head_decides_and_not_the_proposer(signed: Signed) -> None:  # noqa: F811
    case = _proposed(signed)
    with pytest.raises(PermissionDenied):
        case_services.case_decide_police(case=case, user=signed.housing_a, approve=True)
    with pytest.raises(ValidationError):  # a refusal says why
        case_services.case_decide_police(case=case, user=signed.head_a, approve=False)
    case_services.case_decide_police(
        case=case, user=signed.head_a, approve=False, note="证据不足，继续调查"
    )
    assert case_services.police_step(case) is None
    assert _clock(case, APPROVAL).state in ("met", "missed")
    assert not Deadline.objects.for_subject(case).filter(kind=HANDOVER).exists()
    with pytest.raises(Conflict):  # nothing approved: no hand-over
        case_services.case_transfer_police(case=case, user=signed.housing_a, note="移交")
    # proposed again after more evidence
    case_services.case_propose_police(case=case, user=signed.housing_a, note="补充证据")
    assert case_services.police_step(case) == "proposed"


def test_the_hand_over_needs_a_proposal_and_an_approval(signed: Signed) -> None:  # noqa: F811
    case = signed.case
    with pytest.raises(Conflict):
        case_services.case_transfer_police(case=case, user=signed.housing_a, note="移交")
    with pytest.raises(Conflict):
        case_services.case_decide_police(case=case, user=signed.head_a, approve=True)
    with pytest.raises(ValidationError):
        case_services.case_propose_police(case=case, user=signed.housing_a, note=" ")


def test_the_case_page_offers_each_step_in_turn(signed: Signed, client) -> None:  # noqa: F811
    case = signed.case
    case_services.case_accept(case=case, user=signed.housing_a)
    client.force_login(signed.housing_a)
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'action="/cases/{case.pk}/police_propose/"' in html
    response = client.post(f"/cases/{case.pk}/police_propose/", {"note": "涉嫌拒不支付"})
    assert response.status_code == 302
    assert (
        'data-testid="clock-case.police_approval"'
        in client.get(f"/cases/{case.pk}/").content.decode()
    )
    # the proposer is not offered the decision; the head is
    assert (
        f"/cases/{case.pk}/police_decide/" not in client.get(f"/cases/{case.pk}/").content.decode()
    )
    client.force_login(signed.head_a)
    assert f"/cases/{case.pk}/police_decide/" in client.get(f"/cases/{case.pk}/").content.decode()
    client.post(f"/cases/{case.pk}/police_decide/", {"approve": "yes", "note": ""})
    client.force_login(signed.housing_a)
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'action="/cases/{case.pk}/police/"' in html
    client.post(f"/cases/{case.pk}/police/", {"note": "已移交公安机关"})
    assert case.entries.filter(kind="police").count() == 1
    assert _clock(case, HANDOVER).state == "met"


def test_closing_the_case_stops_a_pending_transfer(signed: Signed) -> None:  # noqa: F811
    case = _proposed(signed)
    case_services.case_record(case=case, user=signed.housing_a, kind="mediation", text="调解")
    case_services.case_close(case=case, user=signed.housing_a, outcome="mediated", note="调解结案")
    assert _clock(case, APPROVAL).state in ("met", "missed")


def test_the_api_takes_the_same_three_steps(signed: Signed) -> None:  # noqa: F811
    case = signed.case
    case_services.case_accept(case=case, user=signed.housing_a)
    officer, head = APIClient(), APIClient()
    officer.force_authenticate(signed.housing_a)
    head.force_authenticate(signed.head_a)
    base = f"/api/v1/cases/{case.pk}"
    assert officer.post(f"{base}/police-transfer/", {"note": "移交"}).status_code == 409
    assert officer.post(f"{base}/police-proposal/", {}).status_code == 400  # the facts
    r = officer.post(f"{base}/police-proposal/", {"note": "涉嫌拒不支付劳动报酬罪"})
    assert r.status_code == 200, r.content
    assert "police_proposal" in [e["kind"] for e in r.json()["entries"]]
    assert officer.post(f"{base}/police-decision/", {"approve": True}).status_code == 403
    assert head.post(f"{base}/police-decision/", {"approve": True}).status_code == 200
    r = officer.post(f"{base}/police-transfer/", {"note": "已移交"})
    assert r.status_code == 200
    assert "police" in r.json()["outcomes_available"]
    assert officer.post(f"{base}/police-transfer/", {"note": "再次"}).status_code == 409
