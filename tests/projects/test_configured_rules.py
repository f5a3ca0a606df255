"""The warning rules' months and levels, the deposit record's window and the "5+3" sets are
configuration: the defaults are the rules as they were, and changing a value changes the
outcome."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from arrears import config
from arrears.models import Role
from arrears.services import config_set
from complaints.models import Case
from projects import selectors, services
from projects.models import (
    CHECKLIST,
    CORE_ITEMS,
    Employer,
    Inspection,
    Project,
    ProjectParty,
    Warning,
    checked_items,
    core_items,
)
from tests.factories import CityFactory, UserFactory

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates

TODAY = dt.date(2026, 11, 15)  # the last complete months are October, September, August


def _unpaid(project: Project, *months: dt.date) -> None:
    for month in months:
        services.wage_record_save(
            project=project,
            month=month,
            labour_cost_paid_in=Decimal("250000"),
            workers_on_roll=100,
            workers_paid=100,
            amount_paid=Decimal("0"),
        )


def _open(project: Project) -> dict[str, str]:
    rows = Warning.objects.filter(project=project, state="open").values_list("rule", "level")
    return dict(rows)


# --- Warning rules -------------------------------------------------------------------------


def test_three_consecutive_months_configured_no_warning_after_two(project: Project) -> None:
    # given: September and October unpaid (a warning by default)
    _unpaid(project, dt.date(2026, 9, 1), dt.date(2026, 10, 1))
    services.warnings_evaluate(today=TODAY)
    assert _open(project)["no_wages_2m"] == "red"
    # when: the city asks for three months
    config_set(key="warnings.no_wages_months", value=3, city=project.county.city)
    services.warnings_evaluate(today=TODAY)
    # then: two are not enough (the open warning closes) …
    assert "no_wages_2m" not in _open(project)
    # … and August unpaid as well makes three
    _unpaid(project, dt.date(2026, 8, 1))
    services.warnings_evaluate(today=TODAY)
    warning = Warning.objects.get(project=project, rule="no_wages_2m", state="open")
    assert "2026-08、2026-09、2026-10 连续 3 个月" in warning.detail


def test_one_month_configured_warns_on_the_first_unpaid_month(project: Project) -> None:
    _unpaid(project, dt.date(2026, 10, 1))
    services.warnings_evaluate(today=TODAY)
    assert "no_wages_2m" not in _open(project)
    config_set(key="warnings.no_wages_months", value=1)
    services.warnings_evaluate(today=TODAY)
    assert "no_wages_2m" in _open(project)


def test_the_months_are_counted_from_the_project_start(project: Project) -> None:
    # A project started in September cannot have three months without wages by November.
    Project.objects.filter(pk=project.pk).update(start_date=dt.date(2026, 9, 1))
    project.refresh_from_db()
    config_set(key="warnings.no_wages_months", value=3)
    _unpaid(project, dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1))
    services.warnings_evaluate(today=TODAY)
    assert "no_wages_2m" not in _open(project)


def test_levels_are_the_citys_configuration(project: Project) -> None:
    # given: 99 of 100 paid in October: a yellow warning by default
    services.wage_record_save(
        project=project,
        month=dt.date(2026, 10, 1),
        labour_cost_paid_in=Decimal("250000"),
        workers_on_roll=100,
        workers_paid=99,
        amount_paid=Decimal("297000"),
    )
    services.warnings_evaluate(today=TODAY)
    assert _open(project) == {"fewer_paid": "yellow"}
    # when: another city makes it red, then the project's own city
    other = CityFactory.create(code="369800")
    config_set(key="warnings.level.fewer_paid", value="red", city=other)
    Warning.objects.filter(project=project).delete()
    services.warnings_evaluate(today=TODAY)
    assert _open(project) == {"fewer_paid": "yellow"}
    config_set(key="warnings.level.fewer_paid", value="red", city=project.county.city)
    Warning.objects.filter(project=project).delete()
    services.warnings_evaluate(today=TODAY)
    # then
    assert _open(project) == {"fewer_paid": "red"}


def test_no_wages_can_be_yellow_and_an_expired_deposit_yellow(project: Project) -> None:
    config_set(key="warnings.level.no_wages", value="yellow")
    config_set(key="warnings.level.deposit_expired", value="yellow")
    _unpaid(project, dt.date(2026, 9, 1), dt.date(2026, 10, 1))
    services.checklist_set(
        project=project,
        item="deposit",
        state="compliant",
        user=UserFactory.create(role=Role.INSPECTOR),
        verified_on=dt.date(2026, 11, 1),
        expires_on=TODAY - dt.timedelta(days=1),
    )
    services.warnings_evaluate(today=TODAY)
    found = _open(project)
    assert (found["no_wages_2m"], found["deposit_expiring"]) == ("yellow", "yellow")


def test_a_level_must_be_red_or_yellow(db: Any) -> None:
    with pytest.raises(ValidationError):
        config_set(key="warnings.level.no_wages", value="orange")
    with pytest.raises(ValidationError):
        config_set(key="warnings.level.no_wages", value="")
    assert config_set(key="warnings.level.no_wages", value=" yellow ") == "yellow"


# --- The deposit's record ----------------------------------------------------------------


def test_the_deposit_record_window_is_configuration(project: Project) -> None:
    contractor = Employer.objects.create(
        name="江城建工集团有限公司", credit_code="914403001922038216"
    )
    ProjectParty.objects.create(project=project, employer=contractor, role="general_contractor")
    assert project.department is not None
    case = Case.objects.create(
        county=project.county,
        department=project.department,
        owner=UserFactory.create(),
        employer_name=contractor.name,
        employer_credit_code=contractor.credit_code,
        workers_owed=3,
        amount_owed=Decimal("9000"),
    )
    # given: a case against the contractor 400 days before the day asked about
    Case.objects.filter(pk=case.pk).update(
        created_at=timezone.make_aware(dt.datetime(2025, 10, 11, 10))
    )
    # within two years: × 1.5
    assert services.required_deposit(project=project, today=TODAY) == (
        Decimal("360000.00"),
        "两年内有拖欠记录，提高比例",
    )
    # when: the city looks one year back only
    config_set(key="deposit.record_window_days", value=365, city=project.county.city)
    # then: the record is clean (× 0.5), and the reason says the window
    assert services.required_deposit(project=project, today=TODAY) == (
        Decimal("120000.00"),
        "365天内无拖欠记录，减免",
    )


# --- The "5+3" items -----------------------------------------------------------------------


def test_defaults_are_the_eight_items_and_the_five_core(db: Any) -> None:
    assert checked_items() == CHECKLIST
    assert core_items() == CORE_ITEMS


def test_item_lists_are_checked_against_the_known_items(db: Any) -> None:
    with pytest.raises(ValidationError):
        config_set(key="compliance.items", value="real_name,nonsense")
    with pytest.raises(ValidationError):
        config_set(key="compliance.core_items", value="real_name,real_name")
    with pytest.raises(ValidationError):
        config_set(key="compliance.core_items", value="")
    # 两金一牌 stays checked (a dashboard figure names its three items) …
    with pytest.raises(ValidationError, match="injury_insurance"):
        config_set(
            key="compliance.items",
            value="real_name,wage_account,bank_payment,deposit,monitoring,notice_board",
        )
    # … and so does every core item; a core item must be checked
    with pytest.raises(ValidationError, match="monitoring"):
        config_set(
            key="compliance.items",
            value="real_name,wage_account,bank_payment,deposit,notice_board,injury_insurance",
        )
    config_set(key="compliance.core_items", value="real_name,wage_account,bank_payment,deposit")
    config_set(
        key="compliance.items",
        value="real_name, wage_account,bank_payment,deposit,notice_board,injury_insurance",
    )
    with pytest.raises(ValidationError, match="monitoring"):
        config_set(key="compliance.core_items", value="real_name,monitoring")
    assert [code for code, _label in checked_items()] == [
        "real_name",
        "wage_account",
        "bank_payment",
        "deposit",
        "notice_board",
        "injury_insurance",
    ]
    # A province-wide setting: coverage stays comparable between cities.
    with pytest.raises(ValidationError):
        config_set(key="compliance.items", value="real_name", city=CityFactory.create())
    # (the home city: any city is refused)


def _without_monitoring_and_contracts() -> None:
    config_set(key="compliance.core_items", value="real_name,wage_account,bank_payment,deposit")
    config_set(
        key="compliance.items",
        value="real_name,wage_account,bank_payment,deposit,notice_board,injury_insurance",
    )


def test_coverage_follows_the_configured_sets(project: Project) -> None:
    officer = UserFactory.create(city_office=True)
    for item in ["real_name", "wage_account", "bank_payment", "deposit"]:
        services.checklist_set(project=project, item=item, state="compliant", user=officer)
    # by default the monitoring system is core and missing: not covered
    (row,) = selectors.coverage(user=officer)
    assert row["core_rate"] == Decimal("0.0")
    assert set(row["items"]) == {code for code, _label in CHECKLIST}
    # when monitoring is neither checked nor core
    _without_monitoring_and_contracts()
    (row,) = selectors.coverage(user=officer)
    # then the four core items make the project covered, and the items not checked are gone
    assert row["core_rate"] == Decimal("100.0")
    assert "monitoring" not in row["items"] and "contracts" not in row["items"]
    assert row["items"]["deposit"] == Decimal("100.0")


def test_items_not_checked_are_refused_and_not_shown(
    project: Project, calendar_2026: None, client: Client
) -> None:
    inspector = UserFactory.create(
        role=Role.INSPECTOR, county=project.county, department=project.department
    )
    _without_monitoring_and_contracts()
    with pytest.raises(ValidationError):
        services.checklist_set(
            project=project, item="monitoring", state="compliant", user=inspector
        )
    with pytest.raises(ValidationError):
        services.inspection_record(
            project=project,
            inspector=inspector,
            inspected_on=dt.date(2026, 9, 29),
            findings=[{"item": "contracts", "description": "未签劳动合同"}],
        )
    assert Inspection.objects.count() == 0
    # the project page and the inspection form offer the checked items only
    client.force_login(inspector)
    page = client.get(reverse("project-page", args=[project.pk])).content.decode()
    assert "工资银行代发" in page and "接入工资支付监控信息系统" not in page
    assert "劳动合同" not in page
    form = client.get(reverse("inspection-new", args=[project.pk])).content.decode()
    assert 'value="deposit"' in form and 'value="monitoring"' not in form
    # and the list's coverage header counts four core systems
    listing = client.get(reverse("project-list")).content.decode()
    assert "4项核心制度全部落实" in listing


def test_a_rectification_is_verified_after_its_item_was_taken_out(
    project: Project, calendar_2026: None
) -> None:
    inspector = UserFactory.create(
        role=Role.INSPECTOR, county=project.county, department=project.department
    )
    inspection = services.inspection_record(
        project=project,
        inspector=inspector,
        inspected_on=dt.date(2026, 9, 29),
        findings=[{"item": "monitoring", "description": "未接入监控系统"}],
    )
    _without_monitoring_and_contracts()
    order = inspection.findings.get().rectification
    services.rectification_verify(order=order, user=inspector, rectified=True, note="已接入")
    assert project.checklist.get(item="monitoring").state == "compliant"


def test_config_cache_is_per_process_and_forgotten_on_change(db: Any) -> None:
    """A change reaches this process at once (config_set forgets the cache)."""
    assert config.get("warnings.no_wages_months") == 2
    config_set(key="warnings.no_wages_months", value=4)
    assert config.get("warnings.no_wages_months") == 4


def test_the_checklist_api_lists_and_accepts_the_checked_items_only(project: Project) -> None:
    inspector = UserFactory.create(
        role=Role.INSPECTOR, county=project.county, department=project.department
    )
    api = APIClient()
    api.force_authenticate(inspector)
    url = f"/api/v1/projects/{project.pk}/checklist/"
    _without_monitoring_and_contracts()
    listed = [row["item"] for row in api.get(url).json()]
    assert "monitoring" not in listed and len(listed) == 6
    refused = api.post(url, {"item": "monitoring", "state": "compliant"}, format="json")
    assert (
        refused.status_code == 422
    )  # well-formed, refused by the rules (arrears/api/exceptions.py)
    assert "核查范围" in refused.content.decode()
