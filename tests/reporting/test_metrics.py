"""Every figure against the hand-built October of conftest.py, counted by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from arrears import services as arrears_services
from arrears.models import County
from complaints.cases.services import case_days_recompute
from complaints.models import Case
from reporting import metrics, periods, selectors
from tests.reporting.conftest import NOW, October

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates

OCTOBER = periods.month(2026, 10)
D = Decimal


def board(user: Any, period: periods.Period = OCTOBER, **filters: Any) -> selectors.Dashboard:
    return selectors.dashboard(
        user=user, filters=selectors.Filters(period, **filters), dim="county", now=NOW
    )


def unit(b: selectors.Dashboard, county: County | None) -> selectors.Unit:
    return next(u for u in b.units if u.id == (county.pk if county else None))


def test_county_a_in_october(october: October) -> None:
    a = unit(board(october.office), october.a)
    assert a.values == {
        "received": 3,  # 1 Oct 00:00, 15 Oct, 31 Oct 23:59 (not 30 Sep 23:59 or 1 Nov 00:00)
        "accepted": 2,  # Y, Z (X was accepted in September)
        "closed": 2,  # X, Y
        "closure_rate": D("0.5000"),  # of Y and Z, Y is closed
        "on_time_rate": D("0.5000"),  # X on time, Y late
        "avg_days": D("11.00"),  # (6 + 16) / 2 working days
        "responded": 0,  # the cases were made by hand, without response clocks
        "response_rate": None,
        "closed_in_limit_rate": D("1.0000"),  # 6 and 16 working days, within 60
        "workers_involved": 15,  # Y 12 + Z 3
        "amount_owed": D("95400.25"),  # 86,400.00 + 9,000.25
        "recovered": D("80000.50"),  # paid 10 Oct 30,000.50; 28 Oct 40,000; 29 Oct 10,000
        "recovered_employer": D("80000.50"),  # all three by the employer (the default payer)
        "recovered_general_contractor": D("0.00"),
        "recovered_construction_unit": D("0.00"),
        "recovered_emergency_fund": D("0.00"),
        "workers_paid": 17,  # 5 + 6 + 6
        "recovery_rate": D("0.6873"),  # (30,000.50 + 50,000) / (30,000.50 + 86,400)
        "open": 2,  # Z and the pending case
        "overdue": 1,  # Z: due 10 Nov
        "arbitration": 0,
        "police": 0,
        "satisfaction": D("4.00"),  # X 5, Y 3
        "core_coverage": D("0.6667"),  # P1, P2 of P1–P3
        "two_funds_coverage": D("0.3333"),  # P1
        "wage_accounts": 2,  # P1, P2 (P4 is completed)
        "bank_paid": D("0.00"),  # no wage records
        "deposits": D("0.00"),  # deposits verified without an amount
        "deposits_guarantee": D("0.00"),
        "guarantee_share": None,
        "warnings_raised": 1,
        "warnings_resolved": 1,
        "inspections": 1,
        "orders": 2,
        "orders_on_time": 1,
        "orders_overdue": 1,
        "fines": 1,
        "fine_amount": D("50000.00"),
    }
    # Against October 2025: 20 working days then, 11 now.
    assert a.last_year["avg_days"] == D("20.00")
    assert a.avg_days_change == D("-9.00")
    # September 2026: X accepted; one complaint; the September order.
    assert a.previous["accepted"] == 1
    assert a.previous["received"] == 1
    assert a.previous["orders"] == 1


def test_working_days_stored_at_closure_across_national_day(october: October) -> None:
    x, y, w = october.x, october.y, october.w
    assert (x.working_days_taken, x.closed_on_time) == (6, True)
    assert (y.working_days_taken, y.closed_on_time) == (16, False)
    assert (w.working_days_taken, w.closed_on_time) == (21, False)


def test_county_b_and_the_city_total(october: October) -> None:
    b = board(october.office)
    county_b = unit(b, october.b)
    assert county_b.values["received"] == 1
    assert county_b.values["accepted"] == 0
    assert county_b.values["closure_rate"] is None  # nothing accepted: no rate, not 0%
    assert county_b.values["closed"] == 1
    assert county_b.values["on_time_rate"] == D("0.0000")
    assert county_b.values["avg_days"] == D("21.00")
    assert county_b.values["arbitration"] == 1
    assert county_b.values["core_coverage"] is None
    waiting = unit(b, None)
    assert waiting.values["received"] == 1  # the complaint waiting for city dispatch
    total = b.total.values
    assert total["received"] == 5
    assert total["closed"] == 3
    assert total["on_time_rate"] == D("0.3333")
    assert total["avg_days"] == D("14.33")  # (6 + 16 + 21) / 3
    assert total["recovery_rate"] == D("0.2528")  # 80,000.50 / 316,400.50
    assert total["amount_owed"] == D("95400.25")
    assert b.total.avg_days_change == D("-5.67")


def test_ranking_by_on_time_rate(october: October) -> None:
    b = board(october.office)
    assert [(u.name, u.rank) for u in b.units] == [
        ("东湖区", 1),
        ("西江区", 2),
        ("待分派/未归属", None),
    ]
    by_days = selectors.dashboard(
        user=october.office,
        filters=selectors.Filters(OCTOBER),
        rank_by="avg_days",
        now=NOW,
    )
    assert [u.name for u in by_days.units][:2] == ["东湖区", "西江区"]  # fewer days is better


def test_november_and_custom_periods(october: October) -> None:
    november = unit(board(october.office, periods.month(2026, 11)), october.a)
    assert november.values["received"] == 1
    assert november.values["recovered"] == D("1000.00")
    assert november.values["fines"] == 1
    autumn = periods.parse("custom", "2026-09-01", "2026-10-31")
    both = unit(board(october.office, autumn), october.a)
    assert both.values["accepted"] == 3  # X, Y, Z
    assert both.values["received"] == 4


def test_filters_narrow_every_figure(october: October) -> None:
    office = october.office
    web = board(office, channel="web_form").total.values
    assert web["received"] == 1  # 15 Oct
    assert web["accepted"] == 1  # Y
    assert web["recovered"] == D("50000.00")
    housing = board(office, industry_id=october.y.industry_id).total.values
    assert housing["accepted"] == 1  # Y
    assert housing["inspections"] == 1  # the projects are housing projects
    department = board(office, department_id=october.a_housing.pk).total.values
    assert department["received"] == 1  # 31 Oct
    assert department["orders"] == 2
    assert department["accepted"] == 0


def test_breakdowns_and_trend(october: October) -> None:
    b = board(october.office)
    channel = {row["value"]: row["count"] for row in b.breakdowns["channel"]}
    assert channel == {"hotline_12345": 2, "web_form": 1, "service_window": 1, "duty_phone": 1}
    outcome = {row["value"]: row["count"] for row in b.breakdowns["outcome"]}
    assert outcome == {"paid_in_full": 1, "partly_paid": 1, "arbitration": 1}
    triage = {row["value"]: row["count"] for row in b.breakdowns["triage"]}
    assert triage == {"ordinary": 2}
    months = [f"{m:%Y-%m}" for m in b.trend["months"]]
    assert months[0] == "2025-11" and months[-1] == "2026-10"
    assert b.trend["received"][-2:] == [1, 5]  # September, October (city)
    assert b.trend["closed"][-1] == 3
    assert b.trend["on_time"][-1] == 1
    assert b.trend["recovered"][-1] == D("80000.50")
    # 通报: Z is overdue at 东湖区人社局; order 2 (due 23 Oct) at 东湖区住建局
    assert [
        (r["county_name"], r["department_name"], r["n"], r["orders"]) for r in b.overdue_units
    ] == [("东湖区", "东湖区人社局", 1, 0), ("东湖区", "东湖区住建局", 0, 1)]


def test_every_count_equals_the_rows_it_links_to(october: October) -> None:
    office = october.office
    total = board(office).total.values
    filters = selectors.Filters(OCTOBER)
    for key, metric in metrics.METRICS.items():
        if metric.unit != metrics.COUNT or metric.subset is None:
            continue
        rows = selectors.subset_queryset(metric.subset, user=office, filters=filters, now=NOW)
        if key in ("workers_involved", "workers_paid"):
            continue  # sums over the rows, not counts of them
        assert rows.count() == total[key], key


@pytest.mark.parametrize(
    ("code", "start", "end", "previous", "last_year"),
    [
        (
            "2026-03",
            "2026-03-01",
            "2026-03-31",
            ("2026-02-01", "2026-02-28"),
            ("2025-03-01", "2025-03-31"),
        ),
        (
            "2026-Q1",
            "2026-01-01",
            "2026-03-31",
            ("2025-10-01", "2025-12-31"),
            ("2025-01-01", "2025-03-31"),
        ),
        (
            "2026-q3",
            "2026-07-01",
            "2026-09-30",
            ("2026-04-01", "2026-06-30"),
            ("2025-07-01", "2025-09-30"),
        ),
        (
            "2026",
            "2026-01-01",
            "2026-12-31",
            ("2025-01-01", "2025-12-31"),
            ("2025-01-01", "2025-12-31"),
        ),
        (
            "2024-02",
            "2024-02-01",
            "2024-02-29",
            ("2024-01-01", "2024-01-31"),
            ("2023-02-01", "2023-02-28"),
        ),
    ],
)
def test_periods(
    code: str, start: str, end: str, previous: tuple[str, str], last_year: tuple[str, str]
) -> None:
    p = periods.parse(code)
    assert (p.start.isoformat(), p.end.isoformat()) == (start, end)
    assert (p.previous().start.isoformat(), p.previous().end.isoformat()) == previous
    assert (p.last_year().start.isoformat(), p.last_year().end.isoformat()) == last_year


def test_custom_period_comparisons() -> None:
    p = periods.parse("custom", "2024-02-10", "2024-02-29")
    assert p.days == 20
    assert (p.previous().start.isoformat(), p.previous().end.isoformat()) == (
        "2024-01-21",
        "2024-02-09",
    )
    assert (p.last_year().start.isoformat(), p.last_year().end.isoformat()) == (
        "2023-02-10",
        "2023-02-28",
    )


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("2026-13",), "period"),
        (("26",), "period"),
        (("1999",), "period"),
        (("custom",), "period"),
        (("custom", "2026-10-05", "2026-10-01"), "end"),
        (("custom", "2026-02-30", "2026-03-01"), "start"),
        (("custom", "1900-01-01", "2026-03-01"), "start"),
        (("custom", "2000-01-01", "2026-03-01"), "end"),
    ],
)
def test_bad_periods_say_what_is_wrong(args: tuple[str, ...], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        periods.parse(*args)
    assert field in caught.value.message_dict


def test_amounts_shown_in_wan_rounded_half_up() -> None:
    assert metrics.to_wan(D("80000.50")) == D("8.00")
    assert metrics.to_wan(D("12345.00")) == D("1.23")
    assert metrics.to_wan(D("12350.00")) == D("1.24")
    assert metrics.to_wan(D("0")) == D("0.00")


def test_a_calendar_change_recounts_the_days_closed_cases_took(
    october: October, django_capture_on_commit_callbacks: Any
) -> None:
    """9 October becomes a holiday after the fact: X (28 Sep → 12 Oct) and Y (9 → 30 Oct, the
    start day itself does not count) are recounted, W too; the averages follow."""

    with django_capture_on_commit_callbacks(execute=True):
        arrears_services.calendar_day_set(day=dt.date(2026, 10, 9), kind="holiday", name="测试")
    days = dict(
        Case.objects.filter(pk__in=[october.x.pk, october.y.pk, october.w.pk]).values_list(
            "number", "working_days_taken"
        )
    )
    assert days == {october.x.number: 5, october.y.number: 16, october.w.number: 20}
    a = unit(board(october.office), october.a)
    assert a.values["avg_days"] == D("10.50")  # (5 + 16) / 2
    # Running it again changes nothing.

    assert case_days_recompute() == 0
