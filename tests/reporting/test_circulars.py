"""通报 (projects.supervision) drafted from the dashboards' overdue units of the hand-built
October, numbered and issued, immutable, printable, counted for the assessment."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from arrears.errors import Conflict
from arrears.models import Notification
from complaints.models import Case
from projects import services
from projects import supervision_selectors as reads
from projects.models import (
    Circular,
    CircularItem,
    CircularState,
    CircularUnit,
    RectificationOrder,
)
from reporting import selectors as reporting_selectors
from reporting.periods import month, year
from tests.factories import CountyFactory, UserFactory
from tests.races import run_together
from tests.reporting.conftest import NOW, October

# Moves the clock itself: also run on a year's last minute and the next one's first.
pytestmark = pytest.mark.dates

TZ = dt.timezone(dt.timedelta(hours=8))


def at(y: int, m: int, d: int, h: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, minute, tzinfo=TZ)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _draft_all(user: Any) -> Circular:
    """A draft naming every unit with overdue work now, each with all of it."""
    units = [
        services.UnitDraft(
            county=c.county,
            department=c.department,
            reason=c.reason(),
            cases=c.cases,
            orders=c.orders,
        )
        for c in reads.circular_candidates(user=user)
    ]
    return services.circular_create(user=user, title="关于超期未办结的通报", units=units)


# --- Drafting from the overdue-units list ---------------------------------------------------


def test_candidates_are_the_dashboards_list_for_circulars(october: October) -> None:
    # given the hand-built October, at the end of November
    # when the office looks for units to criticise
    candidates = reads.circular_candidates(user=october.office, now=NOW)
    # then they are the dashboard's "有逾期工作的单位（通报）", with the same counts
    board = reporting_selectors.dashboard(
        user=october.office, filters=reporting_selectors.Filters(month(2026, 10)), now=NOW
    )
    assert [
        (u.county.name, u.department and u.department.name, len(u.cases), len(u.orders))
        for u in candidates
    ] == [
        (r["county_name"], r["department_name"], r["n"], r["orders"]) for r in board.overdue_units
    ]
    assert candidates[0].cases == [october.z]


def test_a_circular_is_drafted_from_the_list_with_its_overdue_work_ticked(
    october: October,
) -> None:
    office = _client(october.office)
    with time_machine.travel(NOW, tick=False):
        page = office.get("/circulars/new/")
        assert page.status_code == 200
        body = page.content.decode()
        # every unit and every item ticked from the start
        assert body.count('name="unit"') == 2
        assert f'name="case-{october.a.pk}-{october.a_hrss.pk}" value="{october.z.pk}"' in body
        assert body.count(" checked>") == 4
        # one row of the dashboard's list: that unit only
        one = office.get(f"/circulars/new/?unit={october.a.pk}-{october.a_hrss.pk}")
        assert one.content.decode().count('name="unit"') == 1

        order = RectificationOrder.objects.get(finding__description="问题1")
        hrss, housing = (
            f"{october.a.pk}-{october.a_hrss.pk}",
            f"{october.a.pk}-{october.a_housing.pk}",
        )
        response = office.post(
            "/circulars/new/",
            {
                "title": "关于东湖区欠薪案件超期的通报",
                "preamble": "现通报如下：",
                "unit": [hrss, housing],
                f"reason-{hrss}": "案件超期未办结",
                f"case-{hrss}": [str(october.z.pk)],
                f"reason-{housing}": "整改逾期",
                f"order-{housing}": [str(order.pk)],
            },
        )
    circular = Circular.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/circulars/{circular.pk}/"
    assert circular.state == CircularState.DRAFT and circular.number == ""
    units = list(circular.units.order_by("position"))
    assert [(u.department, u.reason) for u in units] == [
        (october.a_hrss, "案件超期未办结"),
        (october.a_housing, "整改逾期"),
    ]
    (z_item,) = units[0].items.all()
    assert z_item.case == october.z and october.z.number in z_item.summary
    (order_item,) = units[1].items.all()
    assert order_item.order == order and "2026-10-23" in order_item.summary


def test_work_that_is_not_the_units_or_not_overdue_is_refused(october: October) -> None:
    with time_machine.travel(NOW, tick=False):
        hrss = next(c for c in reads.circular_candidates(user=october.office) if c.cases)
        closed = Case.objects.get(pk=october.x.pk)  # closed on time: not overdue
        with pytest.raises(ValidationError):
            services.circular_create(
                user=october.office,
                title="t",
                units=[
                    services.UnitDraft(
                        county=hrss.county, department=hrss.department, reason="r", cases=[closed]
                    )
                ],
            )
        # a county official does not draft circulars
        with pytest.raises(PermissionDenied):
            services.circular_create(user=october.official_a, title="t", units=[])


# --- Issue, numbering, immutability, correction ---------------------------------------------


def test_issuing_numbers_by_city_and_year(october: October) -> None:
    with time_machine.travel(NOW, tick=False):
        first = _draft_all(october.office)
        second = _draft_all(october.office)
        services.circular_issue(circular=second, user=october.office)
        services.circular_issue(circular=first, user=october.office)
    first.refresh_from_db()
    second.refresh_from_db()
    # numbered in the order issued, the city's short name as the office's code
    assert second.number == "江城欠薪办通〔2026〕1号"
    assert first.number == "江城欠薪办通〔2026〕2号"
    assert first.issued_on == dt.date(2026, 11, 30)
    # the first circular of the next year starts again at 1
    with time_machine.travel(at(2027, 1, 4, 10), tick=False):
        third = _draft_all(october.office)
        services.circular_issue(circular=third, user=october.office)
    third.refresh_from_db()
    assert third.number == "江城欠薪办通〔2027〕1号"


def test_an_issued_circular_is_immutable_and_corrected_by_a_new_one(october: October) -> None:
    with time_machine.travel(NOW, tick=False):
        issued = services.circular_issue(circular=_draft_all(october.office), user=october.office)
        for change in (
            lambda: services.circular_update(circular=issued, user=october.office, title="改"),
            lambda: services.circular_discard(circular=issued, user=october.office),
            lambda: services.circular_issue(circular=issued, user=october.office),
        ):
            with pytest.raises(Conflict):
                change()
        # the page offers no change, only a correction
        page = _client(october.office).get(f"/circulars/{issued.pk}/").content.decode()
        assert "circular-issue" not in page and "circular-correct" in page
        correction = services.circular_correct(circular=issued, user=october.office)
    issued.refresh_from_db()
    assert issued.title == "关于超期未办结的通报" and issued.state == CircularState.ISSUED
    assert correction.supersedes == issued and correction.state == CircularState.DRAFT
    assert CircularItem.objects.filter(unit__circular=correction).count() == 2
    # a correction is counted instead of the circular it replaces, never beside it
    period = year(2026)
    before = reads.circulars_received(user=october.office, period=period, county=october.a)
    assert before.count == 1
    with time_machine.travel(NOW, tick=False):
        services.circular_issue(circular=correction, user=october.office)
    after = reads.circulars_received(user=october.office, period=period, county=october.a)
    assert after.count == 1 and after.rows[0].circular_id == correction.pk
    # per department too; another county received none
    got = reads.circulars_received(user=october.office, period=period, department=october.a_hrss)
    assert got.count == 1
    assert reads.circulars_received(user=october.office, period=period, county=october.b).count == 0


def test_the_printable_document(october: October) -> None:
    with time_machine.travel(NOW, tick=False):
        issued = services.circular_issue(circular=_draft_all(october.office), user=october.office)
        response = _client(october.office).get(f"/circulars/{issued.pk}/print/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "江城欠薪办通〔2026〕1号" in body
    assert "关于超期未办结的通报" in body
    assert "东湖区人社局" in body and "东湖区住建局" in body
    assert october.z.number and october.z.number in body
    assert "2026年11月30日" in body
    assert "projects/circular_print.css" in body and "<style" not in body
    assert "draft-mark" not in body


def test_counties_see_only_the_issued_circulars_naming_them(october: October) -> None:
    with time_machine.travel(NOW, tick=False):
        draft = _draft_all(october.office)
        assert _client(october.official_a).get(f"/circulars/{draft.pk}/").status_code == 404
        services.circular_issue(circular=draft, user=october.office)
        assert _client(october.official_a).get(f"/circulars/{draft.pk}/").status_code == 200
        assert _client(october.official_b).get(f"/circulars/{draft.pk}/").status_code == 404
        assert "江城欠薪办通" not in _client(october.official_b).get("/circulars/").content.decode()
    # the county's official was told
    assert Notification.objects.filter(recipient=october.official_a, kind="circular.issued")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_circulars_issued_at_once_take_consecutive_numbers() -> None:
    # given two drafts of one city (written directly: the race is the numbering's)
    county = CountyFactory.create()
    office = UserFactory.create(city_office=True, city=county.city)
    drafts = []
    for title in ("甲", "乙"):
        draft = Circular.objects.create(city=county.city, title=title, drafted_by=office)
        CircularUnit.objects.create(circular=draft, county=county, reason="逾期")
        drafts.append(draft)
    # when both are issued at the same moment
    outcomes = run_together(
        *[partial(services.circular_issue, circular=d, user=office) for d in drafts]
    )
    # then both succeed, with the city's two next numbers (the city's row lock queues them)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sorted(Circular.objects.values_list("sequence", flat=True)) == [1, 2]
