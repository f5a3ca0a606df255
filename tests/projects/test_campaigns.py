"""Campaigns: the list and page with their figures (scoped to the user's inspections), and
launching one from the page by the city office."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from arrears.models import Role, User
from projects import selectors, services
from projects.models import Campaign, Project
from tests.factories import CountyFactory, UserFactory

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates


def _web(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@dataclass(frozen=True)
class CampaignRun:
    campaign: Campaign
    inspector: User
    city_office: User
    project: Project
    elsewhere: Project  # in another county, inspected in the same campaign


@pytest.fixture
def campaign(project: Project, calendar_2026: None) -> CampaignRun:
    """A campaign with two inspections of the fixture's project and one in another county."""
    today = timezone.localdate()
    inspector = User.objects.get(department=project.department)
    action = Campaign.objects.create(
        name="冬季专项行动",
        starts_on=today - dt.timedelta(days=60),
        ends_on=today + dt.timedelta(days=10),
        scope_note="全市在建工程项目",
    )
    # a month ago: two orders, long past their three working days
    old = services.inspection_record(
        project=project,
        inspector=inspector,
        inspected_on=today - dt.timedelta(days=30),
        campaign=action,
        findings=[
            {"item": "notice_board", "description": "未设置公示牌"},
            {"item": "contracts", "description": "未签劳动合同"},
        ],
    )
    late = old.findings.get(item="contracts").rectification
    services.rectification_verify(order=late, user=inspector, rectified=True, note="已补签")
    services.fine_record(inspection=old, article="art56", amount=Decimal("60000"), decided_on=today)
    # today: one order verified at once (on time), one still running
    new = services.inspection_record(
        project=project,
        inspector=inspector,
        inspected_on=today,
        campaign=action,
        findings=[
            {"item": "real_name", "description": "实名制未落实"},
            {"item": "monitoring", "description": "未接入监控系统"},
        ],
    )
    prompt = new.findings.get(item="real_name").rectification
    services.rectification_verify(order=prompt, user=inspector, rectified=True, note="已整改")
    elsewhere = Project.objects.create(
        code="XM-9", name="西岸学校", county=CountyFactory.create(), industry=project.industry
    )
    services.inspection_record(
        project=elsewhere,
        inspector=UserFactory.create(role=Role.INSPECTOR),
        inspected_on=today,
        campaign=action,
        findings=[{"item": "deposit", "description": "保证金未存储"}],
    )
    return CampaignRun(
        campaign=action,
        inspector=inspector,
        city_office=UserFactory.create(city_office=True),
        project=project,
        elsewhere=elsewhere,
    )


def test_summary_counts_within_the_users_scope(campaign: CampaignRun) -> None:
    summary = selectors.campaign_summary(campaign=campaign.campaign, user=campaign.inspector)
    assert summary == {
        "inspections": 2,
        "findings": 4,
        "orders": 4,
        "orders_on_time": 1,
        "orders_overdue": 2,  # one verified late, one still open past its due time
        "orders_running": 1,
        "fines": 1,
        "fines_total": Decimal("60000.00"),
    }
    city = selectors.campaign_summary(campaign=campaign.campaign, user=campaign.city_office)
    assert (city["inspections"], city["findings"], city["orders_running"]) == (3, 5, 2)


def test_campaign_pages(campaign: CampaignRun) -> None:
    action = campaign.campaign
    web = _web(campaign.inspector)
    listing = web.get("/campaigns/").content.decode()
    assert f"campaign-{action.pk}" in listing and "冬季专项行动" in listing
    assert 'data-testid="campaign-form"' not in listing  # inspectors do not launch campaigns
    page = web.get(f"/campaigns/{action.pk}/").content.decode()
    assert "全市在建工程项目" in page and "滨江花园" in page
    assert "西岸学校" not in page  # the other county's inspection stays hidden
    assert 'data-testid="n-overdue">2<' in page and 'data-testid="n-on-time">1<' in page
    assert "60,000.00" in page
    city_page = _web(campaign.city_office).get(f"/campaigns/{action.pk}/").content.decode()
    assert "西岸学校" in city_page
    assert web.get("/campaigns/999999/").status_code == 404


def test_inspection_page_preselects_the_campaign(campaign: CampaignRun) -> None:
    action, project = campaign.campaign, campaign.project
    web = _web(campaign.inspector)
    page = web.get(f"/projects/{project.pk}/inspections/new/?campaign={action.pk}")
    assert f'value="{action.pk}" selected' in page.content.decode()


def test_city_office_launches_a_campaign(campaign: CampaignRun) -> None:
    web = _web(campaign.city_office)
    assert 'data-testid="campaign-form"' in web.get("/campaigns/").content.decode()
    response = web.post(
        "/campaigns/",
        {"name": "元旦春节前专项整治", "starts_on": "2026-12-01", "ends_on": "2027-02-10"},
    )
    created = Campaign.objects.get(name="元旦春节前专项整治")
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{created.pk}/"


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({"name": "x", "starts_on": "2026-12-10", "ends_on": "2026-12-01"}, "结束日期不能早于"),
        ({"name": "x", "starts_on": "not a date", "ends_on": "2026-12-01"}, "开始日期"),
        ({"name": "", "starts_on": "2026-12-01", "ends_on": "2026-12-10"}, "专项行动名称"),
        ({"name": "   ", "starts_on": "2026-12-01", "ends_on": "2026-12-10"}, "专项行动名称"),
    ],
)
def test_bad_campaign_input_gives_chinese_messages(
    campaign: CampaignRun, data: dict[str, str], text: str
) -> None:
    response = _web(campaign.city_office).post("/campaigns/", data)
    assert response.status_code == 200
    assert text in response.content.decode()
    assert Campaign.objects.count() == 1


def test_only_the_city_office_launches_campaigns(campaign: CampaignRun) -> None:
    inspector = campaign.inspector
    response = _web(inspector).post(
        "/campaigns/", {"name": "x", "starts_on": "2026-12-01", "ends_on": "2026-12-10"}
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        services.campaign_create(
            name="x", starts_on=dt.date(2026, 12, 1), ends_on=dt.date(2026, 12, 2), user=inspector
        )
    with pytest.raises(ValidationError):
        services.campaign_create(
            name="x",
            starts_on=dt.date(2026, 12, 2),
            ends_on=dt.date(2026, 12, 1),
            user=campaign.city_office,
        )
    assert Campaign.objects.count() == 1
