"""Which case clocks pause for arbitration, an extension request or a suspension, as the
configuration of each kind says, and the case page showing each running clock's rules
(fixture: test_cases.signed, a complaint signed by 东湖's housing inspector on 2026-09-28)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from arrears import deadlines, services, workdays
from arrears.errors import Conflict
from arrears.models import Deadline
from complaints.cases import actions as case_actions
from complaints.cases import services as case_services
from complaints.models import Case
from tests.complaints.test_cases import (
    Signed,
    signed,  # noqa: F401 - the fixture
)


def _clocks(case: Case) -> dict[str, Deadline]:
    return {d.kind: d for d in Deadline.objects.for_subject(case)}


def _filed(signed: Signed) -> Case:  # noqa: F811
    case, user = signed.case, signed.housing_a
    case_services.case_accept(case=case, user=user)
    case_services.case_file(case=case, user=user, filed_on=dt.date(2026, 9, 30))
    return Case.objects.get(pk=case.pk)


def test_a_city_that_does_not_pause_for_arbitration(signed: Signed) -> None:  # noqa: F811
    case = _filed(signed)
    services.config_set(
        key="deadline.pause.case.close.arbitration", value=False, city=signed.a.city
    )
    case_services.case_refer_arbitration(case=case, user=signed.housing_a, note="争议")
    assert _clocks(case)["case.close"].state == "open"
    assert not case.entries.filter(kind="pause").exists()
    assert "resume" not in case_actions.available(case, signed.housing_a)


def test_arbitration_pauses_the_clocks_so_configured_and_says_which(
    signed: Signed,  # noqa: F811
) -> None:
    case = _filed(signed)
    # the order to pay pauses too in this city
    case_services.case_record(
        case=case,
        user=signed.housing_a,
        kind="order",
        text="限期支付",
        due_date=dt.date(2030, 1, 7),
    )
    services.config_set(key="deadline.pause.case.order.arbitration", value=True)
    case_services.case_refer_arbitration(case=case, user=signed.housing_a, note="争议")
    clocks = _clocks(case)
    assert clocks["case.close"].pause_reason == "arbitration"
    assert clocks["case.order"].state == "paused"
    entry = case.entries.get(kind="pause")
    assert "办结时限" in entry.text and "责令支付期限" in entry.text
    case_services.case_resume(case=case, user=signed.housing_a, note="裁决")
    assert {d.state for d in _clocks(case).values() if d.kind in ("case.close", "case.order")} == {
        "open"
    }


def test_an_extension_request_pauses_until_decided_where_configured(
    signed: Signed,  # noqa: F811
) -> None:
    case = _filed(signed)
    services.config_set(key="deadline.pause.case.close.extension", value=True)
    request = case_services.case_request_extension(
        case=case, user=signed.housing_a, working_days=10, reason="证据需补充"
    )
    close = _clocks(case)["case.close"]
    assert (close.state, close.pause_reason) == ("paused", "extension")
    # an officer's 恢复计时 is not offered for it: the decision resumes it
    assert "resume" not in case_actions.available(case, signed.housing_a)
    with pytest.raises(Conflict):
        case_services.case_resume(case=case, user=signed.housing_a)
    case_services.case_decide_extension(request=request, user=signed.head_a, approve=False)
    close = _clocks(case)["case.close"]
    assert close.state == "open" and close.pause_reason == ""


def test_an_extension_request_does_not_pause_by_default(signed: Signed) -> None:  # noqa: F811
    case = _filed(signed)
    case_services.case_request_extension(
        case=case, user=signed.housing_a, working_days=10, reason="证据需补充"
    )
    assert _clocks(case)["case.close"].state == "open"


def test_a_suspension_pauses_the_closing_clock_and_resume_restarts_it(
    signed: Signed,  # noqa: F811
) -> None:
    case = _filed(signed)
    assert "suspend" in case_actions.available(case, signed.housing_a)
    with pytest.raises(Exception, match="中止理由"):
        case_services.case_suspend(case=case, user=signed.housing_a, note=" ")
    case_services.case_suspend(case=case, user=signed.housing_a, note="用人单位负责人失联")
    close = _clocks(case)["case.close"]
    assert (close.state, close.pause_reason) == ("paused", "suspension")
    assert "suspend" not in case_actions.available(case, signed.housing_a)
    # arbitration's end does not resume a suspension, but 恢复计时 does
    assert deadlines.deadlines_resume_for(subject=case, reason="arbitration") == []
    case_services.case_resume(case=case, user=signed.housing_a, note="已联系上")
    assert _clocks(case)["case.close"].state == "open"


def test_no_suspension_where_no_clock_pauses_for_it(signed: Signed) -> None:  # noqa: F811
    case = _filed(signed)
    services.config_set(key="deadline.pause.case.close.suspension", value=False)
    assert "suspend" not in case_actions.available(case, signed.housing_a)
    with pytest.raises(Conflict):
        case_services.case_suspend(case=case, user=signed.housing_a, note="失联")


def test_the_case_page_shows_each_running_clocks_rules(signed: Signed) -> None:  # noqa: F811
    case = _filed(signed)
    web = Client()
    web.force_login(signed.housing_a)
    html = web.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="clock-case.close"' in html
    row = html.split('data-testid="pause-rules-case.close"')[1].split("</td>")[0]
    assert "仲裁期间暂停" in row
    assert "延期申请审批期间不暂停" in row
    assert "中止期间暂停" in row
    # the accepting clock is closed: no rules shown for it
    assert 'data-testid="pause-rules-case.accept">—' in html
    # paused for a suspension: the state says why
    web.post(f"/cases/{case.pk}/suspend/", {"note": "失联"})
    html = web.get(f"/cases/{case.pk}/").content.decode()
    assert "已暂停（中止期间）" in html


def test_case_clock_reminders_are_five_and_one_working_days(signed: Signed) -> None:  # noqa: F811
    case = _filed(signed)
    close = _clocks(case)["case.close"]
    calendar_due = close.due_date
    # a sweep each morning from filing to the due date: the closing clock's two steps
    sent: list[Any] = []
    start = dt.datetime(2026, 9, 30, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    for day in range((calendar_due - start.date()).days + 1):
        now = start + dt.timedelta(days=day)
        if deadlines.sweep_reminders(now=now):
            sent.append(now.date())
    close.refresh_from_db()
    assert close.kind == "case.close"
    assert workdays.add_working_days(calendar_due, -5) in sent
    assert workdays.add_working_days(calendar_due, -1) in sent
    assert close.reminded_step == 1 and close.remind_at is None
