"""Early-warning rules at their boundaries; no duplicates on re-evaluation; automatic close."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from arrears.models import Notification, Role
from projects import services
from projects.models import Project, Warning
from tests.factories import UserFactory

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates

TODAY = dt.date(2026, 11, 15)  # the last complete months are October and September


def _month(
    p: Project,
    month: dt.date,
    *,
    paid: str = "300000",
    roll: int = 100,
    workers: int = 100,
    paid_in: str = "250000",
) -> None:
    services.wage_record_save(
        project=p,
        month=month,
        labour_cost_paid_in=Decimal(paid_in),
        workers_on_roll=roll,
        workers_paid=workers,
        amount_paid=Decimal(paid),
    )


def _open(p: Project) -> set[str]:
    return set(Warning.objects.filter(project=p, state="open").values_list("rule", flat=True))


def test_two_consecutive_unpaid_months_is_red_one_is_not(project: Project) -> None:
    _month(project, dt.date(2026, 10, 1), paid="0")
    _month(project, dt.date(2026, 9, 1))
    services.warnings_evaluate(today=TODAY)
    assert "no_wages_2m" not in _open(project)  # only October unpaid
    _month(project, dt.date(2026, 9, 1), paid="0")
    services.warnings_evaluate(today=TODAY)
    warning = Warning.objects.get(project=project, rule="no_wages_2m")
    assert (warning.level, warning.department) == ("red", project.department)
    assert "2026-09" in warning.detail and "2026-10" in warning.detail


def test_re_evaluation_never_duplicates_and_a_paid_month_closes_it(project: Project) -> None:
    _month(project, dt.date(2026, 10, 1), paid="0")
    _month(project, dt.date(2026, 9, 1), paid="0")
    assert services.warnings_evaluate(today=TODAY)["opened"] >= 1
    assert services.warnings_evaluate(today=TODAY)["opened"] == 0
    assert Warning.objects.filter(project=project, rule="no_wages_2m").count() == 1
    _month(project, dt.date(2026, 10, 1))  # October paid after all
    assert services.warnings_evaluate(today=TODAY)["closed"] >= 1
    warning = Warning.objects.get(project=project, rule="no_wages_2m")
    assert (warning.state, warning.disposition) == ("resolved", "auto")


def test_fewer_paid_than_roll_and_below_minimum_wage(project: Project) -> None:
    # 100 on the roll, 100 paid ¥300,000 (¥3,000 each): nothing
    _month(project, dt.date(2026, 10, 1))
    services.warnings_evaluate(today=TODAY)
    assert _open(project) == set()
    # 99 of 100 paid: a warning; ¥1,999.99 average: below the ¥2,000 minimum
    _month(project, dt.date(2026, 10, 1), workers=99, paid="197999.01")
    services.warnings_evaluate(today=TODAY)
    assert _open(project) == {"fewer_paid", "below_minimum"}
    # exactly the minimum is not below it
    _month(project, dt.date(2026, 10, 1), workers=100, paid="200000")
    services.warnings_evaluate(today=TODAY)
    assert _open(project) == set()


def test_labour_cost_below_the_agreed_monthly_amount(project: Project) -> None:
    # ¥12,000,000 × 25 % over 12 months = ¥250,000 a month
    _month(project, dt.date(2026, 10, 1), paid_in="250000")
    services.warnings_evaluate(today=TODAY)
    assert "labour_cost" not in _open(project)
    _month(project, dt.date(2026, 10, 1), paid_in="249999.99")
    services.warnings_evaluate(today=TODAY)
    assert "labour_cost" in _open(project)


def test_deposit_expiring_within_30_days_or_expired(project: Project) -> None:
    officer = UserFactory.create(role=Role.INSPECTOR)

    def deposit(expires: dt.date) -> None:
        services.checklist_set(
            project=project,
            item="deposit",
            state="compliant",
            user=officer,
            verified_on=dt.date(2026, 11, 1),
            amount=Decimal("240000"),
            expires_on=expires,
        )

    deposit(TODAY + dt.timedelta(days=31))
    services.warnings_evaluate(today=TODAY)
    assert "deposit_expiring" not in _open(project)
    deposit(TODAY + dt.timedelta(days=30))
    services.warnings_evaluate(today=TODAY)
    assert (
        Warning.objects.get(project=project, rule="deposit_expiring", state="open").level
        == "yellow"
    )
    deposit(TODAY - dt.timedelta(days=1))
    services.warnings_evaluate(today=TODAY)
    # still the one open warning (one per rule and project); a new evaluation after it is
    # disposed of reopens it as red, because the condition holds
    warning = Warning.objects.get(project=project, rule="deposit_expiring", state="open")
    services.warning_dispose(
        warning=warning, user=officer, disposition="interview", note="约谈总包，要求续保"
    )
    services.warnings_evaluate(today=TODAY)
    reopened = Warning.objects.get(project=project, rule="deposit_expiring", state="open")
    assert reopened.level == "red"


def test_staff_are_notified_of_new_warnings(project: Project) -> None:
    _month(project, dt.date(2026, 10, 1), workers=50)
    services.warnings_evaluate(today=TODAY)
    services.warnings_evaluate(today=TODAY)
    assert Notification.objects.filter(kind="warning.opened").count() == 1


def test_bad_wage_records_are_refused(project: Project) -> None:
    with pytest.raises(ValidationError):
        services.wage_record_save(
            project=project,
            month=dt.date(2099, 1, 1),
            labour_cost_paid_in=Decimal("1"),
            workers_on_roll=1,
            workers_paid=1,
            amount_paid=Decimal("1"),
        )
    with pytest.raises(ValidationError):
        services.wage_record_save(
            project=project,
            month=dt.date(2026, 10, 1),
            labour_cost_paid_in=Decimal("-1"),
            workers_on_roll=1,
            workers_paid=1,
            amount_paid=Decimal("1"),
        )


def test_leaders_do_not_dispose_of_warnings(project: Project) -> None:
    _month(project, dt.date(2026, 10, 1), workers=50)
    services.warnings_evaluate(today=TODAY)
    warning = Warning.objects.get(project=project, rule="fewer_paid")
    with pytest.raises(PermissionDenied):
        services.warning_dispose(
            warning=warning,
            user=UserFactory.create(role=Role.CITY_LEADER),
            disposition="resolved",
            note="x",
        )
    assert Warning.objects.get(pk=warning.pk).state == "open"
