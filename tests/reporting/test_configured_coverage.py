"""5+3 coverage on the dashboards follows the configured core items (compliance.core_items),
as the projects' own coverage does: the figure and the rows behind it alike."""

from __future__ import annotations

from decimal import Decimal

import pytest

from arrears.services import config_set
from reporting import periods, selectors
from tests.reporting.conftest import NOW, October

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates

OCTOBER = periods.month(2026, 10)


def test_core_coverage_counts_the_configured_core_items(october: October) -> None:
    # given: the notice board counted as core as well (P2 has not put one up)
    config_set(
        key="compliance.core_items",
        value="real_name,wage_account,bank_payment,deposit,monitoring,notice_board",
    )
    # when
    board = selectors.dashboard(
        user=october.office, filters=selectors.Filters(OCTOBER), dim="county", now=NOW
    )
    a = next(u for u in board.units if u.id == october.a.pk)
    # then: P1 only of P1–P3 (2 of 3 with the five core items by default)
    assert a.values["core_coverage"] == Decimal("0.3333")
    rows = selectors.subset_queryset(
        "projects_core", user=october.office, filters=selectors.Filters(OCTOBER), now=NOW
    )
    assert sorted(rows.values_list("code", flat=True)) == ["P1"]
