"""A province in one deployment: cities under the province, each city's own configuration
falling back to the province's, referrals routed to the right city and county, escalations to
the right city's office, the province overview ranking cities. (The scoping guard over every
URL across two cities is in test_scoping.py.)"""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from arrears import config, deadlines, services
from arrears.models import City, County, Deadline, Role, User
from complaints.cases.services import core
from complaints.intake import referrals, selectors
from complaints.intake import services as intake_services
from complaints.integration.api_keys import api_key_issue
from complaints.models import Case, Complaint, ComplaintStatus, IntegrationClient
from projects import selectors as project_selectors
from projects.services import campaign_create
from tests.complaints.conftest import complaint_data
from tests.conftest import TwoCities
from tests.factories import CountyFactory, DepartmentFactory, UserFactory


def _client(name: str, city: City | None = None) -> IntegrationClient:
    return IntegrationClient.objects.create(
        user=UserFactory.create(role=Role.INTEGRATION_CLIENT),
        name=name,
        channel="clue_platform" if city is None else "hotline_12345",
        city=city,
    )


def _web(user: User) -> Client:
    web = Client()
    web.force_login(user)
    return web


# --- Configuration ------------------------------------------------------------------------


def test_a_city_follows_its_own_value_else_the_province_else_the_default(
    two_cities: TwoCities,
) -> None:
    a, b = two_cities.city_a.pk, two_cities.city_b.pk
    default = config.REGISTRY["case.accept_days"].default
    assert config.get("case.accept_days", city=a) == config.get("case.accept_days", city=b)
    assert config.get("case.accept_days", city=b) == default

    services.config_set(key="case.accept_days", value=5)
    config.forget()
    assert (config.get("case.accept_days", city=a), config.get("case.accept_days", city=b)) == (
        5,
        5,
    )

    services.config_set(key="case.accept_days", value=2, city=two_cities.city_b)
    config.forget()
    assert (config.get("case.accept_days", city=a), config.get("case.accept_days", city=b)) == (
        5,
        2,
    )
    assert config.get("case.accept_days") == 5  # the province's own value


def test_a_setting_the_province_fixes_cannot_be_set_for_a_city(two_cities: TwoCities) -> None:
    assert not config.REGISTRY["notifications.max_attempts"].per_city
    with pytest.raises(ValidationError, match="全省统一"):
        services.config_set(key="notifications.max_attempts", value=3, city=two_cities.city_b)
    # …and a city's value stays within the statute's range like the province's
    with pytest.raises(ValidationError):
        services.config_set(key="fines.art55.minimum", value=-1, city=two_cities.city_b)


def test_a_case_runs_on_its_citys_deadlines_and_ladder(two_cities: TwoCities) -> None:
    services.config_set(key="case.close_days.statutory", value=30, city=two_cities.city_b)
    services.config_set(key="deadline.escalation_ladder", value="0,1,3", city=two_cities.city_b)
    config.forget()
    case_b = Case(county=two_cities.b, department=two_cities.b_hrss)
    case_a = Case(county=two_cities.a, department=two_cities.a_hrss)
    assert core.close_days(case_b) == 30
    assert core.close_days(case_a) == config.REGISTRY["case.close_days.statutory"].default
    assert deadlines.ladder(two_cities.city_b.pk) == [0, 1, 3]
    assert deadlines.ladder(two_cities.city_a.pk) == [0, 2]


# --- Routing ------------------------------------------------------------------------------


def test_a_province_wide_referral_goes_to_the_city_and_county_its_address_names(
    two_cities: TwoCities,
) -> None:
    platform = _client("全国根治欠薪线索反映平台")
    data = complaint_data(project_address="云岭市城关区滨江路8号")
    complaint, _created = referrals.referral_submit(client=platform, external_id="P-1", data=data)
    assert (complaint.city, complaint.county) == (two_cities.city_b, two_cities.b)
    assert complaint.department == two_cities.b_hrss
    assert complaint.status == ComplaintStatus.PENDING_SIGNATURE


def test_a_county_name_two_cities_share_is_decided_by_the_citys_name(
    two_cities: TwoCities,
) -> None:
    # 城关区 in city A too: the name alone is ambiguous, the city's name decides
    a_chengguan = CountyFactory.create(
        code="369904", name="城关区", short_name="城关", city=two_cities.city_a
    )
    DepartmentFactory.create(county=a_chengguan)
    platform = _client("全国根治欠薪线索反映平台")
    alone, _ = referrals.referral_submit(
        client=platform, external_id="P-2", data=complaint_data(project_address="城关区某工地")
    )
    assert alone.county is None and alone.city is None  # the province office dispatches it
    named, _ = referrals.referral_submit(
        client=platform,
        external_id="P-3",
        data=complaint_data(project_address="江城市城关区某工地"),
    )
    assert named.county == a_chengguan


def test_a_referral_naming_only_its_city_waits_in_that_citys_queue(
    two_cities: TwoCities,
) -> None:
    platform = _client("全国根治欠薪线索反映平台")
    complaint, _ = referrals.referral_submit(
        client=platform, external_id="P-4", data=complaint_data(employer_address="云岭市某地")
    )
    assert (complaint.city, complaint.county) == (two_cities.city_b, None)
    assert complaint.status == ComplaintStatus.PENDING_DISPATCH
    assert complaint in selectors.dispatch_queue(user=two_cities.city_office_b)
    assert complaint not in selectors.dispatch_queue(user=two_cities.city_office)
    assert complaint in selectors.dispatch_queue(user=two_cities.province_office)


def test_a_referral_no_city_can_be_found_for_is_the_province_offices(
    two_cities: TwoCities,
) -> None:
    platform = _client("全国根治欠薪线索反映平台")
    complaint, _ = referrals.referral_submit(
        client=platform, external_id="P-5", data=complaint_data(project_address="不详")
    )
    assert complaint.city is None and complaint.county is None
    assert complaint not in selectors.dispatch_queue(user=two_cities.city_office)
    assert complaint not in selectors.dispatch_queue(user=two_cities.city_office_b)
    assert complaint in selectors.dispatch_queue(user=two_cities.province_office)
    # A city's office cannot take it; the province office dispatches it to city B
    with pytest.raises(ValidationError):
        intake_services.complaint_dispatch(
            complaint=complaint, user=two_cities.city_office, department=two_cities.b_hrss
        )
    done = intake_services.complaint_dispatch(
        complaint=complaint, user=two_cities.province_office, department=two_cities.b_hrss
    )
    assert (done.city, done.county, done.department) == (
        two_cities.city_b,
        two_cities.b,
        two_cities.b_hrss,
    )


def test_a_city_code_keeps_a_province_wide_referral_within_that_city(
    two_cities: TwoCities,
) -> None:
    platform = _client("全国根治欠薪线索反映平台")
    complaint, _ = referrals.referral_submit(
        client=platform,
        external_id="P-6",
        data=complaint_data(city_code="369800", project_address="东湖区"),  # A's county name
    )
    # 东湖区 is city A's: within city B it names nothing, so B's office dispatches it
    assert (complaint.city, complaint.county) == (two_cities.city_b, None)


def test_a_citys_own_hotline_refers_only_within_its_city(two_cities: TwoCities) -> None:
    hotline_a = _client("江城市12345热线", city=two_cities.city_a)
    with pytest.raises(ValidationError) as refused:
        referrals.referral_submit(
            client=hotline_a,
            external_id="H-1",
            data=complaint_data(county_code=two_cities.b.code),
        )
    assert "不属于江城市" in str(refused.value)
    with pytest.raises(ValidationError, match="只能受理江城市的投诉"):
        referrals.referral_submit(
            client=hotline_a, external_id="H-2", data=complaint_data(city_code="369800")
        )
    # an address naming city B's county routes nowhere from city A's hotline: A dispatches it
    complaint, _ = referrals.referral_submit(
        client=hotline_a, external_id="H-3", data=complaint_data(project_address="城关区")
    )
    assert (complaint.city, complaint.county) == (two_cities.city_a, None)


def test_the_referral_api_takes_a_city_code(two_cities: TwoCities) -> None:
    platform = _client("全国根治欠薪线索反映平台")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_issue(client=platform)}")
    data = {
        k: (str(v) if v is not None and not isinstance(v, int) else v)
        for k, v in complaint_data(project_address="某地").items()
    }
    unknown = api.post(
        "/api/v1/referrals/", {"external_id": "API-1", **data, "city_code": "369899"}, format="json"
    )
    assert unknown.status_code in (400, 422), unknown.content
    assert "未知的地级市代码" in unknown.content.decode()
    known = api.post(
        "/api/v1/referrals/", {"external_id": "API-2", **data, "city_code": "369800"}, format="json"
    )
    assert known.status_code == 201, known.content
    complaint = Complaint.objects.get(external_id="API-2")
    assert complaint.city == two_cities.city_b


# --- Escalation and dashboards --------------------------------------------------------------


def test_an_overdue_clock_in_city_b_escalates_to_city_bs_office_only(
    two_cities: TwoCities,
) -> None:
    deadline = Deadline(
        county=two_cities.b,
        department=two_cities.b_hrss,
        kind="case.close",
        started_on=dt.date(2026, 10, 8),
        working_days=10,
        due_date=dt.date(2026, 10, 22),
        due_at=dt.datetime(2026, 10, 22, 9, 30, tzinfo=dt.UTC),
    )
    level_1 = deadlines.escalation_recipients(deadline, 1)
    level_2 = deadlines.escalation_recipients(deadline, 2)
    assert level_1 == [two_cities.official_b]
    assert two_cities.city_office_b in level_2 and two_cities.city_office not in level_2
    leader_b = UserFactory.create(role=Role.CITY_LEADER, city=two_cities.city_b)
    assert leader_b in deadlines.escalation_recipients(deadline, 2)
    assert two_cities.city_leader_a not in deadlines.escalation_recipients(deadline, 2)


def test_the_province_overview_ranks_cities_and_a_city_page_its_counties(
    two_cities: TwoCities,
) -> None:
    page = _web(two_cities.province_office).get("/reports/").content.decode()
    assert "全省根治欠薪工作统计" in page and "各地级市排名" in page
    assert 'href="/reports/cities/369800/' in page  # each city row opens its page
    city_page = _web(two_cities.province_office).get("/reports/cities/369800/")
    assert city_page.status_code == 200
    body = city_page.content.decode()
    assert "云岭市根治欠薪工作统计" in body and "各县（区）排名" in body
    assert 'data-unit="369803"' in body and 'data-unit="369902"' not in body
    api = _web(two_cities.province_office).get("/api/v1/reports/dashboard/").json()
    assert api["dimension"] == "city"
    assert {u["code"] for u in api["units"]} >= {"369900", "369800"}
    # a city's office gets its counties, and no other city's page
    own = _web(two_cities.city_office).get("/api/v1/reports/dashboard/").json()
    assert own["dimension"] == "county" and {u["code"] for u in own["units"]} == {"369902"}
    assert _web(two_cities.city_office).get("/reports/cities/369800/").status_code == 404


# --- The demo province ------------------------------------------------------------------------


def test_seed_demo_builds_a_province_of_n_cities(db: Any) -> None:
    call_command("seed_demo", cities=3, complaints=30, projects_per_county=1, stdout=StringIO())
    cities = list(City.objects.order_by("-code"))
    assert [c.name for c in cities] == ["江城市", "云岭市", "河阳市"]
    assert all(len(c.code) == 6 and c.code.endswith("00") for c in cities)
    for city in cities:
        counties = County.objects.filter(city=city)
        assert counties.count() >= 8
        assert all(c.code[:4] == city.code[:4] for c in counties)
        assert User.objects.filter(role=Role.CITY_OFFICE, city=city).exists()
    # the same county name in two cities, as real provinces have
    assert County.objects.filter(name="城关区").count() == 2
    assert User.objects.filter(role=Role.PROVINCE_OFFICE).count() == 1
    with pytest.raises(Exception, match="--cities"):
        call_command("seed_demo", cities=99, stdout=StringIO())


def test_the_province_office_sees_what_each_city_changed(two_cities: TwoCities) -> None:
    services.config_set(key="case.accept_days", value=3, city=two_cities.city_b)
    page = _web(two_cities.province_office).get("/org/settings/")
    assert page.status_code == 200
    body = page.content.decode()
    row = body.split('data-key="case.accept_days"')[1].split("</tr>")[0]
    assert 'data-testid="city-value">3<' in row and row.count('data-testid="city-value"') == 1
    assert "云岭市" in body and "江城市" in body
    # a city's office does not (nor does anyone else without the duty)
    assert _web(two_cities.city_office).get("/org/settings/").status_code == 404


def test_a_citys_campaign_is_its_own_and_the_provinces_is_everyones(
    two_cities: TwoCities,
) -> None:
    day = dt.date(2026, 11, 2)
    own = campaign_create(
        name="江城市冬季专项", starts_on=day, ends_on=day, user=two_cities.city_office
    )
    everyone = campaign_create(
        name="全省冬季专项", starts_on=day, ends_on=day, user=two_cities.province_office
    )
    assert (own.city, everyone.city) == (two_cities.city_a, None)
    assert set(project_selectors.campaign_list(user=two_cities.city_office_b)) == {everyone}
    assert set(project_selectors.campaign_list(user=two_cities.inspector_a)) == {own, everyone}
    assert _web(two_cities.city_office_b).get(f"/campaigns/{own.pk}/").status_code == 404
    assert _web(two_cities.city_office).get(f"/campaigns/{own.pk}/").status_code == 200
    assert set(project_selectors.campaigns_on(day, city_id=two_cities.city_b.pk)) == {everyone}


def test_the_dashboard_api_refuses_a_malformed_unit_id(two_cities: TwoCities) -> None:
    # city A's office is offered no city filter, and a malformed one is still refused (422,
    # as a county id that is not one)
    web = _web(two_cities.city_office)
    for query in ("city=null", "county=abc", "city=1&city=x"):
        response = web.get(f"/api/v1/reports/dashboard/?{query}")
        assert response.status_code == 422, query
        assert "不在您的查看范围内" in response.content.decode()
