"""The speech's money figures and time limits against October 2026 of conftest.py with a few
more records, counted by hand: wage accounts, wages paid through the banks, deposits and the
share lodged as guarantee letters; response within the set working days; the working days to
close against the statutory limit (a city's own limit where it has one)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client, override_settings

from arrears import config, deadlines
from arrears.models import ConfigValue
from complaints.cases import services
from complaints.cases.services import RESPOND
from complaints.models import Case
from projects.models import ChecklistItem, MonthlyWageRecord, Project
from reporting import metrics, periods, selectors
from reporting.presentation import dashboard_context
from tests.reporting.conftest import NOW, October, at, clock

pytestmark = pytest.mark.dates

OCTOBER = periods.month(2026, 10)
D = Decimal


def board(user: Any, period: periods.Period = OCTOBER, **kw: Any) -> selectors.Dashboard:
    return selectors.dashboard(
        user=user, filters=selectors.Filters(period, **kw), dim="county", now=NOW
    )


def unit(b: selectors.Dashboard, county: Any) -> selectors.Unit:
    return next(u for u in b.units if u.id == county.pk)


def _respond(
    case: Case, started: dt.date, closed: dt.datetime | None, cancel: bool = False
) -> None:
    clock = deadlines.deadline_open(
        subject=case,
        kind=RESPOND,
        started_on=started,
        working_days=1,
        county_id=case.county_id,
        department_id=case.department_id,
    )
    if cancel:
        deadlines.deadline_cancel(deadline=clock, at=closed)
    elif closed is not None:
        deadlines.deadline_close(deadline=clock, at=closed)


@pytest.fixture
def funds(october: October) -> October:
    """County A's projects: P1 (in construction) a deposit of 200,000.00 by bank guarantee
    letter, P2 (in construction) 50,000.50 in cash, P3 (in construction) a deposit recorded
    but not compliant, P4 (completed) 999.00; wage records of P1 (September 80,000.00,
    October 120,000.00), P4 (October 30,000.25: wages are paid whatever the status now), P2
    (November 5,000.00). County B: P5 in construction with its wage account opened.

    Response clocks (1 working day from receipt): X received 8 Oct, answered that day (met);
    Y received 9 Oct, answered 23 Oct (missed); Z received 20 Oct, answered that day (met);
    W (county B) answered on 10 Sep (September's); the pending case's clock cancelled in
    October (no response)."""
    p = {x.code: x for x in Project.objects.filter(code__in=["P1", "P2", "P3", "P4"])}
    ChecklistItem.objects.filter(project=p["P1"], item="deposit").update(
        amount=D("200000.00"), facts={"issuer": "建设银行", "form": "银行保函"}
    )
    ChecklistItem.objects.filter(project=p["P2"], item="deposit").update(
        amount=D("50000.50"), facts={"form": "现金"}
    )
    ChecklistItem.objects.create(
        project=p["P3"], item="deposit", state="not_compliant", amount=D("10000.00")
    )
    ChecklistItem.objects.filter(project=p["P4"], item="deposit").update(amount=D("999.00"))
    for project, month, amount in (
        ("P1", dt.date(2026, 9, 1), "80000.00"),
        ("P1", dt.date(2026, 10, 1), "120000.00"),
        ("P4", dt.date(2026, 10, 1), "30000.25"),
        ("P2", dt.date(2026, 11, 1), "5000.00"),
    ):
        MonthlyWageRecord.objects.create(
            project=p[project], month=month, amount_paid=D(amount), workers_paid=10
        )
    p5 = Project.objects.create(
        code="P5", name="项目P5", county=october.b, industry=p["P1"].industry
    )
    ChecklistItem.objects.create(project=p5, item="wage_account", state="compliant")

    _respond(october.x, dt.date(2026, 10, 8), at(2026, 10, 8, 15))
    _respond(october.y, dt.date(2026, 10, 9), at(2026, 10, 23, 9))
    _respond(october.z, dt.date(2026, 10, 20), at(2026, 10, 20, 16))
    _respond(october.w, dt.date(2026, 9, 10), at(2026, 9, 10, 11))
    pending = Case.objects.get(state="pending")
    _respond(pending, dt.date(2026, 10, 12), at(2026, 10, 13), cancel=True)
    return october


def _both(user: Any, **kw: Any) -> selectors.Dashboard:
    """The dashboard from the facts, checked equal to the live computation."""
    from_facts = board(user, **kw)
    with override_settings(REPORTING_FACTS=False):
        live = board(user, **kw)
    pairs = zip([*from_facts.units, from_facts.total], [*live.units, live.total], strict=True)
    for a, b in pairs:
        assert a.values == b.values, a.name
    return from_facts


def test_money_figures_of_october(funds: October) -> None:
    b = _both(funds.office)
    a, county_b = unit(b, funds.a), unit(b, funds.b)
    assert a.values["wage_accounts"] == 2  # P1, P2 (P4 is completed)
    assert county_b.values["wage_accounts"] == 1  # P5
    assert a.values["bank_paid"] == D("150000.25")  # P1 120,000.00 + P4 30,000.25
    assert a.values["deposits"] == D("250000.50")  # P1 + P2; not P3 (not compliant), P4
    assert a.values["deposits_guarantee"] == D("200000.00")  # P1's 银行保函
    assert a.values["guarantee_share"] == D("0.8000")  # 200,000.00 / 250,000.50
    assert county_b.values["guarantee_share"] is None  # no deposit: nothing to divide
    assert b.total.values["wage_accounts"] == 3
    # The previous month: September's wage record; deposits are a snapshot (not compared).
    assert a.previous["bank_paid"] == D("80000.00")
    # A quarter: September is not in Q4, November is.
    q4 = board(funds.office, periods.quarter(2026, 4))
    assert unit(q4, funds.a).values["bank_paid"] == D("155000.25")


def test_response_within_the_set_working_days(funds: October) -> None:
    b = _both(funds.office)
    a, county_b = unit(b, funds.a), unit(b, funds.b)
    assert a.values["responded"] == 3  # X, Y, Z (the pending case's clock was cancelled)
    assert a.values["response_rate"] == D("0.6667")  # X and Z in time, Y late
    assert county_b.values["responded"] == 0  # W answered in September
    assert county_b.values["response_rate"] is None
    assert a.previous["responded"] == 0 and county_b.previous["responded"] == 1
    assert county_b.previous["response_rate"] == D("1.0000")


def test_working_days_to_close_against_the_statutory_limit(funds: October) -> None:
    # X took 6 working days, Y 16 (county A); W 21 (county B): all within 60 when they closed.
    b = _both(funds.office)
    assert b.close_limit == 60
    assert unit(b, funds.a).values["closed_in_limit_rate"] == D("1.0000")
    assert b.total.values["closed_in_limit_rate"] == D("1.0000")
    # A case is judged against the limit in force when it closes (as for on time): the
    # province setting 15 changes the limit shown, not the verdicts already given.
    ConfigValue.objects.create(key="case.close_days.statutory", city=None, value=15)
    config.forget()
    b = _both(funds.office)
    assert b.close_limit == 15
    assert b.total.values["closed_in_limit_rate"] == D("1.0000")
    # Y and W closed again under the new limits (reopened on the day they were filed, so they
    # take the same working days): county A's city sets its own 20, which wins over the
    # province's 15, and Y's 16 are within it; W's 21 are not within the province's 15.
    ConfigValue.objects.create(key="case.close_days.statutory", city=funds.a.city, value=20)
    config.forget()
    inspector_y, inspector_w = funds.y.owner, funds.w.owner
    for case, user, filed, closed, outcome in (
        (funds.y, inspector_y, dt.date(2026, 10, 9), at(2026, 10, 30), "partly_paid"),
        (funds.w, inspector_w, dt.date(2026, 9, 10), at(2026, 10, 15), "arbitration"),
    ):
        with clock(at(filed.year, filed.month, filed.day)):
            case = services.case_reopen(case=case, user=user, reason="复核")
        with clock(closed):
            services.case_close(case=case, user=user, outcome=outcome, note="复核后结案")
    y, w = (Case.objects.get(pk=c.pk) for c in (funds.y, funds.w))
    assert (y.working_days_taken, y.closed_in_limit) == (16, True)
    assert (w.working_days_taken, w.closed_in_limit) == (21, False)
    b = _both(funds.office)
    assert b.close_limit == 20
    assert unit(b, funds.a).values["closed_in_limit_rate"] == D("1.0000")
    assert unit(b, funds.b).values["closed_in_limit_rate"] == D("0.0000")
    # The average (14.33 = (6 + 16 + 21) / 3) against the limit: 5.67 working days under it.
    assert b.total.values["avg_days"] == D("14.33")
    context = dashboard_context(b)
    assert context["close_limit"] == 20
    assert context["below_limit"] == D("5.67")
    config.forget()


def test_every_new_figure_links_to_its_rows(funds: October) -> None:
    filters = selectors.Filters(OCTOBER)
    office = funds.office

    def rows(subset: str) -> set[str]:
        qs = selectors.subset_queryset(subset, user=office, filters=filters, now=NOW)
        return {str(getattr(r, "code", None) or r.pk) for r in qs}

    assert rows("projects_wage_account") == {"P1", "P2", "P5"}
    assert rows("projects_bank_paid") == {"P1", "P4"}
    assert rows("projects_deposit") == {"P1", "P2"}
    assert rows("projects_guarantee") == {"P1"}
    assert rows("responded") == {str(funds.x.pk), str(funds.y.pk), str(funds.z.pk)}
    assert rows("responded_on_time") == {str(funds.x.pk), str(funds.z.pk)}
    total = board(office).total.values
    for key in ("responded", "wage_accounts"):
        subset = metrics.METRICS[key].subset
        assert subset is not None
        assert len(rows(subset)) == total[key], key


def test_a_county_official_sees_their_county_only(funds: October) -> None:
    b = board(funds.official_b)
    assert b.total.values["wage_accounts"] == 1
    assert b.total.values["deposits"] == D("0.00")
    assert b.total.values["bank_paid"] == D("0.00")


def test_the_pages_and_the_api_show_them(funds: October) -> None:
    c = Client()
    c.force_login(funds.office)
    html = c.get("/reports/?period=2026-10&fresh=1").content.decode()
    assert 'data-testid="funds"' in html and 'data-testid="timeliness"' in html
    assert 'data-metric="bank_paid"' in html
    assert 'title="150,000.25 元"' in html and ">15.00<" in html  # 万元 on the page
    assert 'title="250,000.50 元"' in html and ">25.00<" in html
    assert ">80.00%<" in html  # the guarantee letters' share
    assert "60 个工作日" in html
    data = c.get("/api/v1/reports/dashboard/?period=2026-10&fresh=1").json()
    a = next(u for u in data["units"] if u["name"] == "东湖区")
    assert a["values"]["bank_paid"] == "150000.25"  # the API in yuan, exact
    assert a["values"]["guarantee_share"] == "0.8000"
    assert a["values"]["response_rate"] == "0.6667"
    assert data["close_limit_days"] == 60
    printed = c.get("/reports/print/?period=2026-10&fresh=1").content.decode()
    assert 'data-testid="print-funds"' in printed
