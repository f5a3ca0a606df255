"""The web shell in a real Chromium (Debian's package, driven by Playwright): log in as a demo
user, see the home page in Chinese, switch to English, and look at it on a phone-sized screen.
Screenshots go to test-artifacts/ for people to look at."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from arrears.demo import DEMO_PASSWORD
from projects.models import Project

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() or shutil.which("chromium")),
        reason="no Chromium installed (apt-get install chromium fonts-noto-cjk)",
    ),
]


def test_login_and_home_page(browser: Any, live_server: Any, demo_city: None) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "county")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=home-title]")
    assert "您好" in page.inner_text("[data-testid=home-title]")
    assert page.inner_text("[data-testid=scope]") == "东湖区"
    # the county official sees their own county and not the others
    body = page.inner_text("main")
    assert "东湖区" in body and "西江区" not in body
    # Bootstrap came from our own static files, not a CDN
    css = page.evaluate("getComputedStyle(document.querySelector('.navbar')).display")
    assert css == "flex"
    page.screenshot(path=str(ARTIFACTS / "home-zh.png"), full_page=True)

    page.select_option("select[name=language]", "en")
    page.wait_for_load_state("networkidle")
    assert "Hello" in page.inner_text("[data-testid=home-title]")
    page.screenshot(path=str(ARTIFACTS / "home-en.png"), full_page=True)


# Dates: the menu opens this year's calendar.
@pytest.mark.dates
def test_city_office_on_a_phone_sees_the_calendar(
    browser: Any, live_server: Any, demo_city: None
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "cityoffice")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=home-title]")
    # on a phone the menu collapses behind the toggler, and opens
    assert not page.is_visible("#mainnav")
    page.click(".navbar-toggler")
    page.wait_for_selector("#mainnav.show")
    page.click("[data-testid=menu-system]")  # the calendar is under 系统
    page.click("text=工作日历")
    page.wait_for_selector("[data-testid=year-status]")
    # The menu opens this year's calendar; the days checked are 2026's (an official year in
    # the demo), whatever the date the suite runs on.
    assert page.url.endswith(f"/calendar/{timezone.localdate().year}/")
    page.goto(f"{live_server.url}/calendar/2026/")
    page.wait_for_selector("[data-testid=year-status]")
    assert page.locator("td[data-date='2026-02-14'][data-kind='makeup']").count() == 1
    assert page.locator("td[data-date='2026-10-01'][data-kind='holiday']").count() == 1
    legend = page.inner_text("[data-testid=calendar-legend]")
    assert "法定节假日" in legend and "调休上班" in legend
    page.screenshot(path=str(ARTIFACTS / "calendar-phone.png"), full_page=True)
    context.close()


def test_worker_files_a_complaint_on_a_phone_and_tracks_it(
    browser: Any, live_server: Any, demo_city: None
) -> None:
    """一键投诉、全程跟踪: the public form on a phone, then the tracking page."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/complain/")
    page.fill("#id_complainant_name", "赵六")
    page.fill("#id_complainant_phone", "13612345678")
    page.fill("#id_employer_name", "江城某建筑劳务有限公司")
    page.fill("#id_project_address", "青山县城南工业园三期工地")
    page.fill("#id_workers_owed", "8")
    page.fill("#id_amount_owed", "64000")
    page.fill("#id_facts", "2026年9月至11月工资未发放。")
    page.screenshot(path=str(ARTIFACTS / "complain-phone.png"), full_page=True)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=tracking-no]")
    tracking = page.inner_text("[data-testid=tracking-no]")
    assert len(tracking) == 11 and tracking[5] == "-"
    page.click("a:has-text('查询办理进度')")
    page.fill("#id_tracking_no", tracking)
    page.fill("#id_phone_last4", "5678")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=track-result]")
    result = page.inner_text("[data-testid=track-result]")
    # routed by the address to 青山县's lead department, and nothing personal shown
    assert "青山县人力资源和社会保障局" in result
    assert "赵六" not in result and "64000" not in result
    page.screenshot(path=str(ARTIFACTS / "track-phone.png"), full_page=True)
    context.close()


def test_inspector_takes_a_case_from_signed_complaint_to_closure(
    browser: Any, live_server: Any, demo_city: None
) -> None:
    """Filed on the public form, signed by the inspector, accepted, filed, paid, closed."""

    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.goto(f"{live_server.url}/complain/")
    page.fill("#id_complainant_name", "孙七")
    page.fill("#id_complainant_phone", "13512345678")
    page.fill("#id_employer_name", "东湖测试劳务有限公司")
    page.select_option("#id_county_code", "369902")
    page.fill("#id_workers_owed", "2")
    page.fill("#id_amount_owed", "12000")
    page.fill("#id_facts", "10月工资未发。")
    page.click("button[type=submit]")
    tracking = page.inner_text("[data-testid=tracking-no]").replace("-", "")

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "inspector")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/intake/inbox/?employer=东湖测试")
    page.click(f"[data-testid=row-{tracking}] button:has-text('签收')")
    page.goto(f"{live_server.url}/complaints/{tracking}/")
    page.click("[data-testid=case-link]")
    page.wait_for_selector("[data-testid=case-state]")
    assert page.inner_text("[data-testid=case-state]") == "待受理"
    page.click("[data-testid=action-accept] button")
    assert page.inner_text("[data-testid=case-state]") == "已受理"
    page.click("[data-testid=action-file] button")
    assert page.inner_text("[data-testid=case-state]") == "立案调查"
    page.click("[data-testid=tab-record]")  # the case page's actions are in tabs
    page.fill("[data-testid=action-payment] input[name=amount]", "12000")
    page.fill("[data-testid=action-payment] input[name=workers_paid]", "2")
    page.click("[data-testid=action-payment] button")
    assert "12,000.00" in page.inner_text("[data-testid=recovered]")
    page.click("[data-testid=tab-close]")
    page.select_option("[data-testid=action-close] select[name=outcome]", "paid_in_full")
    page.fill("[data-testid=action-close] textarea[name=note]", "已全额支付")
    page.click("[data-testid=action-close] button")
    assert page.inner_text("[data-testid=case-state]") == "已结案"
    page.screenshot(path=str(ARTIFACTS / "case-closed.png"), full_page=True)
    # the worker sees the result on the tracking page
    page.goto(f"{live_server.url}/track/")
    page.fill("#id_tracking_no", tracking)
    page.fill("#id_phone_last4", "5678")
    page.click("main button[type=submit]")  # not the navigation bar's logout button
    assert "已办结：全额支付" in page.inner_text("[data-testid=track-result]")


def test_inspector_records_an_inspection_on_a_tablet(
    browser: Any, live_server: Any, demo_city: None
) -> None:
    """An inspection with a finding; the rectification deadline shows on the project page."""

    project = Project.objects.filter(
        county__code="369902", department__kind="hrss", status="in_construction"
    ).first()
    if project is None:  # the demo's housing projects go to the housing bureau
        project = Project.objects.filter(county__code="369902", status="in_construction").first()
    assert project is not None
    user = "inspector" if project.department and project.department.kind == "hrss" else "dept"
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(
        viewport={"width": 820, "height": 1180}, locale="zh-CN", has_touch=True
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.goto(f"{live_server.url}/projects/{project.pk}/inspections/new/")
    page.select_option(".finding >> nth=0 >> select[name=item]", "notice_board")
    page.fill(".finding >> nth=0 >> input[name=description]", "未设置维权信息公示牌")
    page.fill(".finding >> nth=0 >> input[name=working_days]", "3")
    page.screenshot(path=str(ARTIFACTS / "inspection-tablet.png"), full_page=True)
    page.click("[data-testid=inspection-form] button[type=submit]")
    page.wait_for_selector("[data-testid=rectification-due]")
    assert "期限" in page.inner_text("[data-testid=rectification-due]")
    assert "未设置维权信息公示牌" in page.inner_text("main")
    context.close()
