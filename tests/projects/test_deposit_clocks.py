"""The wage deposit's clocks (人社部发〔2021〕65号) across the 2026 holidays and make-up days:
lodged within 20 working days of the start of works, a draw paid within 5, a payout topped up
within 10, a guarantee letter's expiry clock from one month before it; each a Deadline of the
one mechanism, escalated by its sweep; and the deposit-expiry warning still fed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from arrears import deadlines
from arrears import services as arrears_services
from arrears.models import Deadline, DeadlineState, DepartmentKind, Industry, Role, User
from arrears.reference import ensure_industries
from complaints.cases import services as case_services
from complaints.models import Case, Channel
from projects import services
from projects.models import DepositEvent, Employer, Project, ProjectParty
from projects.models.deposits import (
    DEPOSIT_GUARANTEE,
    DEPOSIT_LODGE,
    DEPOSIT_PAYOUT,
    DEPOSIT_TOPUP,
)
from projects.services.deposits import add_months
from tests.factories import CountyFactory, DepartmentFactory, UserFactory
from tests.races import run_at_once

TZ = dt.timezone(dt.timedelta(hours=8))
D = dt.date


def at(y: int, m: int, d: int, h: int = 9) -> Any:
    """The clock stopped at that local moment (the services read today from it)."""
    return time_machine.travel(dt.datetime(y, m, d, h, tzinfo=TZ), tick=False)


@pytest.fixture
def site(project: Project, calendar_2026: None) -> Project:
    contractor = Employer.objects.create(name="江城建工", credit_code="914403001922038216")
    ProjectParty.objects.create(project=project, employer=contractor, role="general_contractor")
    return project


def _inspector(project: Project) -> User:
    return User.objects.get(department=project.department, role=Role.INSPECTOR)


def _clock(subject: Any, kind: str) -> Deadline:
    return Deadline.objects.for_subject(subject).get(kind=kind)


def _record(project: Project, kind: str, on: D, amount: str, **more: Any) -> DepositEvent:
    return services.deposit_event_record(
        project=project,
        user=_inspector(project),
        kind=kind,
        occurred_on=on,
        amount=Decimal(amount),
        **more,
    )


def test_lodging_clock_runs_20_working_days_across_the_spring_festival(site: Project) -> None:
    # given works started on Monday 26 January 2026
    site.start_date = D(2026, 1, 26)
    site.save(update_fields=["start_date"])
    with at(2026, 2, 2):
        # when the daily task runs
        assert services.deposit_clocks_ensure()["lodging"] == 1
        assert services.deposit_clocks_ensure()["lodging"] == 0  # once only
    clock = _clock(site, DEPOSIT_LODGE)
    # then: Jan 27–Feb 13 are 14 working days, Saturday 14 Feb a make-up day (15), the
    # festival Feb 15–23 off, Feb 24–27 four more, and Saturday 28 Feb (make-up) the 20th
    assert (clock.started_on, clock.working_days, clock.due_date) == (
        D(2026, 1, 26),
        20,
        D(2026, 2, 28),
    )
    assert (clock.county_id, clock.department_id) == (site.county_id, site.department_id)
    # a deposit lodged on the make-up Saturday meets it, and marks the checklist
    with at(2026, 3, 2):
        _record(site, "lodged", D(2026, 2, 28), "240000", bank="江城银行")
    clock.refresh_from_db()
    assert clock.state == DeadlineState.MET
    item = site.checklist.get(item="deposit")
    assert (item.state, item.amount, item.expires_on) == ("compliant", Decimal("240000"), None)
    with at(2026, 3, 2):
        assert services.deposit_clocks_ensure()["lodging"] == 0  # never reopened


def test_lodged_late_the_clock_is_missed_and_escalated_meanwhile(site: Project) -> None:
    site.start_date = D(2026, 1, 26)
    site.save(update_fields=["start_date"])
    with at(2026, 2, 2):
        services.deposit_clocks_ensure()
    # the sweep escalates at the end of the make-up Saturday, like any other clock
    swept = deadlines.deadlines_sweep(now=dt.datetime(2026, 2, 28, 18, tzinfo=TZ))
    assert swept["escalated"] == 1
    with at(2026, 3, 2):
        _record(site, "lodged", D(2026, 3, 2), "240000")
    assert _clock(site, DEPOSIT_LODGE).state == DeadlineState.MISSED


def test_lodging_clock_only_for_recent_starts_without_a_deposit(site: Project) -> None:
    # started more than the look-back (60 days) ago: left to inspections and the checklist
    site.start_date = D(2025, 11, 20)
    site.save(update_fields=["start_date"])
    with at(2026, 2, 2):
        assert services.deposit_clocks_ensure()["lodging"] == 0
    # recent, but the deposit item is waived
    site.start_date = D(2026, 1, 26)
    site.save(update_fields=["start_date"])
    services.checklist_set(
        project=site, item="deposit", state="not_applicable", user=_inspector(site)
    )
    with at(2026, 2, 2):
        assert services.deposit_clocks_ensure()["lodging"] == 0
    assert not Deadline.objects.for_subject(site).exists()


def test_a_verified_or_waived_deposit_item_settles_a_running_lodging_clock(site: Project) -> None:
    site.start_date = D(2026, 1, 26)
    site.save(update_fields=["start_date"])
    with at(2026, 2, 2):
        services.deposit_clocks_ensure()
        services.checklist_set(
            project=site,
            item="deposit",
            state="compliant",
            user=_inspector(site),
            verified_on=D(2026, 2, 2),
        )
        assert services.deposit_clocks_ensure()["settled"] == 1
    assert _clock(site, DEPOSIT_LODGE).state == DeadlineState.MET


def _case(project: Project) -> Case:
    return case_services.case_open(
        user=_inspector(project),
        county=project.county,
        department=project.department,
        employer_name="江城建工",
        employer_credit_code="914403001922038216",
        project=project,
        industry_id=project.industry_id,
        workers_owed=20,
        amount_owed=Decimal("100000"),
        channel=Channel.INSPECTION,
        note="检查发现欠薪",
    )


def test_draw_payout_and_top_up_across_mid_autumn_and_national_day(site: Project) -> None:
    with at(2026, 9, 1):
        _record(site, "lodged", D(2026, 9, 1), "240000")
        case = _case(site)
    # a draw decided on Thursday 24 September: 5 working days are Sep 28, 29, 30 (the
    # Mid-Autumn days Sep 25–27 off), then Oct 8 and 9 after National Day
    with at(2026, 9, 24):
        draw = _record(site, "drawn", D(2026, 9, 24), "100000", case_number=case.number)
    assert _clock(draw, DEPOSIT_PAYOUT).due_date == D(2026, 10, 9)
    assert draw.case == case
    # a first payout on Monday 28 September: the draw is not paid in full, its clock runs on;
    # the top-up clock starts: Sep 29, 30, Oct 8, 9, the make-up Saturday Oct 10, then
    # Oct 12–16 — due Friday 16 October
    with at(2026, 9, 28):
        _record(site, "paid_out", D(2026, 9, 28), "60000", draw=draw)
    assert _clock(draw, DEPOSIT_PAYOUT).state == DeadlineState.OPEN
    topup = _clock(site, DEPOSIT_TOPUP)
    assert topup.due_date == D(2026, 10, 16)
    with at(2026, 10, 8):
        _record(site, "paid_out", D(2026, 10, 8), "40000", draw=draw)
    assert _clock(draw, DEPOSIT_PAYOUT).state == DeadlineState.MET
    assert Deadline.objects.for_subject(site).filter(kind=DEPOSIT_TOPUP).count() == 1
    position = services.deposit_position(project=site)
    assert (position["balance"], position["shortfall"]) == (Decimal("140000"), Decimal("100000"))
    # topped up in two parts; the clock stops when the whole payout is restored
    with at(2026, 10, 12):
        _record(site, "topped_up", D(2026, 10, 12), "50000")
        assert _clock(site, DEPOSIT_TOPUP).state == DeadlineState.OPEN
        with pytest.raises(ValidationError) as too_much:
            _record(site, "topped_up", D(2026, 10, 12), "60000")
        assert too_much.value.message_dict == {"amount": ["超过待补足金额 50000.00 元"]}
    with at(2026, 10, 16, 10):
        _record(site, "topped_up", D(2026, 10, 16), "50000")
    assert _clock(site, DEPOSIT_TOPUP).state == DeadlineState.MET
    assert services.deposit_position(project=site)["balance"] == Decimal("240000")


def test_an_unpaid_draw_is_escalated_after_labour_day(site: Project) -> None:
    with at(2026, 4, 1):
        _record(site, "lodged", D(2026, 4, 1), "240000")
        case = _case(site)
    # Friday 24 April: Apr 27–30 are four working days, May 1–5 off, May 6 the fifth
    with at(2026, 4, 24):
        draw = _record(site, "drawn", D(2026, 4, 24), "30000", case_number=case.number)
    assert _clock(draw, DEPOSIT_PAYOUT).due_date == D(2026, 5, 6)
    # (the case's own clocks are swept too: look at the draw's)
    deadlines.deadlines_sweep(now=dt.datetime(2026, 5, 6, 17, tzinfo=TZ))
    assert _clock(draw, DEPOSIT_PAYOUT).escalation_level == 0
    deadlines.deadlines_sweep(now=dt.datetime(2026, 5, 6, 18, tzinfo=TZ))
    assert _clock(draw, DEPOSIT_PAYOUT).escalation_level == 1
    # paid out on Thursday 30 April, the top-up runs across Labour Day and the make-up
    # Saturday 9 May: May 6, 7, 8, 9, 11–15, 18
    with at(2026, 5, 7):
        _record(site, "paid_out", D(2026, 4, 30), "30000", draw=draw)
    assert _clock(draw, DEPOSIT_PAYOUT).state == DeadlineState.MET  # paid by its date
    assert _clock(site, DEPOSIT_TOPUP).due_date == D(2026, 5, 18)


def test_guarantee_letter_clock_opens_a_month_before_expiry(site: Project) -> None:
    # a letter expiring on Monday 5 October 2026 (inside National Day)
    with at(2026, 8, 20):
        _record(
            site, "guarantee", D(2026, 8, 20), "240000", bank="江城银行", expires_on=D(2026, 10, 5)
        )
        assert services.deposit_clocks_ensure()["guarantee"] == 0  # not yet a month before
    item = site.checklist.get(item="deposit")
    assert (item.state, item.expires_on) == ("compliant", D(2026, 10, 5))
    with at(2026, 9, 4):
        assert services.deposit_clocks_ensure()["guarantee"] == 0
    with at(2026, 9, 5):
        assert services.deposit_clocks_ensure()["guarantee"] == 1
        assert services.deposit_clocks_ensure()["guarantee"] == 0  # once per letter
    clock = _clock(site, DEPOSIT_GUARANTEE)
    # from Saturday 5 September; due on the last working day before the expiry: Wednesday
    # 30 September (Oct 1–7 are National Day)
    assert (clock.started_on, clock.due_date) == (D(2026, 9, 5), D(2026, 9, 30))
    # the deposit-expiry warning rule still reads the checklist item
    found = services.conditions(site, D(2026, 9, 10))
    assert found["deposit_expiring"] is not None and found["deposit_expiring"][0] == "yellow"
    # a renewal before the due date meets the clock; the new letter's clock waits its month
    with at(2026, 9, 29):
        _record(
            site, "guarantee", D(2026, 9, 29), "240000", bank="江城银行", expires_on=D(2027, 3, 31)
        )
        assert services.deposit_clocks_ensure()["guarantee"] == 0
    assert _clock(site, DEPOSIT_GUARANTEE).state == DeadlineState.MET
    assert services.conditions(site, D(2026, 9, 30))["deposit_expiring"] is None


def test_a_letter_recorded_within_its_last_month_is_clocked_at_once(site: Project) -> None:
    with at(2026, 9, 20):  # the Sunday make-up day
        _record(
            site, "guarantee", D(2026, 9, 20), "240000", bank="江城银行", expires_on=D(2026, 10, 12)
        )
    clock = _clock(site, DEPOSIT_GUARANTEE)
    assert (clock.started_on, clock.due_date) == (D(2026, 9, 12), D(2026, 10, 12))


def test_the_rules_refuse_what_the_deposit_cannot_do(site: Project) -> None:
    with at(2026, 9, 1):
        case = _case(site)
        with pytest.raises(ValidationError) as none_yet:
            _record(site, "drawn", D(2026, 9, 1), "1000", case_number=case.number)
        assert "kind" in none_yet.value.message_dict
        _record(site, "lodged", D(2026, 9, 1), "50000")
        with pytest.raises(ValidationError) as over:
            _record(site, "drawn", D(2026, 9, 1), "50001", case_number=case.number)
        assert over.value.message_dict == {"amount": ["超过可动用余额 50000.00 元"]}
        with pytest.raises(ValidationError) as no_case:
            _record(site, "drawn", D(2026, 9, 1), "100", case_number="AJ-NONE")
        assert "case_number" in no_case.value.message_dict
        with pytest.raises(ValidationError) as nothing_paid:
            _record(site, "topped_up", D(2026, 9, 1), "100")
        assert "kind" in nothing_paid.value.message_dict
        with pytest.raises(ValidationError) as no_expiry:
            _record(site, "guarantee", D(2026, 9, 1), "100")
        assert "expires_on" in no_expiry.value.message_dict
        with pytest.raises(ValidationError) as future:
            _record(site, "lodged", D(2026, 9, 2), "100")
        assert "occurred_on" in future.value.message_dict
        official = UserFactory.create(role=Role.COUNTY_OFFICIAL, county=site.county)
        with pytest.raises(PermissionDenied):
            services.deposit_event_record(
                project=site,
                user=official,
                kind="lodged",
                occurred_on=D(2026, 9, 1),
                amount=Decimal("1"),
            )
    assert DepositEvent.objects.count() == 1


def test_add_months_keeps_to_the_months_last_day() -> None:
    assert add_months(D(2026, 3, 31), -1) == D(2026, 2, 28)
    assert add_months(D(2026, 1, 15), -1) == D(2025, 12, 15)
    assert add_months(D(2026, 8, 31), 6) == D(2027, 2, 28)
    assert add_months(D(2028, 8, 29), -6) == D(2028, 2, 29)


def test_the_project_page_shows_the_clocks_and_records_events(site: Project) -> None:
    site.start_date = D(2026, 1, 26)
    site.save(update_fields=["start_date"])
    web = Client()
    web.force_login(_inspector(site))
    with at(2026, 2, 2):
        services.deposit_clocks_ensure()
        page = web.get(f"/projects/{site.pk}/").content.decode()
        assert 'data-testid="deposit-form"' in page
        assert "工资保证金存储期限" in page and "2026-02-28 17:30" in page
        # a letter without its expiry date: refused, with the service's reason
        refused = web.post(
            f"/projects/{site.pk}/deposit/events/",
            {"kind": "guarantee", "occurred_on": "2026-02-02", "amount": "240000"},
            follow=True,
        )
        assert "请填写保函到期日期" in refused.content.decode()
        response = web.post(
            f"/projects/{site.pk}/deposit/events/",
            {
                "kind": "guarantee",
                "occurred_on": "2026-02-02",
                "amount": "240000",
                "bank": "江城银行",
                "expires_on": "2027-02-01",
            },
            follow=True,
        )
        body = response.content.decode()
        assert "已登记：提交银行保函" in body
        assert 'data-testid="deposit-position"' in body and "2027-02-01" in body
    assert _clock(site, DEPOSIT_LODGE).state == DeadlineState.MET
    # a county official sees the card but not the form, and cannot post
    official = Client()
    official.force_login(UserFactory.create(role=Role.COUNTY_OFFICIAL, county=site.county))
    with at(2026, 2, 3):
        assert (
            'data-testid="deposit-form"'
            not in official.get(f"/projects/{site.pk}/").content.decode()
        )
        official.post(
            f"/projects/{site.pk}/deposit/events/",
            {"kind": "lodged", "occurred_on": "2026-02-03", "amount": "1"},
        )
    assert DepositEvent.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_payouts_of_one_draw_at_once_pay_it_once() -> None:
    # given a draw of 100,000 on a lodged deposit (set up without the fixtures: the threads
    # below must see committed rows)
    for year in (2025, 2026):
        days, status, source = arrears_services.calendar_schedule_from_library(year)
        arrears_services.calendar_year_load(year=year, days=days, status=status, source=source)
    ensure_industries(Industry)
    county = CountyFactory.create()
    housing = DepartmentFactory.create(county=county, kind=DepartmentKind.HOUSING)
    housing.industries.set([Industry.objects.get(code="housing")])
    UserFactory.create(role=Role.INSPECTOR, county=county, department=housing)
    project = Project.objects.create(
        code="XM-R", name="滨江花园", county=county, industry=Industry.objects.get(code="housing")
    )
    services.project_assign_department(project=project)
    contractor = Employer.objects.create(name="江城建工", credit_code="914403001922038216")
    ProjectParty.objects.create(project=project, employer=contractor, role="general_contractor")
    with at(2026, 9, 1):
        _record(project, "lodged", D(2026, 9, 1), "240000")
        case = _case(project)
    with at(2026, 9, 24):
        draw = _record(project, "drawn", D(2026, 9, 24), "100000", case_number=case.number)
    # when two clerks record its whole payout at the same moment
    with at(2026, 9, 28):
        outcomes = run_at_once(
            lambda: _record(project, "paid_out", D(2026, 9, 28), "100000", draw=draw), 2
        )
    # then the project's row lock orders them: one is recorded, the other refused
    assert sorted(type(o).__name__ for o in outcomes) == ["DepositEvent", "ValidationError"]
    assert DepositEvent.objects.filter(kind="paid_out").count() == 1
    assert _clock(draw, DEPOSIT_PAYOUT).state == DeadlineState.MET
    assert Deadline.objects.for_subject(project).filter(kind=DEPOSIT_TOPUP).count() == 1
