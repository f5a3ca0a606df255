"""Case handling: every transition and every refused one, the clocks across the 2026
holidays, triage, payments adding up, the criminal flag, extension and pause."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from arrears import deadlines, workdays
from arrears.errors import Conflict
from arrears.models import Deadline, Notification, Role, User
from arrears.services import config_set
from complaints.cases import services as case_services
from complaints.cases.services import TRANSITIONS, allowed_actions, suggest_class
from complaints.intake import services as intake_services
from complaints.models import Case, CaseState, Complaint
from tests.complaints.conftest import City, Received, complaint_data
from tests.factories import UserFactory
from tests.races import run_together

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates

TZ = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True)
class Signed(Received):
    """The city with a complaint received Mon 2026-09-28 in 东湖's housing unit and signed by
    its inspector, the unit's head and a city leader."""

    head_a: User
    leader: User


@pytest.fixture
def signed(city: City, calendar_2026: None) -> Signed:
    """A complaint received Mon 2026-09-28 in 东湖's housing unit, signed by its inspector."""
    complaint = intake_services.complaint_create(
        data=complaint_data(
            county_code="369902",
            industry_code="housing",
            received_at=dt.datetime(2026, 9, 28, 10, tzinfo=TZ),
        ),
        channel="web_form",
    )
    intake_services.complaint_sign(complaint=complaint, user=city.housing_a)
    complaint.refresh_from_db()
    head_a = UserFactory.create(
        role=Role.DEPARTMENT_OFFICIAL, county=city.a, department=city.a_housing
    )
    return Signed.of(
        city, complaint, head_a=head_a, leader=UserFactory.create(role=Role.CITY_LEADER)
    )


def _clocks(case: Case) -> dict[str, Deadline]:
    return {d.kind: d for d in Deadline.objects.for_subject(case)}


def test_signing_opens_a_case_with_its_clocks(signed: Signed) -> None:
    case = signed.case
    assert case.state == CaseState.PENDING
    assert (case.owner, case.department) == (signed.housing_a, signed.a_housing)
    assert case.number
    assert case.number.startswith("AJ")
    clocks = _clocks(case)
    # accept within 5 working days of Mon Sep 28: Sep 29, 30, Oct 8, 9, 10 (Sat, make-up)
    assert clocks["case.accept"].due_date == dt.date(2026, 10, 10)
    assert clocks["case.respond"].due_date == dt.date(2026, 9, 29)


def test_more_workers_of_the_same_site_join_the_same_case(signed: Signed) -> None:
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
    intake_services.complaint_sign(complaint=other, user=signed.housing_a)
    other.refresh_from_db()
    assert other.case == signed.case
    case = Case.objects.get(pk=signed.case.pk)
    assert (case.workers_owed, case.amount_owed) == (15, Decimal("95400.00"))
    assert Case.objects.count() == 1


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_every_refused_transition_says_why(signed: Signed, action: str) -> None:
    case = signed.case
    user = signed.housing_a
    calls = {
        "accept": lambda: case_services.case_accept(case=case, user=user),
        "refuse": lambda: case_services.case_refuse(case=case, user=user, reason="不属于"),
        "file": lambda: case_services.case_file(case=case, user=user),
        "close": lambda: case_services.case_close(
            case=case, user=user, outcome="paid_in_full", note="付清"
        ),
        "reopen": lambda: case_services.case_reopen(case=case, user=user, reason="再查"),
    }
    sources, _target = TRANSITIONS[action]
    if case.state in sources:
        calls[action]()
        return
    with pytest.raises(Conflict) as info:
        calls[action]()
    assert "待受理" in info.value.message
    assert Case.objects.get(pk=case.pk).state == CaseState.PENDING


def test_the_whole_path_and_what_it_stores(signed: Signed) -> None:
    case, user = signed.case, signed.housing_a
    assert allowed_actions(case) == ["accept", "refuse"]
    case_services.case_record(case=case, user=user, kind="call", text="电话联系项目经理")
    assert _clocks(case)["case.respond"].state in ("met", "missed")
    case_services.case_accept(case=case, user=user)
    assert _clocks(case)["case.accept"].state in ("met", "missed")
    with pytest.raises(Conflict):
        case_services.case_accept(case=case, user=user)  # twice: refused
    case_services.case_file(case=case, user=user, filed_on=dt.date(2026, 9, 30))
    clock = _clocks(case)["case.close"]
    # not yet triaged: the statutory 60 working days from Sep 30
    assert clock.working_days == 60
    case_services.case_triage(case=case, user=user, triage_class=case.suggested_class)
    clock.refresh_from_db()
    assert clock.working_days == 15  # ordinary: 12 workers, ¥86,400
    # Sep 30 + 15 working days: Oct 8, 9, 10 (Sat, make-up), 12–16, 19–23, 26, 27
    assert clock.due_date == dt.date(2026, 10, 27)
    case_services.case_record_payment(
        case=case,
        user=user,
        paid_on=dt.date(2026, 10, 9),
        amount=Decimal("50000.00"),
        workers_paid=7,
    )
    case_services.case_record_payment(
        case=case,
        user=user,
        paid_on=dt.date(2026, 10, 12),
        amount=Decimal("36400.00"),
        workers_paid=5,
    )
    case.refresh_from_db()
    assert (case.recovered_amount, case.workers_paid) == (Decimal("86400.00"), 12)
    closed = case_services.case_close(case=case, user=user, outcome="paid_in_full", note="全部付清")
    assert closed.state == CaseState.CLOSED
    assert closed.closed_on_time is False  # closed now, long after Oct 27 2026
    assert closed.working_days_taken == (
        __import__("arrears.workdays", fromlist=["x"]).working_days_between(
            dt.date(2026, 9, 30), timezone.localdate()
        )
    )
    complaint = Complaint.objects.get(pk=signed.complaint.pk)
    texts = list(complaint.events.filter(public=True).values_list("public_text", flat=True))
    assert texts[-1] == "已办结：全额支付"
    case_services.case_feedback(case=closed, user=user, satisfaction=5)
    reopened = case_services.case_reopen(case=closed, user=user, reason="投诉人反映仍有欠款")
    assert (reopened.state, reopened.reopened_count, reopened.outcome) == ("filed", 1, "")


def test_refusal_needs_a_reason_and_is_told(signed: Signed) -> None:
    case, user = signed.case, signed.housing_a
    with pytest.raises(ValidationError):
        case_services.case_refuse(case=case, user=user, reason=" ")
    case_services.case_refuse(case=case, user=user, reason="属于劳动争议，请申请仲裁")
    complaint = Complaint.objects.get(pk=signed.complaint.pk)
    assert complaint.events.filter(public_text__startswith="不予受理").exists()


def test_other_units_cannot_act(signed: Signed) -> None:
    with pytest.raises(PermissionDenied):
        case_services.case_accept(case=signed.case, user=signed.hrss_a)
    with pytest.raises(PermissionDenied):
        case_services.case_accept(case=signed.case, user=signed.official_b)


def test_triage_rules(signed: Signed) -> None:
    case, user = signed.case, signed.housing_a
    assert case.suggested_class == "ordinary"
    with pytest.raises(ValidationError) as info:
        case_services.case_triage(case=case, user=user, triage_class="simple")
    assert "reason" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        case_services.case_triage(case=case, user=user, triage_class="major", reason="涉及面广")
    assert "leader" in info.value.message_dict
    case_services.case_triage(
        case=case,
        user=user,
        triage_class="major",
        reason="涉及面广",
        leader=signed.leader,
        team=[signed.hrss_a, signed.housing_a],
        plan="一案一专班，约谈总包",
    )
    case.refresh_from_db()
    assert (case.triage_class, case.leader) == ("major", signed.leader)
    assert case.team.count() == 2
    # the thresholds are configuration: 12 workers count as major once the bar is 10

    config_set(key="case.triage.major_workers", value=10)

    assert suggest_class(case) == "major"


def test_criminal_flag_follows_what_is_still_unpaid(signed: Signed) -> None:
    case, user = signed.case, signed.housing_a
    # 12 workers, ¥86,400 unpaid ≥ ¥50,000 with ten or more workers: flagged
    assert case.criminal_flag is True
    case_services.case_accept(case=case, user=user)
    case_services.case_record_payment(
        case=case,
        user=user,
        paid_on=dt.date(2026, 10, 9),
        amount=Decimal("40000.00"),
        workers_paid=6,
    )
    case.refresh_from_db()
    assert case.criminal_flag is False  # ¥46,400 left
    with pytest.raises(ValidationError):
        case_services.case_record_payment(
            case=case, user=user, paid_on=dt.date(2026, 10, 9), amount=Decimal("0"), workers_paid=1
        )
    with pytest.raises(ValidationError):
        case_services.case_record_payment(
            case=case, user=user, paid_on=dt.date(2099, 1, 1), amount=Decimal("1"), workers_paid=1
        )


def test_extension_once_with_approval(signed: Signed) -> None:
    case, user = signed.case, signed.housing_a
    case_services.case_accept(case=case, user=user)
    with pytest.raises(Conflict):  # not filed yet: no closing clock to extend
        case_services.case_request_extension(case=case, user=user, working_days=10, reason="x")
    case_services.case_file(case=case, user=user, filed_on=dt.date(2026, 9, 30))
    with pytest.raises(ValidationError):
        case_services.case_request_extension(case=case, user=user, working_days=31, reason="x")
    request = case_services.case_request_extension(
        case=case, user=user, working_days=30, reason="需调取银行流水"
    )
    with pytest.raises(Conflict):
        case_services.case_request_extension(case=case, user=user, working_days=5, reason="再延")
    with pytest.raises(PermissionDenied):
        case_services.case_decide_extension(request=request, user=user, approve=True)
    case_services.case_decide_extension(request=request, user=signed.head_a, approve=True)
    clock = _clocks(case)["case.close"]
    assert clock.extended_days == 30
    # Sep 30 + 60 + 30 working days

    assert clock.due_date == workdays.add_working_days(dt.date(2026, 9, 30), 90)
    with pytest.raises(Conflict):
        case_services.case_decide_extension(request=request, user=signed.head_a, approve=True)


def test_arbitration_pauses_the_clock_visibly(signed: Signed) -> None:
    case, user = signed.case, signed.housing_a
    case_services.case_accept(case=case, user=user)
    case_services.case_file(case=case, user=user, filed_on=dt.date(2026, 9, 30))
    case_services.case_refer_arbitration(case=case, user=user, note="工资标准有争议")
    assert _clocks(case)["case.close"].state == "paused"
    assert case.entries.filter(kind="pause").exists()
    case_services.case_resume(case=case, user=user, note="仲裁裁决已出")
    assert _clocks(case)["case.close"].state == "open"
    with pytest.raises(Conflict):
        case_services.case_resume(case=case, user=user)


def _make_major(signed: Signed) -> None:
    case_services.case_triage(
        case=signed.case,
        user=signed.housing_a,
        triage_class="major",
        reason="涉及面广",
        leader=signed.leader,
        plan="专班",
    )


def test_escalation_of_a_major_case_reaches_its_leader(signed: Signed) -> None:
    user = signed.housing_a
    _make_major(signed)
    # nobody accepted it: the acceptance clock (due Sat Oct 10) escalates twice by November
    deadlines.deadlines_sweep(now=dt.datetime(2026, 11, 2, 9, tzinfo=TZ))
    assert Notification.objects.filter(recipient=signed.leader, kind="deadline.escalation").exists()
    assert Notification.objects.filter(
        recipient=signed.official_a, kind="deadline.escalation"
    ).exists()
    assert Notification.objects.filter(recipient=user, kind="deadline.reminder").exists()


def test_the_sweeps_brief_of_a_case_names_it_as_the_case_does(signed: Signed) -> None:
    # The sweep reads cases' briefs from four columns (Case.deadline_briefs); other subjects
    # are asked through their instances. Both must say the same of a case.
    case = signed.case
    ordinary = Case.deadline_briefs([case.pk])[case.pk]
    assert ordinary == deadlines._brief_of(case)
    assert (ordinary.urgent, ordinary.escalate_to) == (False, ())
    _make_major(signed)
    case.refresh_from_db()
    major = Case.deadline_briefs([case.pk])[case.pk]
    assert major._replace(escalate_to=()) == deadlines._brief_of(case)
    assert (major.text, major.url) == (str(case), case.get_absolute_url())
    assert (major.urgent, major.escalate_to) == (True, (signed.leader.pk,))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_accepting_at_once_accept_once(signed: Signed) -> None:
    case = signed.case

    def accept(user: Any) -> Callable[[], Case]:
        return lambda: case_services.case_accept(case=Case.objects.get(pk=case.pk), user=user)

    outcomes = run_together(accept(signed.housing_a), accept(signed.head_a))
    assert sorted(type(o).__name__ for o in outcomes) == ["Case", "Conflict"]
    assert case.entries.filter(kind="accept").count() == 1


def test_actions_check_the_case_as_it_is_now_not_the_copy_they_were_given(
    signed: Signed,
) -> None:
    """A page loaded before a colleague refused the case still holds an open copy: triage and
    records are refused on the row as it is (read under its lock), and feedback on a copy that
    wrongly says closed is refused too. Nothing is written."""
    case, user = signed.case, signed.housing_a
    stale = Case.objects.get(pk=case.pk)
    case_services.case_refuse(case=Case.objects.get(pk=case.pk), user=user, reason="属劳动争议")
    entries = case.entries.count()
    with pytest.raises(Conflict):
        case_services.case_record(case=stale, user=user, kind="call", text="电话联系")
    with pytest.raises(Conflict):
        case_services.case_triage(case=stale, user=user, triage_class=stale.suggested_class)
    closed_copy = Case.objects.get(pk=case.pk)
    closed_copy.state = CaseState.CLOSED  # as a page would show it, but never saved
    with pytest.raises(Conflict):
        case_services.case_feedback(case=closed_copy, user=user, satisfaction=5)
    assert case.entries.count() == entries
    assert Case.objects.get(pk=case.pk).satisfaction is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_record_racing_a_refusal_lands_before_it_or_not_at_all(signed: Signed) -> None:
    """The record locks the case row and re-reads its state; the refusal's conditional UPDATE
    takes the same row lock. Whichever wins, no record is written after the refusal."""
    case, user = signed.case, signed.housing_a
    stale = Case.objects.get(pk=case.pk)  # the record's page, loaded while the case was open
    refused, recorded = run_together(
        lambda: case_services.case_refuse(
            case=Case.objects.get(pk=case.pk), user=user, reason="属劳动争议"
        ),
        lambda: case_services.case_record(case=stale, user=user, kind="call", text="联系"),
    )
    assert isinstance(refused, Case), refused
    assert not isinstance(recorded, Exception) or isinstance(recorded, Conflict), recorded
    refusal = case.entries.get(kind="refuse")
    assert not case.entries.filter(kind="call", pk__gt=refusal.pk).exists()
    # and either way the timeline agrees with the outcome
    assert case.entries.filter(kind="call").exists() == (not isinstance(recorded, Exception))


@pytest.mark.parametrize("state", [s.value for s in CaseState])
def test_transition_matrix(signed: Signed, state: str) -> None:
    """From every state, each action either follows TRANSITIONS or is refused with 409."""
    case, user = signed.case, signed.housing_a
    calls = {
        "accept": lambda: case_services.case_accept(case=case, user=user),
        "refuse": lambda: case_services.case_refuse(case=case, user=user, reason="不属于"),
        "file": lambda: case_services.case_file(case=case, user=user),
        "close": lambda: case_services.case_close(
            case=case, user=user, outcome="withdrawn", note="撤回"
        ),
        "reopen": lambda: case_services.case_reopen(case=case, user=user, reason="再查"),
    }
    for action, (sources, target) in TRANSITIONS.items():
        Case.objects.filter(pk=case.pk).update(
            state=state, outcome="withdrawn" if state == "closed" else ""
        )
        case.refresh_from_db()
        if state in sources:
            calls[action]()
            assert Case.objects.get(pk=case.pk).state == target
        else:
            with pytest.raises(Conflict):
                calls[action]()
            assert Case.objects.get(pk=case.pk).state == state


def test_an_order_to_pay_is_a_clock_until_paid(signed: Signed) -> None:
    case, user = signed.case, signed.housing_a
    case_services.case_accept(case=case, user=user)
    with pytest.raises(ValidationError):
        case_services.case_record(
            case=case, user=user, kind="order", text="限期支付", due_date=timezone.localdate()
        )
    assert not case.entries.filter(kind="order").exists()  # refused whole
    due = workdays.add_working_days(timezone.localdate(), 3)
    case_services.case_record(
        case=case, user=user, kind="order", text="责令3个工作日内支付", due_date=due
    )
    clock = _clocks(case)["case.order"]
    assert (clock.state, clock.due_date) == ("open", due)
    case_services.case_record_payment(
        case=case,
        user=user,
        paid_on=timezone.localdate(),
        amount=Decimal("86400.00"),
        workers_paid=12,
    )
    clock.refresh_from_db()
    assert clock.state == "met"
