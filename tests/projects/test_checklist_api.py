"""The checklist through the API: read the eight items (account masked), record a
verification by the caller, scoped, with 400 / 403 / 404 / 409 as documented."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from arrears.models import Department, DepartmentKind, Role, User
from projects.models import ChecklistItem, Project
from tests.factories import UserFactory

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def inspector(project: Project) -> User:
    return User.objects.get(department=project.department)


def test_read_the_checklist_with_the_account_masked(project: Project, inspector: User) -> None:
    ChecklistItem.objects.create(
        project=project,
        item="wage_account",
        state="compliant",
        verified_on=dt.date(2026, 3, 2),
        verified_by=inspector,
        facts={"bank": "工商银行", "account": "6222021234567890123"},
    )
    response = _api(inspector).get(f"/api/v1/projects/{project.pk}/checklist/")
    assert response.status_code == 200
    rows = {row["item"]: row for row in response.json()}
    assert len(rows) == 8 and rows["real_name"]["state"] == "unknown"
    account = rows["wage_account"]
    assert account["state"] == "compliant" and account["facts"]["bank"] == "工商银行"
    assert account["facts"]["account"].endswith("0123")
    assert "6222021234567890123" not in response.content.decode()


def test_record_a_verification(project: Project, inspector: User) -> None:
    url = f"/api/v1/projects/{project.pk}/checklist/"
    response = _api(inspector).post(
        url,
        {
            "item": "deposit",
            "state": "compliant",
            "evidence": "银行保函",
            "verified_on": "2026-10-08",
            "amount": "240000.00",
            "expires_on": "2027-06-30",
            "issuer": "建设银行",
            "form": "保函",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    entry = ChecklistItem.objects.get(project=project, item="deposit")
    assert (entry.state, entry.verified_by, entry.verified_on) == (
        "compliant",
        inspector,
        dt.date(2026, 10, 8),
    )
    assert entry.facts == {"issuer": "建设银行", "form": "保函"}
    assert response.json()["verified_by"] == str(inspector)
    # without a date it is today's
    _api(inspector).post(url, {"item": "real_name", "state": "not_applicable"}, format="json")
    assert ChecklistItem.objects.get(item="real_name").verified_on == timezone.localdate()


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        ({"item": "nonsense", "state": "compliant"}, "item", None),
        ({"item": "deposit", "state": "unknown"}, "state", None),
        (
            {"item": "deposit", "state": "compliant", "verified_on": "2999-01-01"},
            "verified_on",
            "不能晚于今天",
        ),
        ({"item": "deposit", "state": "compliant", "amount": "-1"}, "amount", "不能为负数"),
        (
            {"item": "deposit", "state": "compliant", "verified_on": "yesterday"},
            "verified_on",
            None,
        ),
    ],
)
def test_bad_input_is_a_400_in_chinese(
    project: Project, inspector: User, body: dict[str, Any], field: str, text: str | None
) -> None:
    response = _api(inspector).post(
        f"/api/v1/projects/{project.pk}/checklist/",
        body,
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    # A malformed body is a 400; a well-formed one the service refuses (a date after today,
    # a negative amount: the cases with a text) a 422.
    assert response.status_code == (422 if text else 400)
    assert field in response.json()
    if text:
        assert text in str(response.json()[field])
    assert not ChecklistItem.objects.exists()


def test_an_older_verification_does_not_overwrite_a_newer_one(
    project: Project, inspector: User
) -> None:
    url = f"/api/v1/projects/{project.pk}/checklist/"
    api = _api(inspector)
    body = {"item": "contracts", "state": "compliant", "verified_on": "2026-10-08"}
    assert api.post(url, body, format="json").status_code == 200
    stale = {"item": "contracts", "state": "not_compliant", "verified_on": "2026-10-01"}
    response = api.post(url, stale, format="json")
    assert response.status_code == 409
    assert "不能以更早的日期覆盖" in response.json()["detail"]
    assert ChecklistItem.objects.get(item="contracts").state == "compliant"


def test_scope_and_role(project: Project, inspector: User) -> None:
    url = f"/api/v1/projects/{project.pk}/checklist/"
    # the HRSS inspector of the same county: another department's project
    hrss = Department.objects.get(county=project.county, kind=DepartmentKind.HRSS)
    outsider = UserFactory.create(role=Role.INSPECTOR, county=project.county, department=hrss)
    assert _api(outsider).get(url).status_code == 404
    body = {"item": "contracts", "state": "compliant"}
    assert _api(outsider).post(url, body, format="json").status_code == 404
    # the county's official sees it but does not verify
    official = UserFactory.create(role=Role.COUNTY_OFFICIAL, county=project.county)
    assert _api(official).get(url).status_code == 200
    assert _api(official).post(url, body, format="json").status_code == 403
    assert not ChecklistItem.objects.exists()
