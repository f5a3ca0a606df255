"""Employer pages: the list (search, list filter, scope), the page (projects, complaints with
masked data, listings) and list management by the city office."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from arrears.errors import Conflict
from arrears.models import DepartmentKind, Role, User
from complaints.intake.services import complaint_create
from projects import selectors, services
from projects.models import Employer, EmployerListing
from projects.tasks import expire_listings
from tests.complaints.conftest import complaint_data
from tests.factories import CountyFactory, DepartmentFactory, UserFactory
from tests.projects.conftest import Employers

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates


def _web(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_scope_follows_the_projects_and_complaints_a_user_may_see(
    employers: Employers,
) -> None:
    d = employers
    # given: the housing inspector sees their project's contractor only; the city sees both
    assert set(selectors.employer_list(user=d.inspector)) == {d.ours}
    assert set(selectors.employer_list(user=d.city_office)) == {d.ours, d.theirs}
    # the HRSS inspector of the same county sees no project, hence no employer…
    assert not selectors.employer_list(user=d.hrss_inspector).exists()
    # when: a complaint routed to that HRSS department concerns the employer
    assert d.hrss_inspector.county
    complaint = complaint_create(
        data=complaint_data(county_code=d.hrss_inspector.county.code), channel="web_form"
    )
    assert complaint.department == d.hrss_inspector.department
    assert complaint.employer == d.ours  # matched by credit code
    # then: the inspector handling it may open the employer's page
    assert set(selectors.employer_list(user=d.hrss_inspector)) == {d.ours}
    # and someone bound to nothing sees nothing
    assert not selectors.employer_list(user=UserFactory.create(role=Role.INSPECTOR)).exists()


def test_list_page_searches_and_filters_by_list(employers: Employers) -> None:
    d = employers
    services.employer_listing_add(
        employer=d.theirs,
        kind="key_supervision",
        reason="拖欠工资",
        listed_on=timezone.localdate(),
        user=d.city_office,
    )
    web = _web(d.city_office)
    body = web.get("/employers/").content.decode()
    assert f"employer-{d.ours.pk}" in body and f"employer-{d.theirs.pk}" in body
    body = web.get("/employers/", {"q": "江城"}).content.decode()
    assert f"employer-{d.ours.pk}" in body and f"employer-{d.theirs.pk}" not in body
    body = web.get("/employers/", {"q": "91330100799655058b"}).content.decode()
    assert f"employer-{d.theirs.pk}" in body and f"employer-{d.ours.pk}" not in body
    body = web.get("/employers/", {"list": "key_supervision"}).content.decode()
    assert f"employer-{d.theirs.pk}" in body and f"employer-{d.ours.pk}" not in body
    assert web.get("/employers/", {"list": "nonsense", "page": "x"}).status_code == 200
    # the housing inspector's list does not mention the other county's employer
    body = _web(d.inspector).get("/employers/").content.decode()
    assert d.ours.name in body and d.theirs.name not in body


def test_employer_page_shows_projects_complaints_masked_and_listings(
    employers: Employers,
) -> None:
    d = employers
    assert d.inspector.county
    complaint = complaint_create(
        data=complaint_data(county_code=d.inspector.county.code), channel="web_form"
    )
    complaint.refresh_from_db()
    web = _web(d.city_office)
    body = web.get(f"/employers/{d.ours.pk}/").content.decode()
    assert "滨江花园" in body and "施工总承包单位" in body
    assert complaint.tracking_no in body
    assert "13812345678" not in body and "138****5678" in body  # complainant and employer
    assert "11010519491231002X" not in body
    assert "未列入任何名单" in body and 'data-testid="listing-add"' in body
    # an inspector sees the page but not the management forms
    body = _web(d.inspector).get(f"/employers/{d.ours.pk}/").content.decode()
    assert "滨江花园" in body and 'data-testid="listing-add"' not in body
    # out of scope: 404
    assert _web(d.inspector).get(f"/employers/{d.theirs.pk}/").status_code == 404
    assert _web(d.inspector).get("/employers/999999/").status_code == 404


def test_city_office_lists_and_removes_with_history(employers: Employers) -> None:
    d = employers
    web = _web(d.city_office)
    url = f"/employers/{d.ours.pk}/listings/"
    today = timezone.localdate()
    # when: put on the dishonest list without an end date
    response = web.post(
        url, {"kind": "dishonest", "reason": "拒不支付劳动报酬", "listed_on": today.isoformat()}
    )
    assert response.status_code == 302
    listing = EmployerListing.objects.get(employer=d.ours, kind="dishonest")
    # then: the default term of three years applies, and the office is recorded
    assert listing.expires_on is not None and listing.expires_on.year == today.year + 3
    assert listing.decided_by == d.city_office
    # a second current listing on the same list is refused with a message, not a 500
    response = web.post(
        url, {"kind": "dishonest", "reason": "再次", "listed_on": today}, follow=True
    )
    assert "该单位已在" in response.content.decode()
    assert EmployerListing.objects.filter(employer=d.ours).count() == 1
    # removal records date and reason; the listing stays as history
    remove = f"/employers/{d.ours.pk}/listings/remove/"
    response = web.post(
        remove,
        {"kind": "dishonest", "removed_on": today.isoformat(), "removal_reason": "已清偿满6个月"},
        follow=True,
    )
    assert "已移出名单" in response.content.decode()
    listing.refresh_from_db()
    assert (listing.removed_on, listing.removal_reason) == (today, "已清偿满6个月")
    body = web.get(f"/employers/{d.ours.pk}/").content.decode()
    assert "拒不支付劳动报酬" in body and "已清偿满6个月" in body
    # listed again later: a new row, the old one kept
    web.post(url, {"kind": "dishonest", "reason": "再次拖欠", "listed_on": today})
    assert EmployerListing.objects.filter(employer=d.ours, kind="dishonest").count() == 2


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({"kind": "dishonest", "reason": "", "listed_on": "2026-01-01"}, "列入事由"),
        ({"kind": "nonsense", "reason": "x", "listed_on": "2026-01-01"}, "名单"),
        ({"kind": "dishonest", "reason": "x", "listed_on": "not a date"}, "列入日期"),
        ({"kind": "dishonest", "reason": "x", "listed_on": "2999-01-01"}, "不能晚于今天"),
        (
            {
                "kind": "dishonest",
                "reason": "x",
                "listed_on": "2026-01-02",
                "expires_on": "2026-01-01",
            },
            "期满日期应晚于列入日期",
        ),
    ],
)
def test_bad_listing_input_gives_chinese_messages(
    employers: Employers, data: dict[str, str], text: str
) -> None:
    web = _web(employers.city_office)
    response = web.post(f"/employers/{employers.ours.pk}/listings/", data, follow=True)
    assert response.status_code == 200
    assert text in response.content.decode()
    assert not EmployerListing.objects.exists()


def test_removing_what_is_not_listed_is_a_conflict(employers: Employers) -> None:
    d = employers
    with pytest.raises(Conflict):
        services.employer_listing_remove(
            employer=d.ours,
            kind="key_supervision",
            removed_on=timezone.localdate(),
            reason="x",
            user=d.city_office,
        )
    listing = services.employer_listing_add(
        employer=d.ours,
        kind="key_supervision",
        reason="x",
        listed_on=dt.date(2026, 1, 5),
        user=d.city_office,
    )
    assert listing.expires_on is None  # the key-supervision list has no default term
    with pytest.raises(ValidationError):
        services.employer_listing_remove(
            employer=d.ours,
            kind="key_supervision",
            removed_on=dt.date(2026, 1, 4),
            reason="x",
            user=d.city_office,
        )


def test_only_the_city_office_manages_lists(employers: Employers) -> None:
    d = employers
    head = UserFactory.create(
        role=Role.DEPARTMENT_OFFICIAL,
        county=d.inspector.county,
        department=d.inspector.department,
    )
    for user in (d.inspector, head):
        with pytest.raises(PermissionDenied):
            services.employer_listing_add(
                employer=d.ours,
                kind="dishonest",
                reason="x",
                listed_on=timezone.localdate(),
                user=user,
            )
        response = _web(user).post(
            f"/employers/{d.ours.pk}/listings/",
            {"kind": "dishonest", "reason": "x", "listed_on": timezone.localdate()},
        )
        assert response.status_code == 403
    assert not EmployerListing.objects.exists()


def test_list_page_query_count_does_not_grow_with_employers(
    employers: Employers, django_assert_max_num_queries: Any
) -> None:
    d = employers
    for n in range(20):
        employer = Employer.objects.create(name=f"单位{n}", credit_code=f"X{n:017d}")
        services.employer_listing_add(
            employer=employer,
            kind="key_supervision",
            reason="x",
            listed_on=timezone.localdate(),
            user=d.city_office,
        )
    web = _web(d.city_office)
    with django_assert_max_num_queries(12):
        assert web.get("/employers/").status_code == 200


def test_an_empty_scope_shows_an_empty_list(db: Any) -> None:
    county = CountyFactory.create()
    housing = DepartmentFactory.create(county=county, kind=DepartmentKind.HOUSING)
    user = UserFactory.create(role=Role.INSPECTOR, county=county, department=housing)
    assert _web(user).get("/employers/").status_code == 200


def test_a_listing_past_its_end_date_is_not_current_and_comes_off(
    employers: Employers,
) -> None:
    """Three years on the dishonest list, then off: shown as not listed at once, recorded as
    removed by the daily task, and the employer can be listed again."""

    d = employers
    today = timezone.localdate()
    listing = services.employer_listing_add(
        employer=d.ours,
        kind="dishonest",
        reason="拒不支付",
        listed_on=today - dt.timedelta(days=3 * 366),
        expires_on=today - dt.timedelta(days=1),
        user=d.city_office,
    )
    web = _web(d.city_office)
    listed = web.get("/employers/?list=dishonest").content.decode()
    assert d.ours.name not in listed
    assert expire_listings() == 1
    assert expire_listings() == 0  # idempotent
    listing.refresh_from_db()
    assert (listing.removed_on, listing.removal_reason) == (listing.expires_on, "期满自动移出")
    again = services.employer_listing_add(
        employer=d.ours,
        kind="dishonest",
        reason="再次拖欠",
        listed_on=today,
        user=d.city_office,
    )
    assert again.removed_on is None


def test_listing_again_takes_an_expired_listing_off_first(employers: Employers) -> None:
    d = employers
    today = timezone.localdate()
    old = services.employer_listing_add(
        employer=d.ours,
        kind="key_supervision",
        reason="重点监管",
        listed_on=today - dt.timedelta(days=400),
        expires_on=today - dt.timedelta(days=30),
        user=d.city_office,
    )
    services.employer_listing_add(
        employer=d.ours,
        kind="key_supervision",
        reason="再次",
        listed_on=today,
        user=d.city_office,
    )
    old.refresh_from_db()
    assert old.removed_on == old.expires_on
