"""Computed dashboards are kept for a while, shared by scope, and say when they were computed;
?fresh=1 and the beat task compute them again."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone

from complaints.models import Case
from reporting.tasks import warm_dashboards
from tests.reporting.conftest import October
from tests.reporting.test_pages import OCT, client

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates


@pytest.fixture
def cached() -> Any:
    cache.clear()
    with override_settings(REPORTING_CACHE_SECONDS=600):
        yield
    cache.clear()


def _closed(c: Client, query: str = OCT) -> int:
    data = c.get(f"/api/v1/reports/dashboard/?{query}").json()
    return int(data["total"]["values"]["closed"])


def test_a_dashboard_is_kept_and_fresh_recomputes(october: October, cached: Any) -> None:
    office = client(october.office)
    assert _closed(office) == 3
    Case.objects.filter(pk=october.y.pk).update(state="filed", closed_at=None)
    assert _closed(office) == 3  # kept
    assert _closed(office, OCT + "&fresh=1") == 2  # computed again, and kept
    assert _closed(office) == 2
    html = office.get(f"/reports/?{OCT}").content.decode()
    assert "数据截至" in html and "fresh=1" in html


def test_kept_dashboards_are_shared_by_scope_only(october: October, cached: Any) -> None:
    assert _closed(client(october.office)) == 3
    # a county official's dashboard is a different entry: county B closed one (W)
    b = client(october.official_b).get(f"/api/v1/reports/dashboard/?{OCT}").json()
    assert b["total"]["values"]["closed"] == 1
    assert [u["name"] for u in b["units"] if u["id"]] == ["西江区"]


def test_beat_warms_the_city_overview(october: October, cached: Any) -> None:
    assert warm_dashboards() == 2
    year = timezone.localdate().year
    office = client(october.office)
    first = office.get(f"/api/v1/reports/dashboard/?period={year}").json()["computed_at"]
    Case.objects.filter(pk=october.y.pk).update(workers_owed=99)
    again = office.get(f"/api/v1/reports/dashboard/?period={year}").json()["computed_at"]
    assert first == again  # served from what beat computed
