"""Money that cannot contradict itself: recovered wages never exceed what is owed (service,
page, API, database, two payments at once), revising the amount owed, and the outcome rules
of closure at their boundaries. The case: 12 workers owed ¥86,400 (tests.complaints.
test_cases.signed)."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone, translation
from rest_framework.test import APIClient

from arrears import workdays
from arrears.errors import Conflict
from complaints.cases import outcomes
from complaints.cases import services as case_services
from complaints.intake import services as intake_services
from complaints.models import Case, Outcome
from tests.complaints.conftest import complaint_data
from tests.complaints.test_cases import (
    Signed,
    signed,  # noqa: F401 - the fixture
)
from tests.races import run_together

OWED = Decimal("86400.00")
FEN = Decimal("0.01")


def _pay(case: Case, user: Any, amount: Decimal, workers: int = 1) -> Any:
    return case_services.case_record_payment(
        case=case, user=user, paid_on=timezone.localdate(), amount=amount, workers_paid=workers
    )


def _case(signed: Signed) -> Case:  # noqa: F811
    return Case.objects.get(pk=signed.case.pk)


# --- Payments never exceed what is owed ------------------------------------------------------


def test_paying_exactly_what_is_owed_then_one_fen_more(signed: Signed) -> None:  # noqa: F811
    case, user = signed.case, signed.housing_a
    _pay(case, user, Decimal("50000.00"), 7)
    _pay(case, user, OWED - Decimal("50000.00"), 5)  # exactly the rest
    assert _case(signed).recovered_amount == OWED
    with pytest.raises(ValidationError) as info:
        _pay(case, user, FEN)
    assert "尚欠工资 0.00 元" in info.value.message_dict["amount"][0]
    assert _case(signed).recovered_amount == OWED
    assert case.payments.count() == 2  # the refused one left nothing behind
    assert not case.entries.filter(kind="payment", data__amount="0.01").exists()


def test_one_payment_one_fen_over_is_refused(signed: Signed) -> None:  # noqa: F811
    case, user = signed.case, signed.housing_a
    with pytest.raises(ValidationError) as info:
        _pay(case, user, OWED + FEN)
    message = info.value.message_dict["amount"][0]
    assert "86,400.00" in message and "请先核定欠薪金额" in message
    _pay(case, user, OWED)
    assert _case(signed).recovered_amount == OWED


def test_revise_then_pay_more(signed: Signed) -> None:  # noqa: F811
    case, user = signed.case, signed.housing_a
    _pay(case, user, OWED, 12)
    entry = case_services.case_revise_owed(
        case=case,
        user=user,
        amount_owed=Decimal("120000.00"),
        workers_owed=15,
        reason="现场核查考勤表，另有3名工人被欠薪",
    )
    assert entry.kind == "revise_owed"
    assert entry.data["amount_owed"] == ["86400.00", "120000.00"]
    assert entry.data["workers_owed"] == [12, 15]
    assert "86,400.00 → 120,000.00" in entry.text and "12 → 15" in entry.text
    assert "另有3名工人" in entry.text
    revised = _case(signed)
    assert (revised.amount_owed, revised.workers_owed) == (Decimal("120000.00"), 15)
    _pay(case, user, Decimal("33600.00"), 3)
    assert _case(signed).recovered_amount == Decimal("120000.00")
    with pytest.raises(ValidationError):
        _pay(case, user, FEN)


def test_revision_rules(signed: Signed) -> None:  # noqa: F811
    case, user = signed.case, signed.housing_a
    _pay(case, user, Decimal("40000.00"), 6)
    with pytest.raises(ValidationError) as info:
        case_services.case_revise_owed(
            case=case, user=user, amount_owed=Decimal("90000"), reason=" "
        )
    assert "reason" in info.value.message_dict
    # exactly what was recovered is allowed; a fen less is not
    with pytest.raises(ValidationError) as info:
        case_services.case_revise_owed(
            case=case, user=user, amount_owed=Decimal("39999.99"), reason="核减"
        )
    assert "不能低于已追回工资 40,000.00 元" in info.value.message_dict["amount_owed"][0]
    with pytest.raises(ValidationError) as info:
        case_services.case_revise_owed(case=case, user=user, workers_owed=5, reason="核减")
    assert "workers_owed" in info.value.message_dict
    with pytest.raises(ValidationError):  # nothing changes
        case_services.case_revise_owed(case=case, user=user, amount_owed=OWED, reason="复核")
    case_services.case_revise_owed(
        case=case, user=user, amount_owed=Decimal("40000.00"), reason="核减"
    )
    assert _case(signed).amount_owed == Decimal("40000.00")
    with pytest.raises(ValidationError):  # nothing left to pay
        _pay(case, user, FEN)
    case_services.case_accept(case=case, user=user)
    case_services.case_close(case=_case(signed), user=user, outcome="paid_in_full", note="付清")
    with pytest.raises(Conflict):  # closed: reopen first
        case_services.case_revise_owed(
            case=case, user=user, amount_owed=Decimal("50000"), reason="x"
        )
    with pytest.raises(Conflict):
        _pay(case, user, FEN)


def test_a_complaint_joining_later_adds_to_the_revised_amount(signed: Signed) -> None:  # noqa: F811
    case, user = signed.case, signed.housing_a
    case_services.case_revise_owed(
        case=case, user=user, amount_owed=Decimal("100000.00"), reason="核实后增加"
    )
    other = intake_services.complaint_create(
        data=complaint_data(
            county_code="369902",
            industry_code="housing",
            complainant_phone="13700000001",
            workers_owed=3,
            amount_owed=Decimal("9000.00"),
        ),
        channel="hotline_12345",
    )
    intake_services.complaint_sign(complaint=other, user=user)
    joined = _case(signed)
    assert (joined.amount_owed, joined.workers_owed) == (Decimal("109000.00"), 15)


def test_the_database_refuses_more_recovered_than_owed(signed: Signed) -> None:  # noqa: F811
    case = signed.case
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(recovered_amount=OWED + FEN)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(workers_paid=13)
    Case.objects.filter(pk=case.pk).update(recovered_amount=OWED, workers_paid=12)  # at the limit


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_payments_at_once_cannot_together_exceed_what_is_owed(signed: Signed) -> None:  # noqa: F811
    case = signed.case

    def pay(user: Any) -> Callable[[], Any]:
        return lambda: _pay(Case.objects.get(pk=case.pk), user, Decimal("50000.00"), 6)

    outcomes_ = run_together(pay(signed.housing_a), pay(signed.head_a))
    # each alone fits (50,000 ≤ 86,400); together they would not: one waits for the other's
    # row lock, then sees 36,400 left
    assert sorted(type(o).__name__ for o in outcomes_) == ["CasePayment", "ValidationError"]
    assert _case(signed).recovered_amount == Decimal("50000.00")
    assert case.payments.count() == 1


# --- Outcome rules ---------------------------------------------------------------------------


def _close(case: Case, user: Any, outcome: str) -> Case:
    return case_services.case_close(
        case=Case.objects.get(pk=case.pk), user=user, outcome=outcome, note="结案"
    )


def _record(case: Case, user: Any, kind: str) -> None:
    due = None
    if kind == "order":
        due = workdays.add_working_days(timezone.localdate(), 3)
    case_services.case_record(case=case, user=user, kind=kind, text="记录", due_date=due)


def test_paid_in_full_needs_every_yuan(signed: Signed) -> None:  # noqa: F811
    case, user = signed.case, signed.housing_a
    case_services.case_accept(case=case, user=user)
    with pytest.raises(ValidationError) as info:  # nothing recovered
        _close(case, user, "paid_in_full")
    _pay(case, user, OWED - FEN, 12)  # one fen short
    with pytest.raises(ValidationError) as info:
        _close(case, user, "paid_in_full")
    message = info.value.message_dict["outcome"][0]
    assert "全额支付" in message and "86,399.99" in message
    available, refused = outcomes.outcome_choices(_case(signed))
    assert "partly_paid" in available and "paid_in_full" in refused
    _pay(case, user, FEN, 0)
    available, refused = outcomes.outcome_choices(_case(signed))
    assert "paid_in_full" in available and "partly_paid" in refused
    with pytest.raises(ValidationError):
        _close(case, user, "partly_paid")  # nothing is still owed
    assert _close(case, user, "paid_in_full").outcome == "paid_in_full"


def test_partly_paid_needs_something_recovered_and_something_owed(signed: Signed) -> None:  # noqa: F811
    case, user = signed.case, signed.housing_a
    case_services.case_accept(case=case, user=user)
    with pytest.raises(ValidationError):
        _close(case, user, "partly_paid")  # nothing recovered
    _pay(case, user, FEN, 0)
    assert _close(case, user, "partly_paid").outcome == "partly_paid"


@pytest.mark.parametrize("outcome", ["not_substantiated", "withdrawn", "outside_jurisdiction"])
def test_no_result_outcomes_need_nothing_recovered(signed: Signed, outcome: str) -> None:  # noqa: F811
    case, user = signed.case, signed.housing_a
    case_services.case_accept(case=case, user=user)
    assert outcome in outcomes.outcome_choices(case)[0]
    _pay(case, user, FEN, 0)
    with pytest.raises(ValidationError):
        _close(case, user, outcome)
    case_services.case_revise_owed(case=case, user=user, amount_owed=FEN, reason="核实")
    assert _close(case, user, "paid_in_full").outcome == "paid_in_full"


@pytest.mark.parametrize(
    ("outcome", "step"),
    [
        ("mediated", "mediation"),
        ("order", "order"),
        ("fined", "visit"),
        ("fined", "interview"),
        ("fined", "order"),
        ("police", "police"),
        ("arbitration", "arbitration"),
    ],
)
def test_procedural_outcomes_need_their_step_on_the_timeline(
    signed: Signed,  # noqa: F811
    outcome: str,
    step: str,
) -> None:
    case, user = signed.case, signed.housing_a
    case_services.case_accept(case=case, user=user)
    case_services.case_record(case=case, user=user, kind="call", text="电话联系")  # not enough
    with pytest.raises(ValidationError) as info:
        _close(case, user, outcome)
    assert str(outcomes.OUTCOME_RULES[outcome].requires) in info.value.message_dict["outcome"][0]
    if step == "arbitration":
        case_services.case_refer_arbitration(case=case, user=user, note="告知申请仲裁")
    elif step == "police":
        case_services.case_propose_police(case=case, user=user, note="涉嫌拒不支付劳动报酬罪")
        with pytest.raises(ValidationError):  # proposed is not transferred
            _close(case, user, outcome)
        case_services.case_decide_police(case=case, user=signed.head_a, approve=True)
        with pytest.raises(ValidationError):  # approved is not handed over either
            _close(case, user, outcome)
        case_services.case_transfer_police(case=case, user=user, note="移送")
    else:
        _record(case, user, step)
    assert _close(case, user, outcome).outcome == outcome


def test_arbitration_needs_something_still_owed(signed: Signed) -> None:  # noqa: F811
    case, user = signed.case, signed.housing_a
    case_services.case_accept(case=case, user=user)
    case_services.case_refer_arbitration(case=case, user=user, note="告知申请仲裁")
    _pay(case, user, OWED, 12)
    with pytest.raises(ValidationError):
        _close(case, user, "arbitration")


def test_every_outcome_has_a_rule_and_the_docs_show_it_word_for_word() -> None:
    assert set(outcomes.OUTCOME_RULES) == set(Outcome.values)
    doc = (Path(__file__).resolve().parents[2] / "docs" / "case-rules.md").read_text()

    with translation.override("zh-hans"):
        for outcome, rule in outcomes.OUTCOME_RULES.items():
            row = f"| `{outcome}` {Outcome(outcome).label} | {rule.requires} |"
            assert row in doc, row


# --- Through the API and the page ------------------------------------------------------------


def test_api_refuses_over_payment_and_wrong_outcome_with_chinese_messages(
    signed: Signed,  # noqa: F811
) -> None:
    api = APIClient()
    api.force_authenticate(signed.housing_a)
    case = signed.case
    api.post(f"/api/v1/cases/{case.pk}/accept/")
    r = api.post(
        f"/api/v1/cases/{case.pk}/payments/",
        {"paid_on": timezone.localdate().isoformat(), "amount": "999999.00", "workers_paid": 1},
        format="json",
    )
    # Well-formed but refused by the rules: 422 (arrears/api/exceptions.py)
    assert r.status_code == 422
    assert "尚欠工资 86,400.00 元" in r.json()["amount"][0]
    # revise through the API: reason required (400), then applied and on the timeline
    r = api.post(
        f"/api/v1/cases/{case.pk}/owed-revision/", {"amount_owed": "999999.00"}, format="json"
    )
    assert r.status_code == 400 and "reason" in r.json()
    r = api.post(
        f"/api/v1/cases/{case.pk}/owed-revision/",
        {"amount_owed": "1000.00", "reason": "核减"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["amount_owed"] == "1000.00"
    r = api.post(
        f"/api/v1/cases/{case.pk}/owed-revision/",
        {"amount_owed": "999999.00", "workers_owed": 40, "reason": "另查实40名工人被欠薪"},
        format="json",
    )
    body = r.json()
    assert r.status_code == 200
    assert (body["amount_owed"], body["workers_owed"]) == ("999999.00", 40)
    assert body["entries"][-1]["kind"] == "revise_owed"
    assert body["entries"][-1]["data"]["amount_owed"] == ["1000.00", "999999.00"]
    r = api.post(
        f"/api/v1/cases/{case.pk}/payments/",
        {"paid_on": timezone.localdate().isoformat(), "amount": "20000.00", "workers_paid": 3},
        format="json",
    )
    assert r.status_code == 200
    assert "paid_in_full" not in r.json()["outcomes_available"]
    assert "partly_paid" in r.json()["outcomes_available"]
    refused = {o["outcome"]: o["reason"] for o in r.json()["outcomes_refused"]}
    assert "20,000.00" in refused["paid_in_full"]
    r = api.post(
        f"/api/v1/cases/{case.pk}/close/", {"outcome": "paid_in_full", "note": "x"}, format="json"
    )
    assert r.status_code == 422 and "全额支付" in r.json()["outcome"][0]
    assert Case.objects.get(pk=case.pk).state == "accepted"
    r = api.post(
        f"/api/v1/cases/{case.pk}/close/", {"outcome": "partly_paid", "note": "x"}, format="json"
    )
    assert r.status_code == 200
    r = api.post(
        f"/api/v1/cases/{case.pk}/owed-revision/",
        {"amount_owed": "1.00", "reason": "x"},
        format="json",
    )
    assert r.status_code == 409 and "重新办理" in r.json()["detail"]


def _value(html: str, name: str) -> str | None:
    match = re.search(
        rf'<(?:input|textarea)[^>]*name="{name}"[^>]*?(?:value="([^"]*)")?[^>]*>', html
    )
    return match.group(1) if match else None


def test_page_keeps_what_was_typed_and_shows_the_error(signed: Signed) -> None:  # noqa: F811
    web = Client()
    web.force_login(signed.housing_a)
    case = signed.case
    web.post(f"/cases/{case.pk}/accept/")
    response = web.post(
        f"/cases/{case.pk}/payment/",
        {"paid_on": "2026-10-09", "amount": "999999.00", "workers_paid": "4", "note": "第一笔"},
    )
    html = response.content.decode()
    assert response.status_code == 400  # refused: the page again, with the input
    assert 'data-testid="error-payment-amount"' in html and "尚欠工资 86,400.00 元" in html
    assert 'value="999999.00"' in html and 'value="第一笔"' in html
    assert Case.objects.get(pk=case.pk).recovered_amount == 0
    # revise on the page, then the payment goes through
    response = web.post(
        f"/cases/{case.pk}/revise_owed/",
        {"amount_owed": "999999.00", "workers_owed": "12", "reason": ""},
    )
    assert 'data-testid="error-revise_owed-reason"' in response.content.decode()
    response = web.post(
        f"/cases/{case.pk}/revise_owed/",
        {"amount_owed": "999999.00", "workers_owed": "12", "reason": "核实工程量后增加"},
        follow=True,
    )
    assert "86,400.00 → 999,999.00" in response.content.decode()
    web.post(
        f"/cases/{case.pk}/payment/",
        {"paid_on": "2026-10-09", "amount": "20000.00", "workers_paid": "4"},
    )
    page = web.get(f"/cases/{case.pk}/").content.decode()
    close_form = page[page.index('data-testid="action-close"') :]
    close_form = close_form[: close_form.index("</form>")]
    assert 'value="partly_paid"' in close_form and 'value="paid_in_full"' not in close_form
    assert 'data-testid="close-refused"' in close_form and "20,000.00" in close_form
    # forcing the refused outcome anyway: refused with the rule, the note kept
    response = web.post(
        f"/cases/{case.pk}/close/", {"outcome": "paid_in_full", "note": "工资已付清"}
    )
    html = response.content.decode()
    assert 'data-testid="error-close-outcome"' in html and "全额支付" in html
    assert "工资已付清" in html
    assert Case.objects.get(pk=case.pk).state == "accepted"
