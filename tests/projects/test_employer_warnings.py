"""An employer's warnings across its projects: on its page, in the queue and in the API, each
scoped by for_user."""

from __future__ import annotations

import re

from django.test import Client
from rest_framework.test import APIClient

from projects.models import Project, ProjectParty, Warning
from tests.projects.conftest import Employers


def _warning(project: Project, rule: str = "no_wages_2m") -> Warning:
    return Warning.objects.create(
        project=project,
        rule=rule,
        level="red",
        county=project.county,
        department=project.department,
        detail=f"{project.code} 连续两个月未发放工资",
    )


def test_an_employers_warnings_across_its_projects_scoped(
    project: Project, employers: Employers
) -> None:
    elsewhere = Project.objects.get(code="XM-2")  # another county
    ProjectParty.objects.create(project=elsewhere, employer=employers.ours, role="subcontractor")
    # Two roles on one project must not list its warning twice.
    ProjectParty.objects.create(project=project, employer=employers.ours, role="builder")
    here, there = _warning(project), _warning(elsewhere)
    unrelated = Project.objects.create(
        code="XM-3", name="无关项目", county=project.county, industry=project.industry
    )
    _warning(unrelated)

    city = Client()
    city.force_login(employers.city_office)
    page = city.get(f"/employers/{employers.ours.pk}/").content.decode()
    assert "XM-1 连续" in page and "XM-2 连续" in page and "XM-3 连续" not in page
    queue = city.get(f"/warnings/?employer={employers.ours.pk}").content.decode()
    assert f'data-testid="warning-{here.pk}"' in queue
    assert f'data-testid="warning-{there.pk}"' in queue
    assert len(re.findall(r'data-testid="warning-\d+"', queue)) == 2
    assert 'data-testid="warning-employer"' in queue

    # The county's inspector sees only the county's warning of the same employer.
    local = Client()
    local.force_login(employers.inspector)
    page = local.get(f"/employers/{employers.ours.pk}/").content.decode()
    assert "XM-1 连续" in page and "XM-2 连续" not in page
    queue = local.get(f"/warnings/?employer={employers.ours.pk}").content.decode()
    assert f'data-testid="warning-{here.pk}"' in queue
    assert f'data-testid="warning-{there.pk}"' not in queue
    # An employer outside their scope is not there at all.
    assert local.get(f"/warnings/?employer={employers.theirs.pk}").status_code == 404

    api = APIClient()
    api.force_authenticate(employers.city_office)
    body = api.get(f"/api/v1/warnings/?employer={employers.ours.pk}").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert sorted(r["id"] for r in rows) == sorted([here.pk, there.pk])
    api.force_authenticate(employers.inspector)
    body = api.get(f"/api/v1/warnings/?employer={employers.ours.pk}").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [r["id"] for r in rows] == [here.pk]
