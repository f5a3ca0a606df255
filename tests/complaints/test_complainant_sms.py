"""The complainant hears from the system: one SMS when the complaint is received, signed for,
paid and closed — in Chinese, with the tracking number and no other personal data, each step
switched off by configuration, none twice, batches texted in bulk, each on the timeline."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from arrears import config
from arrears.services import config_set
from arrears.sms import LoggingSmsBackend
from complaints.cases import services as case_services
from complaints.intake import services as intake_services
from complaints.intake.batch import Entry, complaints_create_many
from complaints.integration import sms
from complaints.models import ComplainantSms, Complaint, ComplaintEvent, EventKind
from complaints.tracking import format_tracking_no
from tests.complaints.conftest import City, complaint_data
from tests.complaints.test_cases import (
    Signed,
    signed,  # noqa: F401 - the fixture
)

PHONE = "13812345678"


def _texts(complaint: Complaint) -> list[ComplainantSms]:
    return list(ComplainantSms.objects.filter(complaint=complaint).order_by("pk"))


def _timeline(complaint: Complaint) -> list[str]:
    return list(
        ComplaintEvent.objects.filter(complaint=complaint, kind=EventKind.SMS)
        .order_by("pk")
        .values_list("note", flat=True)
    )


def _no_personal_data(body: str) -> None:
    for personal in ("张三", PHONE, "5678", "86400", "86,400", "11010519491231002X"):
        assert personal not in body


def _pay_all(case: Any, user: Any) -> Any:
    return case_services.case_record_payment(
        case=case,
        user=user,
        paid_on=timezone.localdate(),
        amount=Decimal("86400.00"),
        workers_paid=12,
    )


def test_each_step_texts_once_in_chinese_and_shows_on_the_timeline(signed: Signed) -> None:  # noqa: F811
    # given: a complaint received and signed for (the fixture)
    complaint, case, user = signed.complaint, signed.case, signed.housing_a
    number = format_tracking_no(complaint.tracking_no)

    # when: its case is accepted, paid and closed
    case_services.case_accept(case=case, user=user)
    _pay_all(case, user)
    case_services.case_close(case=case, user=user, outcome="paid_in_full", note="付清")

    # then: four texts, one per step, each on the timeline word for word
    texts = _texts(complaint)
    assert [t.key for t in texts] == [
        "received",
        "signed",
        f"payment:{case.payments.get().pk}",
        "closed:0",
    ]
    received, signed_for, paid, closed = (t.body for t in texts)
    assert received.startswith(f"【根治欠薪】您的欠薪投诉已收到，查询码{number}。")
    assert f"/track/?no={complaint.tracking_no}" in received
    assert (
        signed_for
        == f"【根治欠薪】您的投诉（查询码{number}）已由{signed.a_housing.name}签收，正在办理。"
    )
    assert paid == f"【根治欠薪】您的投诉（查询码{number}）已登记追回工资，请留意查收。"
    assert "已办结，办理结果：全额支付。" in closed
    # the link is the public rating page's
    assert "请您对办理情况作出评价" in closed and f"/track/{complaint.tracking_no}/rate/" in closed
    for body in (received, signed_for, paid, closed):
        _no_personal_data(body)
    assert _timeline(complaint) == [received, signed_for, paid, closed]
    # Internal steps: the complainant's public timeline (and the callbacks) are unchanged.
    assert not ComplaintEvent.objects.filter(kind=EventKind.SMS, public=True).exists()


def test_the_drain_sends_to_the_decrypted_phone(signed: Signed) -> None:  # noqa: F811
    LoggingSmsBackend.sent.clear()
    assert sms.texts_deliver_due() == 2  # received, signed
    assert [phone for phone, _text in LoggingSmsBackend.sent] == [PHONE, PHONE]
    assert [text for _p, text in LoggingSmsBackend.sent] == [
        t.body for t in _texts(signed.complaint)
    ]
    assert sms.texts_deliver_due() == 0  # delivered rows are never sent again
    LoggingSmsBackend.sent.clear()


def test_repeated_actions_text_nobody_twice(signed: Signed) -> None:  # noqa: F811
    complaint, case, user = signed.complaint, signed.case, signed.housing_a
    case_services.case_accept(case=case, user=user)
    payment = case_services.case_record_payment(
        case=case, user=user, paid_on=timezone.localdate(), amount=Decimal("100"), workers_paid=1
    )
    before = len(_texts(complaint))
    # the same steps told again (a retried task, a re-saved payment, a second call)
    from complaints.timeline import texts_send

    texts_send([sms.received(complaint), sms.signed(complaint, signed.a_housing)])
    texts_send([sms.paid(complaint, payment.pk)])
    payment.save()
    assert len(_texts(complaint)) == before == 3
    assert len(_timeline(complaint)) == 3
    # a second installment is news: one more text
    _pay = case_services.case_record_payment(
        case=case, user=user, paid_on=timezone.localdate(), amount=Decimal("100"), workers_paid=1
    )
    assert len(_texts(complaint)) == 4
    # a case reopened and closed again tells its new result, once per closure
    case_services.case_close(case=case, user=user, outcome="partly_paid", note="部分")
    case_services.case_reopen(case=case, user=user, reason="再查")
    case_services.case_close(case=case, user=user, outcome="partly_paid", note="部分")
    keys = [t.key for t in _texts(complaint)]
    assert keys.count("closed:0") == 1 and keys.count("closed:1") == 1


@pytest.mark.parametrize("step", sms.STEPS)
def test_a_step_switched_off_sends_nothing(city: City, calendar_2026: None, step: str) -> None:
    config_set(key=f"complaints.sms.{step}", value=False)
    complaint = intake_services.complaint_create(
        data=complaint_data(county_code="369902", industry_code="housing"), channel="web_form"
    )
    intake_services.complaint_sign(complaint=complaint, user=city.housing_a)
    complaint.refresh_from_db()
    case = complaint.case
    assert case is not None
    case_services.case_accept(case=case, user=city.housing_a)
    _pay_all(case, city.housing_a)
    case_services.case_close(case=case, user=city.housing_a, outcome="paid_in_full", note="付清")
    keys = [t.key.split(":")[0] for t in _texts(complaint)]
    assert {"received", "signed", "payment", "closed"} - set(keys) == {
        {"paid": "payment"}.get(step, step)
    }
    assert len(_timeline(complaint)) == 3
    config.forget()


def test_switched_off_for_one_city_only(city: City) -> None:
    config_set(key="complaints.sms.received", value=False, city=city.a.city)
    here = intake_services.complaint_create(
        data=complaint_data(county_code="369902"), channel="web_form"
    )
    assert _texts(here) == []
    config.forget()


def test_a_landline_gets_no_text(city: City) -> None:
    complaint = intake_services.complaint_create(
        data=complaint_data(complainant_phone="010-62345678"), channel="web_form"
    )
    assert _texts(complaint) == [] and _timeline(complaint) == []


def test_a_batch_texts_each_complaint_once_in_bulk(city: City) -> None:
    entries = [
        Entry(data=complaint_data(employer_name=f"单位{n}"), external_id=f"S-{n}")
        for n in range(30)
    ]
    results = complaints_create_many(entries=entries, channel="hotline_12345", client=city.client)
    saved = [r for r in results if isinstance(r, Complaint)]
    assert len(saved) == 30
    rows = ComplainantSms.objects.filter(complaint__in=saved)
    assert rows.count() == 30 and {r.key for r in rows} == {"received"}
    assert ComplaintEvent.objects.filter(complaint__in=saved, kind=EventKind.SMS).count() == 30
    for complaint in saved:
        body = rows.get(complaint=complaint).body
        assert format_tracking_no(complaint.tracking_no) in body
    # the texts of a batch cost the same few queries for 3 complaints as for 30
    from complaints.timeline import texts_send

    def queries(complaints: list[Complaint]) -> int:
        ComplainantSms.objects.all().delete()
        with CaptureQueriesContext(connection) as context:
            assert len(texts_send([sms.received(c) for c in complaints])) == len(complaints)
        return len(context)

    assert queries(saved[:3]) == queries(saved) <= 8


def test_the_link_fills_in_the_tracking_number(client: Any, db: None) -> None:
    page = client.get("/track/?no=SJ6CZ4STZC").content.decode()
    assert 'value="SJ6CZ4STZC"' in page
