"""In Chromium: the pages run under the Content-Security-Policy without a single violation
(scripts from files, no inline handlers), and what the removed inline code did still works."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from arrears.demo import DEMO_PASSWORD

CHROMIUM = "/usr/bin/chromium"


@pytest.mark.browser
@pytest.mark.skipif(
    not (Path(CHROMIUM).exists() or shutil.which("chromium")), reason="no Chromium installed"
)
def test_chromium_reports_no_policy_violation(
    browser: Any, live_server: Any, demo_city: None
) -> None:
    violations: list[str] = []
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "cityoffice")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    for path in ("/", "/reports/", "/jobs/", "/reports/print/", "/api/docs/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    # The dashboards' charts still draw (ECharts from a file, set up by a file).
    page.goto(f"{live_server.url}/reports/")
    page.wait_for_selector("[data-testid=chart-trend][data-rendered='1'] canvas", timeout=15000)
    # The language switch still submits (a data- attribute instead of onchange).
    page.select_option("select[name=language]", "en")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert violations == []
