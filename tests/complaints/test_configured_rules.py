"""The criminal flag's number of workers and months owed, and the repeat-employer window, are
configuration: the defaults are 法释〔2013〕3号 art. 3 and the two years as before, and
changing a value changes the outcome."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from arrears.services import config_set
from complaints.cases.services import criminal_flag, suggest_class
from complaints.cases.services.core import months_between, months_owed
from complaints.intake import services as intake_services
from complaints.models import Case
from tests.complaints.conftest import City, complaint_data

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates

TZ = dt.timezone(dt.timedelta(hours=8))


def _case(city: City, **data: Any) -> Case:
    """A complaint received Mon 2026-09-28, signed into a case of 东湖's housing unit."""
    complaint = intake_services.complaint_create(
        data=complaint_data(
            county_code="369902",
            industry_code="housing",
            received_at=dt.datetime(2026, 9, 28, 10, tzinfo=TZ),
            **data,
        ),
        channel="web_form",
    )
    intake_services.complaint_sign(complaint=complaint, user=city.housing_a)
    complaint.refresh_from_db()
    assert complaint.case is not None
    return complaint.case


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (dt.date(2026, 1, 1), dt.date(2026, 3, 31), 3),
        (dt.date(2026, 1, 15), dt.date(2026, 4, 14), 3),
        (dt.date(2026, 1, 15), dt.date(2026, 4, 13), 2),
        (dt.date(2026, 1, 31), dt.date(2026, 4, 29), 3),  # to the 30th, April's last day
        (dt.date(2025, 12, 1), dt.date(2026, 2, 28), 3),  # across a year
        (dt.date(2026, 9, 1), dt.date(2026, 9, 1), 0),
    ],
)
def test_months_between(start: dt.date, end: dt.date, months: int) -> None:
    assert months_between(start, end) == months


def test_one_worker_needs_three_months_owed(city: City, calendar_2026: None) -> None:
    # given: one worker owed ¥15,000 (over the ¥10,000 figure) for July to September
    case = _case(city, workers_owed=1, amount_owed=Decimal("15000"))
    assert months_owed(case) == 3
    assert case.criminal_flag is True
    # August and September only: two months, not three
    short = _case(
        city,
        workers_owed=1,
        amount_owed=Decimal("15000"),
        employer_name="另一家劳务有限公司",
        employer_credit_code="",
        period_start=dt.date(2026, 8, 1),
    )
    assert months_owed(short) == 2
    assert short.criminal_flag is False
    # when: the months are set to two (or not looked at)
    config_set(key="case.criminal.min_months", value=2)
    # then
    assert criminal_flag(short) is True
    config_set(key="case.criminal.min_months", value=0)
    assert criminal_flag(short) is True


def test_a_period_without_an_end_runs_to_the_complaint_and_none_does_not_rule_out(
    city: City, calendar_2026: None
) -> None:
    # from 1 August with no end: to 28 September, the day it came in (1 whole month)
    open_ended = _case(
        city,
        workers_owed=1,
        amount_owed=Decimal("15000"),
        period_end=None,
        period_start=dt.date(2026, 8, 1),
    )
    assert months_owed(open_ended) == 1 and open_ended.criminal_flag is False
    # no period stated: the officer establishes it; the flag is not withheld
    unknown = _case(
        city,
        workers_owed=1,
        amount_owed=Decimal("15000"),
        period_start=None,
        period_end=None,
        employer_name="另一家劳务有限公司",
        employer_credit_code="",
    )
    assert months_owed(unknown) is None and unknown.criminal_flag is True


def test_ten_workers_is_configuration(city: City, calendar_2026: None) -> None:
    # given: 8 workers owed ¥56,000 in total (¥7,000 each, under the single-worker figure)
    case = _case(city, workers_owed=8, amount_owed=Decimal("56000"))
    assert case.criminal_flag is False  # fewer than ten
    # when: the number of workers is set to 8
    config_set(key="case.criminal.min_workers", value=8)
    # then: ¥56,000 ≥ ¥50,000 with 8 workers
    assert criminal_flag(case) is True
    # the months do not apply to the total (art. 3 (2))
    config_set(key="case.criminal.min_months", value=12)
    assert criminal_flag(case) is True


def test_the_repeat_window_is_configuration(city: City, calendar_2026: None) -> None:
    # given: two earlier cases against the employer, 400 days before this one
    case = _case(city, workers_owed=5, amount_owed=Decimal("30000"))
    assert case.department is not None
    for _i in range(2):
        old = Case.objects.create(
            county=case.county,
            department=case.department,
            owner=case.owner,
            employer_name=case.employer_name,
            workers_owed=2,
            amount_owed=Decimal("5000"),
        )
        Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=400))
    # within two years: two earlier cases make it major
    assert suggest_class(case) == "major"
    # when: the city counts the last year only
    config_set(key="case.triage.repeat_window_days", value=365, city=case.county.city)
    # then: no earlier case counts, and 5 workers / ¥30,000 are ordinary
    assert suggest_class(case) == "ordinary"
