"""The API of the shared building blocks, and the OpenAPI schema kept in docs/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import yaml
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.backends.postgresql import base as pg_base
from django.db.backends.sqlite3 import base as sqlite_base
from rest_framework.test import APIClient

from arrears.models import Notification
from tests.conftest import TwoCounties

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates


@pytest.fixture
def api(two_counties: TwoCounties) -> APIClient:
    client = APIClient()
    client.force_authenticate(two_counties.official_a)
    return client


def test_calendar_endpoints(api: APIClient, calendar_2026: None) -> None:
    r = api.get("/api/v1/calendar/add-working-days/", {"date": "2026-09-28", "days": "3"})
    assert r.status_code == 200
    assert r.json() == {"date": "2026-10-08", "provisional": False}
    r = api.get(
        "/api/v1/calendar/working-days-between/", {"start": "2026-02-12", "end": "2026-02-24"}
    )
    assert r.json() == {"working_days": 3, "provisional": False}
    r = api.get("/api/v1/calendar/is-working-day/", {"date": "2026-02-14"})
    assert r.json() == {
        "date": "2026-02-14",
        "is_working_day": True,
        "end_of_working_day": "2026-02-14T17:30:00+08:00",
        "provisional": False,
    }
    r = api.get("/api/v1/calendar/add-working-days/", {"date": "2026-12-28", "days": "5"})
    assert r.json()["provisional"] is True


@pytest.mark.parametrize(
    ("params", "field", "status"),
    [
        ({"date": "2026-02-30", "days": "1"}, "date", 400),
        ({"date": "2026-02-01"}, "days", 400),
        ({"date": "2026-02-01", "days": "x"}, "days", 400),
        # Well-formed, outside the calendar: refused by the data, not malformed.
        ({"date": "1990-01-01", "days": "1"}, None, 422),
    ],
)
def test_bad_calendar_input_is_refused_in_chinese(
    api: APIClient, params: dict[str, str], field: str | None, status: int, calendar_2026: None
) -> None:
    r = api.get("/api/v1/calendar/add-working-days/", params, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == status
    if field:
        assert field in r.json()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(r.json()[field]))


def test_english_on_request(api: APIClient) -> None:
    r = api.get(
        "/api/v1/calendar/add-working-days/", {"date": "x", "days": "1"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert r.status_code == 400
    assert "Date has wrong format" in r.json()["date"][0]


def test_me_masks_the_phone(two_counties: TwoCounties) -> None:
    user = two_counties.official_a
    user.phone = "13812345678"
    user.save()
    client = APIClient()
    client.force_authenticate(user)
    body = client.get("/api/v1/me/").json()
    assert body["phone"] == "138****5678"
    assert body["county"]["code"] == two_counties.a.code
    assert body["role"] == "county_official"


def test_notifications_are_per_user_and_mark_read(
    api: APIClient, two_counties: TwoCounties
) -> None:
    mine = Notification.objects.create(recipient=two_counties.official_a, kind="k", title="甲")
    Notification.objects.create(recipient=two_counties.official_b, kind="k", title="乙")
    r = api.get("/api/v1/notifications/")
    assert [n["title"] for n in r.json()["results"]] == ["甲"]
    r = api.post("/api/v1/notifications/mark-read/", {"ids": [mine.pk]}, format="json")
    assert r.json() == {"marked": 1}
    assert api.get("/api/v1/notifications/", {"read_at__isnull": "true"}).json()["results"] == []


def test_committed_openapi_schema_is_current(tmp_path: Path) -> None:
    """docs/openapi.yaml must be regenerated (`make schema`) whenever the API changes."""

    out = tmp_path / "openapi.yaml"
    # Generated as `make schema` does, in a fresh interpreter and the site's language: within a
    # long test session the labels a serializer field gets can be evaluated under another
    # language (drf-spectacular then leaves out a title whose label reads like the field name).
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(  # noqa: S603 - this interpreter, this project's manage.py
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--lang",
            "zh-hans",
            "--file",
            str(out),
            "--validate",
            "--fail-on-warn",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    committed = root / "docs" / "openapi.yaml"
    assert yaml.safe_load(out.read_text()) == yaml.safe_load(committed.read_text())


def test_schema_does_not_depend_on_the_database_backend(tmp_path: Path) -> None:
    """Integer bounds derived from columns differ between SQLite and PostgreSQL; the committed
    schema must come out the same from either (declare such fields explicitly)."""

    # Through each backend's base module: importing an operations module first is circular.

    Pg = pg_base.DatabaseWrapper.ops_class
    Lite = sqlite_base.DatabaseWrapper.ops_class

    def forget_validators() -> None:
        # Field.validators is cached per field; the bounds come from the backend in force.
        for model in apps.get_models():
            for field in model._meta.get_fields():
                field.__dict__.pop("validators", None)

    outputs = []
    try:
        for backend in (Pg, Lite):
            out = tmp_path / "schema.yaml"
            forget_validators()
            bounds = backend.integer_field_range.__get__(connection.ops)
            with mock.patch.object(connection.ops, "integer_field_range", bounds):
                call_command("spectacular", "--file", str(out))
            outputs.append(yaml.safe_load(out.read_text()))
    finally:
        forget_validators()
    assert outputs[0] == outputs[1]
