"""The home page's figures ("what do I do today", reporting/today.py): each role sees its own
figures, each number equals the list it links to, and the page costs a bounded number of
queries whatever the size of the city."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from arrears.models import User
from complaints.intake import selectors as complaints
from projects import selectors as projects
from reporting import today

# Queries of the whole home page (session, user, the shell's badge and scope, the calendar,
# one per figure, the messages) — a constant, not a count of rows.
MAX_QUERIES = 40

ROLE_FIGURES = {
    "cityoffice": {"to-dispatch", "extensions", "warnings", "kf-open", "kf-overdue"},
    "leader": {"kf-open", "kf-overdue", "kf-received", "kf-recovered"},
    "county": {"extensions", "warnings", "kf-open", "kf-overdue"},
    "dept": {"to-sign", "mine-overdue", "mine-today", "mine-soon", "extensions", "warnings"},
    "inspector": {"to-sign", "mine-open", "mine-overdue", "warnings"},
    "duty": {"registered-today"},
}


@pytest.fixture(scope="module")
def _seeded_for_the_module(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo city once for this module's tests (seconds of work each time): seeded in a
    transaction of its own, which each test's transaction sits in as a savepoint and rolls
    back to, and which is rolled back after the module's last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_for_the_module: None, db: None) -> None:
    """The demo city, as `make run` seeds it (tasks queued on commit are not run)."""


def _figures(html: str) -> dict[str, tuple[str, str]]:
    """figure testid -> (link, value) as the page shows them."""
    found = re.findall(
        r'href="([^"]*)" data-testid="figure-([\w-]+)">.*?data-testid="value-[\w-]+">([^<]*)<',
        html,
        re.S,
    )
    return {name: (href.replace("&amp;", "&"), value) for href, name, value in found}


def test_each_role_sees_its_figures_within_a_constant_number_of_queries(
    client: Any, seeded: None
) -> None:
    for username, expected in ROLE_FIGURES.items():
        # given
        client.force_login(User.objects.get(username=username))
        # when
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/")
        # then
        assert response.status_code == 200
        assert len(queries) <= MAX_QUERIES, (username, len(queries))
        shown = _figures(response.content.decode())
        assert expected <= set(shown), (username, sorted(shown))
        client.logout()


def test_the_numbers_equal_the_lists_they_link_to(client: Any, seeded: None) -> None:
    dept = User.objects.get(username="dept")
    client.force_login(dept)
    shown = _figures(client.get("/").content.decode())
    assert shown["to-sign"] == ("/intake/inbox/", str(complaints.intake_inbox(user=dept).count()))
    assert shown["warnings"] == ("/warnings/", str(projects.warning_queue(user=dept).count()))

    # The county's overdue cases: the drill-down page lists as many rows as the figure says.
    county = User.objects.get(username="county")
    client.force_login(county)
    link, value = _figures(client.get("/").content.decode())["kf-overdue"]
    rows = client.get(link)
    assert rows.status_code == 200
    assert (rows.context["count"], rows.context["count_more"]) == (int(value), False)


def test_a_county_official_sees_only_the_county(client: Any, seeded: None) -> None:
    county = User.objects.get(username="county")
    client.force_login(county)
    body = client.get("/").content.decode()
    assert f"{county.county.name}概况" in body
    assert "全市概况" not in body


@pytest.mark.parametrize("username", ["leader", "county", "cityoffice"])
def test_the_key_figures_from_the_facts_equal_the_live_counts(
    client: Any, seeded: None, settings: Any, monkeypatch: pytest.MonkeyPatch, username: str
) -> None:
    """On PostgreSQL the key figures are read from the dashboards' facts (a province's home
    page counted ten million complaints live on every visit); the live counts stay for
    SQLite. Both give the same numbers and links."""
    read: list[Any] = []
    monkeypatch.setattr(today, "_key_counts_from_facts", _spy(today._key_counts_from_facts, read))
    client.force_login(User.objects.get(username=username))
    from_facts = _figures(client.get("/").content.decode())
    assert read, "the facts were not read"
    settings.REPORTING_FACTS = False
    live = _figures(client.get("/").content.decode())
    key = {name: shown for name, shown in live.items() if name.startswith("kf-")}
    assert key and {name: from_facts[name] for name in key} == key
    assert any(value not in ("0", "0.00") for _link, value in key.values())


def _spy(function: Any, calls: list[Any]) -> Any:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return function(*args, **kwargs)

    return wrapped
