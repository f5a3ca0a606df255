"""The grouped inbox: messages by kind and subject with counts, a summary per kind, a group
marked read at once (plain POST and htmx), the flat list, and a constant number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from arrears import selectors, services
from arrears.models import Notification
from tests.factories import CountyFactory, UserFactory


@pytest.fixture
def office(db: None) -> Any:
    return UserFactory.create(city_office=True)


def _escalate(user: Any, subject: Any, n: int, kind: str = "deadline.escalation") -> None:
    for i in range(n):
        services.notification_send(
            recipients=[user],
            kind=kind,
            title=f"已逾期：{subject.name} {i}",
            url=f"/org/counties/{subject.code}/",
            dedupe_key=f"{kind}:{subject.pk}:{i}",
            subject=subject,
        )


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_groups_by_kind_and_subject_with_counts(office: Any) -> None:
    # given three escalations about county A, two about B (one read), a reminder about A
    a, b = CountyFactory.create(), CountyFactory.create()
    _escalate(office, a, 3)
    _escalate(office, b, 2)
    _escalate(office, a, 1, kind="deadline.reminder")
    first_b = Notification.objects.filter(subject_id=str(b.pk)).order_by("id")[0]
    services.notification_mark_read(user=office, ids=[first_b.pk])
    # when the inbox is grouped
    groups = selectors.inbox_group_rows(selectors.inbox_groups(user=office))
    # then one group per kind and subject, with unread / total and the latest title
    counts = {(g.kind, g.subject_id): (g.unread, g.total) for g in groups}
    assert counts == {
        ("deadline.escalation", str(a.pk)): (3, 3),
        ("deadline.escalation", str(b.pk)): (1, 2),
        ("deadline.reminder", str(a.pk)): (1, 1),
    }
    group_a = next(g for g in groups if g.subject_id == str(a.pk) and g.total == 3)
    assert group_a.title == f"已逾期：{a.name} 2"  # the latest
    assert group_a.subject_type == "arrears.county"
    # and the summary per kind and type of subject
    kinds = {
        (k.kind, k.subject_type): (k.subjects, k.unread, k.total)
        for k in selectors.inbox_kinds(user=office)
    }
    assert kinds == {
        ("deadline.escalation", "arrears.county"): (2, 4, 5),
        ("deadline.reminder", "arrears.county"): (1, 1, 1),
    }


def test_mark_a_group_read(office: Any) -> None:
    a, b = CountyFactory.create(), CountyFactory.create()
    other = UserFactory.create(city_office=True)
    _escalate(office, a, 3)
    _escalate(office, b, 2)
    _escalate(other, a, 1)
    # when the office marks county A's escalations read (a plain form: redirect after POST)
    response = _client(office).post(
        "/inbox/mark-read/",
        {"kind": "deadline.escalation", "subject_type": "arrears.county", "subject_id": a.pk},
    )
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    # then only that group is read, and nobody else's
    unread = Notification.objects.filter(read_at__isnull=True)
    assert sorted((n.recipient_id, n.subject_id) for n in unread) == sorted(
        [(office.pk, str(b.pk))] * 2 + [(other.pk, str(a.pk))]
    )


def test_mark_a_group_read_with_htmx(office: Any) -> None:
    a = CountyFactory.create()
    _escalate(office, a, 2)
    response = _client(office).post(
        "/inbox/mark-read/",
        {"kind": "deadline.escalation", "subject_type": "arrears.county", "subject_id": a.pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="inbox-group"' in html  # the group's row, redrawn
    assert "未读 0 / 共 2 条" in html
    assert 'hx-swap-oob="outerHTML:#unread-badge"' in html  # and the badge
    assert selectors.unread_count(user=office) == 0


def test_mark_a_whole_kind_read(office: Any) -> None:
    a, b = CountyFactory.create(), CountyFactory.create()
    _escalate(office, a, 2)
    _escalate(office, b, 2)
    _escalate(office, a, 1, kind="deadline.reminder")
    response = _client(office).post(
        "/inbox/mark-read/",
        {"kind": "deadline.escalation", "subject_type": "arrears.county", "next": "/inbox/all/"},
    )
    assert response["Location"] == "/inbox/all/"
    assert list(
        Notification.objects.filter(read_at__isnull=True).values_list("kind", flat=True)
    ) == ["deadline.reminder"]


def test_redirect_stays_in_the_inbox(office: Any) -> None:
    response = _client(office).post("/inbox/mark-read/", {"next": "https://evil.example/"})
    assert response["Location"] == "/inbox/"


def test_the_page_shows_groups_summary_and_links(office: Any) -> None:
    a = CountyFactory.create()
    _escalate(office, a, 3)
    # an escalation about a case: its kind's summary leads to the overdue cases
    Notification.objects.create(
        recipient=office,
        kind="deadline.escalation",
        title="已逾期（第1级督办）：某案件",
        url="/cases/1/",
        subject_type="complaints.case",
        subject_id="1",
    )
    client = _client(office)
    html = client.get("/inbox/").content.decode()
    assert html.count('data-testid="inbox-group"') == 2
    assert "未读 3 / 共 3 条" in html
    assert "1 个事项，1 条未读，共 1 条" in html
    assert "/reports/rows/?subset=overdue" in html
    assert client.get("/reports/rows/?subset=overdue").status_code == 200
    # the filtered list of one group, and the flat list of all
    query = f"kind=deadline.escalation&subject_type=arrears.county&subject_id={a.pk}"
    assert f"/inbox/all/?{query}".replace("&", "&amp;") in html
    one = client.get(f"/inbox/all/?{query}").content.decode()
    assert one.count("已逾期：") == 3 and "某案件" not in one
    everything = client.get("/inbox/all/").content.decode()
    assert "某案件" in everything and everything.count("已逾期：") == 3


def test_grouped_inbox_takes_a_constant_number_of_queries(office: Any) -> None:
    def queries() -> int:
        client = _client(office)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/inbox/").status_code == 200
        return len(captured)

    _escalate(office, CountyFactory.create(), 2)
    queries()  # warms per-process caches (configuration, content types)
    few = queries()
    for _ in range(12):
        _escalate(office, CountyFactory.create(), 3)
        _escalate(office, CountyFactory.create(), 1, kind="deadline.reminder")
    assert queries() == few


def test_digests_are_not_listed(office: Any) -> None:
    services.notification_send(recipients=[office], kind="notifications.digest", title="汇总")
    assert not selectors.inbox_group_rows(selectors.inbox_groups(user=office))
    assert not selectors.notifications_for(user=office).exists()
