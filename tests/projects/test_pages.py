"""Project pages: list with coverage, the project page, the warning queue and disposition."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.test import Client
from rest_framework.test import APIClient

from arrears.models import Role
from complaints.integration.api_keys import api_key_issue
from complaints.models import IntegrationClient
from projects import services
from projects.models import Project, Warning
from tests.factories import UserFactory


def test_project_pages_and_warning_disposition(project: Project) -> None:
    inspector = UserFactory.create(
        role=Role.INSPECTOR, county=project.county, department=project.department
    )
    services.wage_record_save(
        project=project,
        month=dt.date(2026, 10, 1),
        labour_cost_paid_in=Decimal("250000"),
        workers_on_roll=100,
        workers_paid=90,
        amount_paid=Decimal("270000"),
    )
    services.warnings_evaluate(today=dt.date(2026, 11, 15))
    web = Client()
    web.force_login(inspector)
    listing = web.get("/projects/").content.decode()
    assert project.name in listing and 'data-testid="coverage"' in listing
    page = web.get(f"/projects/{project.pk}/").content.decode()
    assert "发放人数少于考勤人数" in page
    queue = web.get("/warnings/").content.decode()
    warning = Warning.objects.get(project=project, rule="fewer_paid")
    assert f"warning-{warning.pk}" in queue
    web.post(f"/warnings/{warning.pk}/dispose/", {"disposition": "interview", "note": ""})
    assert Warning.objects.get(pk=warning.pk).state == "open"  # a note is required
    web.post(
        f"/warnings/{warning.pk}/dispose/",
        {"disposition": "interview", "note": "约谈劳务分包负责人"},
    )
    warning.refresh_from_db()
    assert (warning.state, warning.disposition) == ("resolved", "interview")


def test_other_departments_do_not_see_the_project(project: Project, db: Any) -> None:
    outsider = UserFactory.create(role=Role.INSPECTOR)
    web = Client()
    web.force_login(outsider)
    assert web.get(f"/projects/{project.pk}/").status_code == 404


def test_wage_records_through_the_api(project: Project) -> None:
    machine = UserFactory.create(role=Role.INTEGRATION_CLIENT, username="bank")
    client = IntegrationClient.objects.create(user=machine, name="代发银行", channel="inspection")
    bank = APIClient()
    bank.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_issue(client=client)}")
    body = {
        "project": project.code,
        "month": "2026-10-01",
        "labour_cost_paid_in": "250000",
        "workers_on_roll": 100,
        "workers_paid": 100,
        "amount_paid": "300000",
    }
    assert bank.post("/api/v1/wage-records/", body, format="json").status_code == 201
    body["workers_paid"] = 98  # a correction for the same month updates it
    assert bank.post("/api/v1/wage-records/", body, format="json").status_code == 201
    record = project.wage_records.get()
    assert (record.workers_paid, record.source) == (98, "api:bank")
    bad = {**body, "month": "2099-01-01"}
    assert bank.post("/api/v1/wage-records/", bad, format="json").status_code == 422
    # staff outside the project's scope cannot enter records for it
    outsider = APIClient()
    outsider.force_authenticate(UserFactory.create(role=Role.INSPECTOR))
    assert outsider.post("/api/v1/wage-records/", body, format="json").status_code == 422


def test_checklist_verification_from_the_project_page(project: Project) -> None:
    inspector = UserFactory.create(
        role=Role.INSPECTOR, county=project.county, department=project.department
    )
    web = Client()
    web.force_login(inspector)
    web.post(
        f"/projects/{project.pk}/checklist/",
        {
            "item": "wage_account",
            "state": "compliant",
            "bank": "江城农商银行",
            "account": "6228480012345678",
            "evidence": "查验开户许可证",
        },
    )
    item = project.checklist.get(item="wage_account")
    assert (item.state, item.verified_by, item.facts["bank"]) == (
        "compliant",
        inspector,
        "江城农商银行",
    )
    page = web.get(f"/projects/{project.pk}/").content.decode()
    assert "6228480012345678" not in page and "5678" in page  # shown masked
    response = web.post(
        f"/projects/{project.pk}/checklist/",
        {"item": "deposit", "state": "compliant", "amount": "abc"},
        follow=True,
    )
    assert "金额或日期格式不正确" in response.content.decode()
    assert not project.checklist.filter(item="deposit").exists()
