"""The dashboards in a real Chromium: the city overview draws its ECharts charts (served from
this application), a county's bar and its row both drill down to the county page, and a
number there opens the list it counts."""

from __future__ import annotations

import datetime
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from arrears.demo import DEMO_PASSWORD

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() or shutil.which("chromium")),
        reason="no Chromium installed (apt-get install chromium fonts-noto-cjk)",
    ),
]

CHARTS = ["chart-trend", "chart-ranking", "chart-channel", "chart-outcome"]


def _charts_drawn(page: Any) -> None:
    for chart in CHARTS:
        page.wait_for_selector(f"[data-testid={chart}][data-rendered='1'] canvas", timeout=15000)


# Dates: the period shown and the demo city's records both follow the clock.
@pytest.mark.dates
def test_city_overview_charts_and_drill_down(
    browser: Any, live_server: Any, demo_city: None
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    external: list[str] = []
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    # Nothing may be fetched from outside the application (government intranet).
    page.on(
        "request",
        lambda r: external.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "cityoffice")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    # The last twelve months, not "this year": on 1 January this year holds nothing yet, and
    # an empty ranking has no bar to click (the demo city's records go back two years).
    today = timezone.localdate()
    start = today - datetime.timedelta(days=364)
    page.goto(f"{live_server.url}/reports/?period=custom&start={start}&end={today}")
    assert "全市根治欠薪工作统计" in page.inner_text("[data-testid=report-title]")
    _charts_drawn(page)
    # The ranking chart has one bar per county, drawn by ECharts on a canvas.
    bars = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('chart-ranking'))"
        ".getOption().series[0].data.length"
    )
    rows = page.locator("[data-testid=ranking-table] tbody tr[data-unit]:not([data-unit=''])")
    assert bars == rows.count() >= 2
    page.screenshot(path=str(ARTIFACTS / "dashboard-city.png"), full_page=True)

    # Clicking the top county's bar opens its page (the bar chart lists the first at the top).
    first = rows.first.locator("[data-testid=unit-link]").inner_text()
    # Into view first: a mouse click lands only inside the viewport, and how far down the
    # chart sits depends on the figures above it (how their comparisons wrap).
    page.locator("#chart-ranking").scroll_into_view_if_needed()
    box = page.locator("#chart-ranking canvas").first.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + 14)
    page.wait_for_url(re.compile(r"/reports/counties/\d{6}/"))
    assert first in page.inner_text("[data-testid=report-title]")
    _charts_drawn(page)
    page.screenshot(path=str(ARTIFACTS / "dashboard-county.png"), full_page=True)

    # The county's closed cases: the list counts exactly the number shown.
    shown = page.inner_text("[data-testid=kpi-closed]").replace(",", "")
    page.click("[data-testid=kpi-closed]")
    page.wait_for_selector("[data-testid=rows-count]")
    assert page.inner_text("[data-testid=rows-count]") == f"共 {shown} 条"
    assert external == []
