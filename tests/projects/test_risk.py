"""Risk scoring: each factor's contribution adds up to the score, only what was known by the
day counts, the validation's measures and its reproducibility from a seed, the campaign's
list drawn by risk with its random share (双随机), and the pages that show the score."""

from __future__ import annotations

import datetime as dt
import os
import random
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from arrears import config
from arrears.models import ConfigValue, Role, User
from complaints.models import Complaint
from projects import risk, risk_selectors, risk_validation, services
from projects.models import (
    Campaign,
    ChecklistItem,
    DrawnProject,
    Employer,
    EmployerListing,
    MonthlyWageRecord,
    Project,
    ProjectParty,
)
from tests.conftest import TwoCities
from tests.factories import UserFactory

TZ = ZoneInfo("Asia/Shanghai")
WEIGHTS = {f.code: Decimal(f.default_weight) for f in risk.FACTORS}


def _at(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(10), tzinfo=TZ)


def _history() -> risk.ProjectHistory:
    """A project with a bit of everything, some of it after 2026-06-30."""
    return risk.ProjectHistory(
        pk=1,
        start_date=dt.date(2025, 3, 1),
        investment_type="private",
        contract_value=Decimal("150000000"),
        labour_cost_share=Decimal("15"),
        employer_ids=(10, 11),
        contractor_ids=(10,),
        complaints=[
            (_at("2026-05-02"), Decimal("250000")),
            (_at("2026-06-30"), Decimal("60000")),
            (_at("2026-07-01"), Decimal("900000")),  # the next day: not known yet
            (_at("2025-05-01"), Decimal("10000")),  # over a year before
        ],
        warnings=[(_at("2026-06-01"), "red"), (_at("2026-04-01"), "yellow")],
        findings=[dt.date(2026, 3, 3), dt.date(2026, 3, 3), dt.date(2026, 8, 1)],
        orders=[
            (dt.date(2026, 3, 3), _at("2026-03-06"), None),  # still running: overdue
            (dt.date(2026, 3, 3), _at("2026-03-06"), _at("2026-03-05")),  # met
        ],
        wages=[
            risk.WageMonth(dt.date(2026, 5, 1), _at("2026-06-05"), 50, 0, Decimal(0)),
            risk.WageMonth(dt.date(2026, 4, 1), _at("2026-05-05"), 50, 48, Decimal(300000)),
            risk.WageMonth(dt.date(2026, 3, 1), _at("2026-04-05"), 50, 50, Decimal(50000)),
            # June's record came in on 5 July: not known on 30 June
            risk.WageMonth(dt.date(2026, 6, 1), _at("2026-07-05"), 50, 0, Decimal(0)),
        ],
        deposit=("not_compliant", dt.date(2025, 3, 20)),
    )


def _context() -> risk.Context:
    return risk.Context(
        listings=[
            risk.Listing(11, "dishonest", dt.date(2026, 1, 1), None, None),
            risk.Listing(10, "key_supervision", dt.date(2025, 1, 1), None, dt.date(2026, 2, 1)),
        ],
        contractor_complaints={
            10: {1: [_at("2026-01-01")], 2: [_at("2025-12-01")], 3: [_at("2023-01-01")]}
        },
    )


def test_the_counts_are_what_was_known_at_the_end_of_the_day() -> None:
    counts = risk.facts_as_of(_history(), dt.date(2026, 6, 30), _context(), TZ)

    assert counts["complaints"] == 2  # not 1 July's, not the one over a year old
    assert counts["complaint_amount"] == 3  # 310,000 yuan: three whole 100,000s
    assert (counts["warnings_red"], counts["warnings_yellow"]) == (1, 1)
    assert counts["findings"] == 2
    assert counts["overdue_orders"] == 1
    assert counts["unpaid_months"] == 1  # May; June's record was not in yet
    assert counts["fewer_paid_months"] == 1  # April
    assert counts["below_minimum_months"] == 1  # March: 1,000 yuan a head
    assert counts["dishonest"] == 1 and counts["key_supervision"] == 0  # removed in February
    assert counts["no_deposit"] == 1
    assert counts["private_investment"] == counts["low_labour_share"] == 1
    assert counts["large_contract"] == 1
    assert counts["contractor_record"] == 1  # project 2; 1 is itself, 3 too long ago

    # a day before the works' deposit check, nothing about the deposit was known
    early = risk.facts_as_of(_history(), dt.date(2025, 3, 19), _context(), TZ)
    assert early["no_deposit"] == 0 and early["complaints"] == 0


def test_each_contribution_adds_up_to_the_score_and_counts_are_capped() -> None:
    counts = risk.facts_as_of(_history(), dt.date(2026, 6, 30), _context(), TZ)
    counts["findings"] = 40  # far past its cap

    result = risk.score(counts, WEIGHTS)

    assert result.total == sum(c.points for c in result.contributions)
    by_code = {c.code: c for c in result.contributions}
    assert by_code["findings"].count == 40
    assert by_code["findings"].points == WEIGHTS["findings"] * risk.FACTOR_BY_CODE["findings"].cap
    assert [c.points for c in result.contributions] == sorted(
        (c.points for c in result.contributions), reverse=True
    )
    assert all(c.points > 0 for c in result.contributions)
    # a weight set to 0 takes its factor out
    assert "dishonest" not in {
        c.code for c in risk.score(counts, {**WEIGHTS, "dishonest": Decimal(0)}).contributions
    }


def test_roc_auc_and_precision_at_k_by_hand() -> None:
    labels = [True, False, True, False, False]
    # positives score 0.9 and 0.4, negatives 0.8, 0.4 and 0.1: of the 6 pairs, 0.9 wins 3,
    # 0.4 wins 1 and ties 1 (a half)
    assert risk.roc_auc([0.9, 0.8, 0.4, 0.4, 0.1], labels) == pytest.approx(4.5 / 6)
    assert risk.roc_auc([1, 0, 1, 0, 0], labels) == 1.0
    assert risk.roc_auc([1, 1, 1, 1, 1], labels) == 0.5
    assert risk.roc_auc([1, 2], [True, True]) is None
    rng = random.Random(1)
    assert risk.precision_at_k([0.9, 0.8, 0.4, 0.3, 0.1], labels, 2, rng) == 0.5
    assert risk.precision_at_k([0.9, 0.1, 0.8, 0.3, 0.1], labels, 2, rng) == 1.0


def _synthetic_city(seed: int, n: int = 60) -> list[risk.ProjectHistory]:
    """A small seeded history: projects with unpaid spells, complaints more likely after them."""
    rng = random.Random(seed)
    found = []
    for pk in range(1, n + 1):
        h = risk.ProjectHistory(pk=pk, start_date=dt.date(2025, 1, 1))
        h.investment_type = rng.choice(["private", "government"])
        prone = 2.0 if h.investment_type == "private" else 1.0
        for month in range(1, 19):
            first = dt.date(2025 + (month - 1) // 12, (month - 1) % 12 + 1, 1)
            unpaid = rng.random() < 0.08 * prone
            recorded = dt.datetime.combine(risk.month_end(first), dt.time(12), tzinfo=TZ)
            h.wages.append(
                risk.WageMonth(
                    first, recorded, 40, 0 if unpaid else 40, Decimal(0 if unpaid else 240000)
                )
            )
            if rng.random() < 0.1 * prone * (4 if unpaid else 1):
                h.complaints.append(
                    (recorded + dt.timedelta(days=rng.randint(1, 40)), Decimal(50000))
                )
        found.append(h)
    return found


def test_the_validation_is_reproducible_from_a_seed() -> None:
    ends = [risk.month_end(dt.date(2025, m, 1)) for m in range(6, 13)]

    def run(seed: int) -> list[risk.MonthResult]:
        return risk.evaluate(
            _synthetic_city(seed), risk.Context(), WEIGHTS, ends, tz=TZ, k=10, seed=seed
        )

    first, again = run(7), run(7)

    assert first == again
    assert [r.month_end for r in first] == ends
    assert all(0 < r.positives < r.projects for r in first)
    # the score recovers the seeded structure better than chance on average
    summary = risk_validation.summarise(first)
    assert summary.auc["risk"] is not None and summary.auc["risk"] > 0.55
    assert run(8) != first  # another seed, another city


@pytest.mark.dates  # the demo is seeded around today
def test_the_validation_on_the_seeded_city_is_reproducible(db: Any) -> None:
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", complaints=300, projects_per_county=3, stdout=quiet)
    office = User.objects.get(username="cityoffice")
    ends = risk_validation.month_ends(today=timezone.localdate(), months=4)

    first = risk_validation.validate(user=office, ends=ends, k=5, seed=3)
    again = risk_validation.validate(user=office, ends=ends, k=5, seed=3)

    assert risk_validation.as_rows(first) == risk_validation.as_rows(again)
    assert len(first) == 4 and all(r.projects > 0 for r in first)
    # each project's factors add up to its score, on seeded data too
    for result in risk_selectors.scores(
        Project.objects.all(), day=ends[-1], city=office.city_id
    ).values():
        assert result.total == sum(c.points for c in result.contributions)


# --- Against the database -----------------------------------------------------------------


@pytest.fixture
def risky(project: Project, calendar_2026: None) -> Project:
    """The fixture's project (in construction, 25 % labour share) with a complaint, a month
    unpaid, its deposit missing and a dishonest general contractor."""
    today = timezone.localdate()
    contractor = Employer.objects.create(
        name="江城建工集团有限公司", credit_code="914403001922038216"
    )
    ProjectParty.objects.create(project=project, employer=contractor, role="general_contractor")
    EmployerListing.objects.create(
        employer=contractor,
        kind="dishonest",
        reason="拖欠",
        listed_on=today - dt.timedelta(days=90),
    )
    Complaint.objects.create(
        tracking_no="RISKTEST22",
        channel="web_form",
        received_at=timezone.now() - dt.timedelta(days=20),
        complainant_name="张三",
        complainant_phone="13812345678",
        employer_name=contractor.name,
        project=project,
        county=project.county,
        city_id=project.county.city_id,
        workers_owed=3,
        amount_owed=Decimal("120000"),
        facts="未发工资",
    )
    last = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    MonthlyWageRecord.objects.create(
        project=project,
        month=last,
        workers_on_roll=30,
        workers_paid=0,
        amount_paid=0,
        recorded_at=timezone.now() - dt.timedelta(days=2),
    )
    ChecklistItem.objects.create(
        project=project,
        item="deposit",
        state="not_compliant",
        verified_on=today - dt.timedelta(days=5),
    )
    return project


def _web(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.dates
def test_the_project_and_employer_pages_show_the_score_and_its_factors(risky: Project) -> None:
    inspector = User.objects.get(department=risky.department)
    # yesterday: the month's wage record came in two days ago, so it is known
    result = risk_selectors.project_risk(project=risky, user=inspector)
    codes = {c.code for c in result.contributions}
    assert {
        "complaints",
        "complaint_amount",
        "dishonest",
        "no_deposit",
        "private_investment",
    } <= codes
    assert result.total == sum(c.points for c in result.contributions)

    body = _web(inspector).get(f"/projects/{risky.pk}/").content.decode()
    assert 'data-testid="risk-score"' in body and "risk-factor-dishonest" in body

    contractor = Employer.objects.get(credit_code="914403001922038216")
    employer = risk_selectors.employer_risk(employer=contractor, user=inspector)
    assert {"complaints", "dishonest"} <= {c.code for c in employer["score"].contributions}
    assert "no_deposit" not in {c.code for c in employer["score"].contributions}  # the project's
    assert employer["projects"][0][0] == risky.pk
    page = _web(inspector).get(f"/employers/{contractor.pk}/").content.decode()
    assert "employer-project-risk" in page and "risk-factor-dishonest" in page


def test_weights_are_configuration(risky: Project) -> None:
    office = UserFactory.create(city_office=True, city=risky.county.city)
    before = risk_selectors.project_risk(project=risky, user=office)
    ConfigValue.objects.create(key="risk.weight.dishonest", value="0", city=risky.county.city)
    config.forget()
    after = risk_selectors.project_risk(project=risky, user=office)
    assert before.total - after.total == Decimal(risk.FACTOR_BY_CODE["dishonest"].default_weight)


# --- The campaign's list ------------------------------------------------------------------


def _projects_in(county: Any, department: Any, n: int, prefix: str) -> list[Project]:
    from arrears.models import Industry

    industry = Industry.objects.get(code="housing")
    made = []
    for i in range(n):
        made.append(
            Project.objects.create(
                code=f"{prefix}-{i}",
                name=f"{prefix}项目{i}",
                county=county,
                department=department,
                industry=industry,
                labour_cost_share=Decimal("25"),
                investment_type="government" if i % 2 else "private",
                start_date=dt.date(2025, 1, 1),
            )
        )
    return made


@pytest.fixture
def draw_city(two_cities: TwoCities) -> dict[str, Any]:
    from arrears.models import Industry
    from arrears.reference import ensure_industries

    ensure_industries(Industry)
    d = two_cities
    a_projects = _projects_in(d.a, d.a_housing, 8, "A")
    inspectors = [
        UserFactory.create(role=Role.INSPECTOR, county=d.a, department=d.a_housing)
        for _i in range(3)
    ]
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="冬季专项行动",
        city=d.city_a,
        starts_on=today - dt.timedelta(days=5),
        ends_on=today + dt.timedelta(days=30),
    )
    for p in a_projects[:3]:
        Complaint.objects.create(
            tracking_no=f"RISK{p.pk:06d}",
            channel="web_form",
            received_at=timezone.now() - dt.timedelta(days=40),
            complainant_name="李四",
            complainant_phone="13812345678",
            employer_name="某公司",
            project=p,
            county=d.a,
            city_id=d.a.city_id,
            workers_owed=2,
            amount_owed=Decimal("30000"),
            facts="未发工资",
        )
    return {"campaign": campaign, "projects": a_projects, "inspectors": inspectors}


@pytest.mark.dates
def test_a_campaign_draws_its_list_by_risk_with_a_random_share(
    two_cities: TwoCities, draw_city: dict[str, Any]
) -> None:
    d = two_cities
    campaign = draw_city["campaign"]

    draw = services.campaign_draw(campaign=campaign, user=d.city_office, size=5, random_percent=40)

    entries = list(draw.entries.order_by("rank"))
    assert len(entries) == 5 and draw.candidates == 8
    by_risk = [e for e in entries if e.by_risk]
    assert len(by_risk) == 3  # 60 % of 5
    complained = {p.pk for p in draw_city["projects"][:3]}
    assert {e.project_id for e in by_risk} == complained  # the highest scores
    assert all(e.reasons and e.reasons[0]["code"] for e in by_risk)
    assert all(
        e.score == sum(Decimal(r["points"]) for r in e.reasons) or len(e.reasons) == 3
        for e in by_risk
    )
    assert {e.inspector_id for e in entries} <= {u.pk for u in draw_city["inspectors"]}
    # reproducible: the stored seed and day give the same list
    replay = risk_selectors.draw_replay(draw=draw)
    assert [(x.project_id, x.by_risk, x.inspector_id) for x in replay] == [
        (e.project_id, e.by_risk, e.inspector_id) for e in entries
    ]
    again = services.campaign_draw(
        campaign=campaign, user=d.city_office, size=5, random_percent=40, seed=draw.seed
    )
    assert [e.project_id for e in again.entries.order_by("rank")] == [e.project_id for e in entries]
    assert risk_selectors.latest_draw(campaign=campaign) == again

    # the page shows the list with each project's reasons, or 随机抽取
    body = _web(d.city_office).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert body.count('data-testid="drawn-') == 5
    assert "随机抽取" in body and str(draw.seed) in body


@pytest.mark.dates
def test_only_the_city_office_draws_and_another_city_gets_404(
    two_cities: TwoCities, draw_city: dict[str, Any]
) -> None:
    d = two_cities
    campaign = draw_city["campaign"]
    with pytest.raises(PermissionDenied):
        services.campaign_draw(campaign=campaign, user=d.official_a, size=3)
    assert (
        _web(d.official_a).post(f"/campaigns/{campaign.pk}/draw/", {"size": "3"}).status_code == 403
    )
    assert (
        _web(d.city_office_b).post(f"/campaigns/{campaign.pk}/draw/", {"size": "3"}).status_code
        == 404
    )
    # bad input: a message on the page, nothing drawn
    response = _web(d.city_office).post(f"/campaigns/{campaign.pk}/draw/", {"size": "x"})
    assert response.status_code == 302 and not DrawnProject.objects.exists()
    response = _web(d.city_office).post(f"/campaigns/{campaign.pk}/draw/", {"size": "0"})
    assert response.status_code == 302 and not DrawnProject.objects.exists()
    response = _web(d.city_office).post(f"/campaigns/{campaign.pk}/draw/", {"size": "4"})
    assert response.status_code == 302 and DrawnProject.objects.count() == 4


@pytest.mark.dates
def test_a_county_sees_its_own_projects_on_the_list(
    two_cities: TwoCities, draw_city: dict[str, Any]
) -> None:
    d = two_cities
    campaign = draw_city["campaign"]
    draw = services.campaign_draw(campaign=campaign, user=d.city_office, size=4, random_percent=0)
    # a county official of the same city but another county sees none of A's projects
    other = UserFactory.create(role=Role.COUNTY_OFFICIAL, county=d.b)
    assert not risk_selectors.draw_entries(draw=draw, user=other).exists()
    assert risk_selectors.draw_entries(draw=draw, user=d.official_a).count() == 4
    # city B's projects are never candidates for city A's campaign
    _projects_in(d.b, d.b_housing, 2, "B")
    assert (
        risk_selectors.draw_candidates(
            campaign=campaign, user=d.province_office, day=timezone.localdate()
        )
        .filter(county=d.b)
        .count()
        == 0
    )


@pytest.mark.dates
def test_the_campaign_page_takes_the_same_queries_whatever_the_list(
    two_cities: TwoCities, draw_city: dict[str, Any]
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    d = two_cities
    campaign = draw_city["campaign"]
    web = _web(d.city_office)
    web.get(f"/campaigns/{campaign.pk}/")  # the first request of a session writes more
    counts = []
    for size in (2, 7):
        services.campaign_draw(campaign=campaign, user=d.city_office, size=size)
        with CaptureQueriesContext(connection) as queries:
            assert web.get(f"/campaigns/{campaign.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
