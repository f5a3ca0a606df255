"""The demo city obeys the rules a real one does: recovered ≤ owed on every case, every
closed case's outcome holds, every complaint's status agrees with its case, and no rate on
the dashboards passes 100%."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import F, Q
from django.utils import timezone

from arrears.models import Role, User
from complaints.cases import outcomes
from complaints.models import STATUS_FOR_CASE_STATE, Case, Complaint
from reporting import metrics
from reporting.periods import year
from reporting.selectors.rollups import dashboard
from reporting.selectors.subsets import Filters

pytestmark = pytest.mark.dates  # the demo is seeded around today


@pytest.fixture
def seeded(db: Any) -> None:
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", complaints=300, projects_per_county=2, stdout=quiet)


def test_the_seeded_city_obeys_the_money_outcome_and_status_rules(seeded: None) -> None:
    cases = Case.objects.all()
    assert cases.filter(state="closed").count() > 20  # enough closed cases to mean something
    assert not cases.filter(
        Q(recovered_amount__gt=F("amount_owed")) | Q(workers_paid__gt=F("workers_owed"))
    ).exists()
    for case in cases.filter(state="closed"):
        assert outcomes.refusal(case.outcome, outcomes.facts(case)) is None, case.outcome
    for state, status in STATUS_FOR_CASE_STATE.items():
        assert not Complaint.objects.filter(case__state=state).exclude(status=status).exists()


def test_no_rate_on_the_seeded_dashboards_passes_100_percent(seeded: None) -> None:
    office = User.objects.filter(role=Role.CITY_OFFICE).first()
    assert office is not None
    rates = [k for k, m in metrics.METRICS.items() if m.unit == metrics.RATE]
    this_year = timezone.localdate().year
    recovery = []
    for y in (this_year - 1, this_year):
        board = dashboard(user=office, filters=Filters(period=year(y)))
        for unit in [*board.units, board.total]:
            for key in rates:
                value = unit.values.get(key)
                assert value is None or value <= Decimal("1"), (y, unit.name, key, value)
        recovery.append(board.total.values["recovery_rate"])
    # The rates were computed, not all empty: on 1 January this year has nothing yet, so one of
    # the two years is enough (make test-dates runs this at New Year).
    assert any(rate is not None for rate in recovery)
