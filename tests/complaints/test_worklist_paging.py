"""Lists without COUNT (issue 15): the worklist pages through the clocks by key, the other
lists by number without counting; pages follow one another with no row repeated or skipped,
keep their filters, and stay within the user's scope."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from arrears.models import Deadline, DeadlineState, Role, User
from arrears.paging import decode_cursor, encode_cursor
from complaints import demo
from complaints.cases import selectors
from complaints.cases import views as case_views
from complaints.models import Case, Complaint
from tests.conftest import TwoCounties
from tests.factories import UserFactory

TZ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 10, 12, 17, tzinfo=TZ)


def _case(tc: TwoCounties, n: int, **kw: Any) -> Case:
    data: dict[str, Any] = {
        "county": tc.a,
        "department": tc.a_hrss,
        "owner": tc.inspector_a,
        "employer_name": f"江城建工{n:02d}有限公司",
        "workers_owed": 2,
        "amount_owed": Decimal("1000.00"),
        "state": "accepted",
        "channel": "hotline_12345",
        "created_at": T0 - dt.timedelta(days=n),
    }
    data.update(kw)
    case = Case.objects.create(**data)
    case.number = f"AJ2026{case.pk:07d}"
    case.save(update_fields=["number"])
    return case


def _clock(case: Case, due_at: dt.datetime, kind: str = "close", **kw: Any) -> Deadline:
    return Deadline.objects.create(
        content_type=ContentType.objects.get_for_model(Case),
        object_id=case.pk,
        kind=kind,
        county=case.county,
        department=case.department,
        owner=case.owner,
        started_on=dt.date(2026, 10, 1),
        working_days=10,
        due_date=due_at.date(),
        due_at=due_at,
        **kw,
    )


@pytest.fixture
def cases(two_counties: TwoCounties) -> dict[str, Any]:
    """Fourteen open cases in county A: eleven with one open clock (three due at the same
    time), one with two open clocks, two whose only clock is paused; one closed case; one
    in county B; one owned by someone else with inspector A on its task team."""
    tc = two_counties
    got: dict[str, Any] = {"tc": tc}
    timed = []
    for n in range(11):
        case = _case(tc, n)
        # cases 3, 4 and 5 are due at the same minute: the case id breaks the tie
        _clock(case, T0 + dt.timedelta(hours=3 if 3 <= n <= 5 else n))
        timed.append(case)
    two = _case(tc, 11)
    _clock(two, T0 + dt.timedelta(hours=30), kind="accept")
    _clock(two, T0 + dt.timedelta(hours=1, minutes=30), kind="close")  # the nearer one
    paused = [_case(tc, 12 + i) for i in range(2)]
    for case in paused:
        _clock(case, T0 + dt.timedelta(hours=2), state=DeadlineState.PAUSED, paused_at=T0)
    closed = _case(tc, 20, state="closed", outcome="recovered", closed_at=T0)
    inspector_b = UserFactory.create(role=Role.INSPECTOR, county=tc.b, department=tc.b_hrss)
    other_county = _case(tc, 21, county=tc.b, department=tc.b_hrss, owner=inspector_b)
    _clock(other_county, T0)
    colleague = UserFactory.create(role=Role.INSPECTOR, county=tc.a, department=tc.a_hrss)
    teamed = _case(tc, 22, owner=colleague)
    teamed.team.add(tc.inspector_a)
    _clock(teamed, T0 + dt.timedelta(hours=100))
    got.update(
        timed=timed, two=two, paused=paused, closed=closed, other=other_county, teamed=teamed
    )
    return got


def _expected(user: User, view: str) -> list[int]:
    """The urgency order computed the slow way: every case's nearest open clock, then the
    cases without one, ties by id."""
    qs = selectors.with_next_due(selectors.worklist_cases(user=user, view=view)).filter(
        state__in=["pending", "accepted", "filed"]
    )
    far = dt.datetime.max.replace(tzinfo=dt.UTC)

    def due(c: Any) -> dt.datetime | None:
        return getattr(c, "next_due_at", None)  # the queryset's annotation

    rows = sorted(qs, key=lambda c: (due(c) is None, due(c) or far, c.pk))
    return [c.pk for c in rows]


def _walk(client: Client, path: str) -> tuple[list[list[int]], list[str]]:
    """Follow the next links from `path` to the end: each page's case ids, and the links."""
    pages, links = [], []
    url = path
    while url:
        html = client.get(url).content.decode()
        pages.append([int(pk) for pk in re.findall(r'data-testid="case-(\d+)"', html)])
        found = re.search(r'rel="next" data-testid="page-next" href="\?([^"]+)"', html)
        url = "/cases/?" + found.group(1).replace("&amp;", "&") if found else ""
        if found:
            links.append(url)
        assert len(pages) < 20, "the pages never end"
    return pages, links


def test_all_view_pages_by_key_in_urgency_order(
    cases: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given pages of 4 rows
    monkeypatch.setattr(case_views, "WORKLIST_PAGE", 4)
    tc = cases["tc"]
    client = Client()
    client.force_login(tc.official_a)
    # when the county official follows "next" to the end
    pages, links = _walk(client, "/cases/?view=all&triage=")
    # then every open case of the county appears once, in the urgency order, nothing else
    seen = [pk for page in pages for pk in page]
    assert seen == _expected(tc.official_a, "all")
    assert len(seen) == len(set(seen)) == 15  # 14 open + the task-team one, not B's or closed
    assert cases["closed"].pk not in seen and cases["other"].pk not in seen
    assert [len(p) for p in pages] == [4, 4, 4, 3]
    # the case with two open clocks is placed by the nearer one
    assert seen.index(cases["two"].pk) == 2
    # the paused-only cases (no running clock) come last
    assert set(seen[-2:]) == {c.pk for c in cases["paused"]}
    # every link kept the view and the filter
    for link in links:
        query = parse_qs(link.split("?", 1)[1], keep_blank_values=True)
        assert query["view"] == ["all"] and query["triage"] == [""] and "after" in query

    # and "previous" from the last page walks the same pages back
    html = client.get(links[-1]).content.decode()
    back: list[list[int]] = []
    while True:
        back.append([int(pk) for pk in re.findall(r'data-testid="case-(\d+)"', html)])
        found = re.search(r'rel="prev" data-testid="page-previous" href="\?([^"]+)"', html)
        if not found:
            break
        html = client.get("/cases/?" + found.group(1).replace("&amp;", "&")).content.decode()
    assert back[::-1] == pages


def test_pages_neither_repeat_nor_skip_when_rows_arrive(
    cases: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case_views, "WORKLIST_PAGE", 5)
    tc = cases["tc"]
    client = Client()
    client.force_login(tc.official_a)
    first = client.get("/cases/?view=all").content.decode()
    shown = [int(pk) for pk in re.findall(r'data-testid="case-(\d+)"', first)]
    after = re.search(r'rel="next" data-testid="page-next" href="\?([^"]+)"', first)
    assert after
    # a new case due before everything shown: with numbered pages it would push a row of
    # page 1 onto page 2 and show it twice
    _clock(_case(tc, 30), T0 - dt.timedelta(days=3))
    second = client.get("/cases/?" + after.group(1).replace("&amp;", "&")).content.decode()
    later = [int(pk) for pk in re.findall(r'data-testid="case-(\d+)"', second)]
    expected = _expected(tc.official_a, "all")
    assert not set(shown) & set(later)
    assert later == expected[expected.index(shown[-1]) + 1 :][:5]


def test_mine_view_keeps_to_the_inspector_and_filters(
    cases: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case_views, "WORKLIST_PAGE", 4)
    tc = cases["tc"]
    client = Client()
    client.force_login(tc.inspector_a)
    pages, _links = _walk(client, "/cases/")
    seen = [pk for page in pages for pk in page]
    assert seen == _expected(tc.inspector_a, "mine")
    assert cases["teamed"].pk in seen  # on the task team
    assert cases["other"].pk not in seen and cases["closed"].pk not in seen
    # a search and an urgency filter page the same way, and the links keep them
    pages, links = _walk(client, "/cases/?q=江城建工0&urgency=overdue")
    seen = [pk for page in pages for pk in page]
    assert seen == [c.pk for c in cases["timed"][:10]]  # names 00–09; all due in 2026
    assert links and all("q=" in link and "urgency=overdue" in link for link in links)
    # another county's official sees none of county A's cases
    other = Client()
    other.force_login(tc.official_b)
    pages, _links = _walk(other, "/cases/?view=all")
    assert [pk for page in pages for pk in page] == [cases["other"].pk]


def test_state_any_and_closed_list_the_closed_cases(cases: dict[str, Any]) -> None:
    tc = cases["tc"]
    client = Client()
    client.force_login(tc.official_a)
    html = client.get("/cases/?view=all&state=closed").content.decode()
    assert re.findall(r'data-testid="case-(\d+)"', html) == [str(cases["closed"].pk)]
    html = client.get("/cases/?view=all&state=any").content.decode()
    assert f'data-testid="case-{cases["closed"].pk}"' in html
    # a column sort is a numbered page of the annotated list, still without the closed cases
    html = client.get("/cases/?view=all&sort=-owed").content.decode()
    assert f'data-testid="case-{cases["closed"].pk}"' not in html


def test_worklist_does_not_count(cases: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    tc = cases["tc"]
    client = Client()
    client.force_login(tc.official_a)
    client.get("/cases/?view=all")  # the session's and the calendar's first reads
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/cases/?view=all").status_code == 200
    counted = [q["sql"] for q in queries if "COUNT(" in q["sql"] and "complaints_case" in q["sql"]]
    assert not counted
    # and 25 rows cost the queries of 15: nothing is read per row
    for n in range(40, 50):
        _clock(_case(tc, n), T0 + dt.timedelta(hours=n))
    with CaptureQueriesContext(connection) as more:
        html = client.get("/cases/?view=all").content.decode()
    assert html.count('data-testid="case-') == 25
    assert len(more) == len(queries)


def test_a_page_of_clocks_not_yet_due_reads_the_calendar_once(cases: dict[str, Any]) -> None:
    """Seen at the worklist's profile: each case due after today worked out the "soon"
    horizon again, two calendar queries a row. The horizon is now reckoned once a page."""
    tc = cases["tc"]
    client = Client()
    client.force_login(tc.official_a)
    with time_machine.travel(T0 - dt.timedelta(days=3), tick=False):  # every clock ahead
        client.get("/cases/?view=all")
        with CaptureQueriesContext(connection) as queries:
            first = client.get("/cases/?view=all").content.decode()
        for n in range(40, 50):
            _clock(_case(tc, n), T0 + dt.timedelta(days=n - 30))
        with CaptureQueriesContext(connection) as more:
            html = client.get("/cases/?view=all").content.decode()
    assert 'data-urgency="overdue"' not in first + html
    assert 'data-urgency="later"' in html
    assert html.count('data-testid="case-') == 25
    assert len(more) == len(queries)


def test_a_mangled_cursor_starts_at_the_first_page(cases: dict[str, Any]) -> None:
    tc = cases["tc"]
    client = Client()
    client.force_login(tc.official_a)
    first = client.get("/cases/?view=all").content.decode()
    for bad in ("x", encode_cursor([0, "not a date", 1]), encode_cursor([7, None, 1]), "!!"):
        assert client.get("/cases/", {"view": "all", "after": bad}).content.decode().count(
            'data-testid="case-'
        ) == first.count('data-testid="case-')
    assert decode_cursor(encode_cursor([0, "2026-10-12T17:00:00+08:00", 3])) == [
        0,
        "2026-10-12T17:00:00+08:00",
        3,
    ]


def _complaint(tc: TwoCounties, n: int, employer: str) -> Complaint:
    return Complaint.objects.create(
        tracking_no=f"T{n:011d}",
        channel="web_form",
        received_at=T0 - dt.timedelta(minutes=n % 7),  # ties: the id decides
        complainant_name="张三",
        complainant_phone="13812345678",
        employer_name=employer,
        county=None,
        workers_owed=1,
        amount_owed=Decimal("100.00"),
        facts="工资未发",
    )


def test_numbered_pages_do_not_count_and_keep_filters(two_counties: TwoCounties) -> None:
    # given 55 complaints of one employer and 5 of another in the city office's queue
    tc = two_counties
    for n in range(60):
        _complaint(tc, n, "江城建工有限公司" if n < 55 else "别的单位")
    client = Client()
    client.force_login(tc.city_office)
    # when the office pages through one employer's complaints, oldest first
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/intake/dispatch/", {"employer": "江城建工", "sort": "received"})
    assert not [q for q in queries if "COUNT(" in q["sql"] and "complaints_complaint" in q["sql"]]
    html = first.content.decode()
    found = re.search(r'rel="next" data-testid="page-next" href="\?([^"]+)"', html)
    assert found
    query = parse_qs(found.group(1).replace("&amp;", "&"))
    # then the next page's link keeps the filter and the order
    assert query == {"employer": ["江城建工"], "sort": ["received"], "page": ["2"]}
    second = client.get("/intake/dispatch/", query).content.decode()
    assert 'rel="next"' not in second and 'rel="prev"' in second
    ids = [
        re.findall(r'href="/complaints/([^/]+)/"', page) for page in (html, second)
    ]  # each row links to its complaint once
    expected = list(
        Complaint.objects.filter(employer_name="江城建工有限公司")
        .order_by("received_at", "pk")
        .values_list("tracking_no", flat=True)
    )
    assert [t for page in ids for t in page] == expected
    # a page past the end is empty, with the way back
    past = client.get("/intake/dispatch/", {**query, "page": "9"}).content.decode()
    assert "江城建工有限公司" not in past and 'rel="prev"' in past


def test_demo_case_numbers_keep_every_digit_of_a_long_id(two_counties: TwoCounties) -> None:
    # The 5M/10M benchmarks reach ids past 10,000,000: an LPAD to seven digits cut them, and
    # two cases would have shared a number.
    short = _case(two_counties, 0)
    long = _case(two_counties, 1)
    Case.objects.filter(pk=long.pk).update(id=12_345_678)
    Case.objects.filter(pk__in=[short.pk, 12_345_678]).update(number=demo.case_number())
    numbers = dict(Case.objects.values_list("pk", "number"))
    assert numbers[12_345_678] == f"AJ{long.created_at:%Y}12345678"
    assert numbers[short.pk] == f"AJ{short.created_at:%Y}{short.pk:07d}"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes: PostgreSQL")
def test_searches_are_served_by_the_trigram_indexes(cases: dict[str, Any]) -> None:
    """The indexes are on the very expression the ORM's icontains compares (UPPER(col::text)):
    with sequential scans off, the plan of each search names its index — a mismatch between
    migration and lookup would leave a scan whatever the table's size."""
    tc = cases["tc"]
    searches = {
        "case_employer_trgm_idx": Case.objects.filter(employer_name__icontains="建工03"),
        "case_number_trgm_idx": Case.objects.filter(number__icontains="AJ2026"),
        "case_project_trgm_idx": Case.objects.filter(project_name__icontains="江城花园"),
        "complaint_employer_trgm_idx": Complaint.objects.filter(
            employer_name__icontains="江城建工"
        ).order_by(),
    }
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for index, qs in searches.items():
            assert index in qs.explain(), index
    # (which of them the planner combines for the worklist's OR depends on the table's size;
    # on this one it reads the county's few cases) and the search finds its case
    found = selectors.case_search(
        selectors.worklist_cases(user=tc.official_a, view="all"), "建工03"
    )
    assert [c.pk for c in found] == [cases["timed"][3].pk]
