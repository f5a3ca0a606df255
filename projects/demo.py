"""Demo construction projects: about twenty per county, deterministic."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from arrears import audit, deadlines, workdays
from arrears.identifiers import CREDIT_CODE_CHARSET
from arrears.models import Deadline, Industry, Role, User
from arrears.workdays import WorkCalendar
from projects import services
from projects.models import (
    CHECKLIST,
    Campaign,
    ChecklistItem,
    Employer,
    EmployerListing,
    MonthlyWageRecord,
    Project,
    ProjectParty,
    ProjectStatus,
    RectificationOrder,
)
from projects.models.inspections import RECTIFICATION

PLACES = [
    "滨江",
    "湖畔",
    "城南",
    "城北",
    "新城",
    "高新",
    "工业园",
    "学府",
    "翠湖",
    "锦绣",
    "云岭",
    "金沙",
    "龙湾",
    "望江",
    "青石",
]
KINDS = {
    "housing": ["花园{}期", "安置房{}标段", "人民医院住院楼", "第{}中学改扩建", "商业综合体"],
    "transport": ["快速路{}标段", "跨江大桥", "公交首末站", "国道改线{}标段"],
    "water": ["水库除险加固", "堤防整治{}段", "供水管网改造{}期"],
    "other_construction": ["光伏电站{}期", "产业园标准厂房{}号"],
}
ORDER = 10  # before complaints, which refer to projects
WEIGHTS = {"housing": 60, "transport": 20, "water": 10, "other_construction": 10}


def seed(*, rng: random.Random, options: dict[str, Any], stdout: Any, org: dict[str, Any]) -> None:
    per_county = options.get("projects_per_county", 20)
    industries = {i.code: i for i in Industry.objects.all()}
    codes = list(WEIGHTS)
    created = 0
    for county in org["counties"]:
        for n in range(1, per_county + 1):
            code = f"XM-{county.code}-{n:03d}"
            if Project.objects.filter(code=code).exists():
                continue
            industry = rng.choices(codes, weights=[WEIGHTS[c] for c in codes])[0]
            place = rng.choice(PLACES)
            name = f"{county.short_name}{place}" + rng.choice(KINDS[industry]).format(
                rng.randint(1, 5)
            )
            Project.objects.create(
                code=code,
                name=name,
                county=county,
                industry=industries[industry],
                address=f"{county.name}{place}片区{rng.randint(1, 300)}号",
                status=rng.choices(list(ProjectStatus.values), weights=[5, 75, 15, 5])[0],
            )
            created += 1
    stdout.write(f"projects: {created} created")
    if created:
        _registries(rng, stdout, org)


WEIGHTS_32100 = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code(rng: random.Random, county_code: str) -> str:
    """A well-formed (GB 32100 check character) but invented unified social credit code."""
    chars = CREDIT_CODE_CHARSET
    body = "91" + county_code + "".join(rng.choice(chars[:10]) for _ in range(9))
    total = sum(chars.index(ch) * w for ch, w in zip(body, WEIGHTS_32100, strict=True))
    return body + chars[(31 - total % 31) % 31]


def _registries(rng: random.Random, stdout: Any, org: dict[str, Any]) -> None:
    """Employers and parties (general contractors with several sites, some of them listed),
    the 5+3 checklist, two years of wage records, then warnings; and how likely each project
    is to be complained about, month by month, for the complaints seeded next
    (`org["complaint_weights"]`, docs/risk.md)."""
    officer = User.objects.filter(username="cityoffice").first()
    today = timezone.localdate()
    months = _past_months(today, HISTORY_MONTHS)
    contractors: dict[int, list[Employer]] = {}
    weights: dict[datetime.date, dict[int, float]] = {m: {} for m in months}
    # The helpers draw from `rng` in a fixed order per project: the seed stays deterministic.
    with audit.suspended():
        for project in Project.objects.select_related("county", "industry"):
            _project_terms(rng, project, today)
            pool = contractors.setdefault(project.county.city_id, [])
            dishonest = _project_parties(rng, project, pool, today)
            if project.status != ProjectStatus.IN_CONSTRUCTION:
                continue
            deposit = _project_checklist(rng, project, officer, today)
            propensity = _propensity(rng, project, deposit, dishonest)
            unpaid = _project_wage_records(rng, project, months, propensity)
            _complaint_weights(project, months, propensity, unpaid, weights)
    org["complaint_weights"] = weights
    result = services.warnings_evaluate(today=today)
    stdout.write(f"registries: employers, checklist, wage records; warnings {result['opened']}")
    _inspections(rng, stdout, today)


def _past_months(today: datetime.date, n: int) -> list[datetime.date]:
    """The first days of the `n` complete months before `today`'s, most recent first."""
    months = []
    month = today.replace(day=1)
    for _i in range(n):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
        months.append(month)
    return months


HISTORY_MONTHS = 24
INVESTMENT_WEIGHTS = {"government": 25, "state_owned": 20, "private": 55}


def _project_terms(rng: random.Random, project: Project, today: datetime.date) -> None:
    """The supervising department, investment, contract value, labour share and dates."""
    services.project_assign_department(project=project)
    kinds = list(INVESTMENT_WEIGHTS)
    project.investment_type = rng.choices(kinds, weights=[INVESTMENT_WEIGHTS[k] for k in kinds])[0]
    project.contract_value = Decimal(rng.randint(5, 300)) * 1_000_000
    project.labour_cost_share = Decimal(rng.choice([12, 15, 18, 20, 22, 25, 30]))
    project.start_date = today - datetime.timedelta(days=rng.randint(120, 700))
    project.planned_completion = today + datetime.timedelta(days=rng.randint(60, 600))
    project.save()


def _project_parties(
    rng: random.Random, project: Project, contractors: list[Employer], today: datetime.date
) -> bool:
    """A builder, a general contractor (often one already building elsewhere in the city)
    and a labour subcontractor; a new contractor is sometimes put on a list. True when the
    contractor is on the dishonest-employer list."""
    for role in ("builder", "general_contractor", "labour_subcontractor"):
        if role == "general_contractor" and contractors and rng.random() < 0.6:
            employer = rng.choice(contractors)
        else:
            employer, _c = Employer.objects.get_or_create(
                credit_code=credit_code(rng, project.county.code),
                defaults={
                    "name": f"{project.county.short_name}{rng.choice(PLACES)}"
                    f"{rng.choice(['建设', '建工', '劳务', '置业'])}有限公司"
                },
            )
            if role == "general_contractor":
                contractors.append(employer)
                _maybe_list(rng, employer, today)
        ProjectParty.objects.get_or_create(project=project, employer=employer, role=role)
        if role == "general_contractor":
            contractor = employer
    return EmployerListing.objects.filter(employer=contractor, kind="dishonest").exists()


def _maybe_list(rng: random.Random, employer: Employer, today: datetime.date) -> None:
    """One new contractor in twelve on the dishonest-employer list, one in eight on the
    key-supervision list, listed some time in the last two years."""
    for kind, chance in (("dishonest", 1 / 12), ("key_supervision", 1 / 8)):
        if rng.random() < chance:
            EmployerListing.objects.create(
                employer=employer,
                kind=kind,
                reason="拖欠农民工工资（演示数据）",
                listed_on=today - datetime.timedelta(days=rng.randint(30, 700)),
            )


def _project_checklist(
    rng: random.Random, project: Project, officer: User | None, today: datetime.date
) -> str:
    """Every 5+3 item verified, mostly compliant; the deposit with its amount and expiry,
    checked when the works started (it is lodged before). The deposit's state is returned."""
    assert project.contract_value is not None  # set by _project_terms
    assert project.start_date is not None
    deposit = "unknown"
    for code, _label in CHECKLIST:
        state = rng.choices(["compliant", "not_compliant", "unknown"], weights=[80, 12, 8])[0]
        verified = today - datetime.timedelta(days=rng.randint(1, 90))
        if code == "deposit":
            deposit = state
            verified = min(today, project.start_date + datetime.timedelta(days=rng.randint(0, 30)))
        ChecklistItem.objects.create(
            project=project,
            item=code,
            state=state,
            verified_by=officer,
            verified_on=verified,
            amount=project.contract_value / 50 if code == "deposit" else None,
            expires_on=today + datetime.timedelta(days=rng.randint(-10, 400))
            if code == "deposit"
            else None,
        )
    return deposit


def _propensity(rng: random.Random, project: Project, deposit: str, dishonest: bool) -> float:
    """How prone the project is to arrears (the seeded structure the risk score is meant to
    recover, docs/risk.md): private investment, a low labour-cost share, no deposit and a
    dishonest contractor each multiply it, and an unobserved factor (log-normal) blurs it."""
    factor = {"private": 1.8, "state_owned": 1.0, "government": 0.8}[project.investment_type]
    assert project.labour_cost_share is not None
    if project.labour_cost_share < 20:
        factor *= 1.6
    if deposit == "not_compliant":
        factor *= 1.8
    if dishonest:
        factor *= 2.2
    return factor * rng.lognormvariate(0, 0.5)


def _project_wage_records(
    rng: random.Random, project: Project, months: list[datetime.date], propensity: float
) -> set[datetime.date]:
    """A wage record per month since the works started, each entered a few days after its
    month; spells of one to four unpaid months start more often on prone projects (and the
    demo's original trouble, nothing paid in the last two months, stays). The unpaid months
    are returned."""
    assert project.contract_value is not None  # both set by _project_terms
    assert project.labour_cost_share is not None
    assert project.start_date is not None
    troubled = rng.random() < 0.08
    workers = rng.randint(30, 400)
    unpaid_months: set[datetime.date] = set()
    spell = 0
    for first in reversed(months):  # oldest first: a spell runs forward in time
        if first < project.start_date.replace(day=1):
            continue
        if spell == 0 and rng.random() < min(0.5, 0.025 * propensity):
            spell = rng.randint(1, 4)
        if spell:
            unpaid_months.add(first)
            spell -= 1
    for index, first in enumerate(months):
        if first < project.start_date.replace(day=1):
            continue
        unpaid = (troubled and index < 2) or first in unpaid_months
        if unpaid:
            unpaid_months.add(first)
        paid = workers - (rng.randint(1, 5) if rng.random() < 0.05 else 0)
        recorded = datetime.datetime.combine(
            _next_month(first) + datetime.timedelta(days=rng.randint(2, 9)), datetime.time(10)
        )
        MonthlyWageRecord.objects.create(
            recorded_at=timezone.make_aware(recorded),
            project=project,
            month=first,
            workers_on_roll=workers,
            workers_paid=0 if unpaid else paid,
            amount_paid=Decimal(0) if unpaid else Decimal(paid * rng.randint(4200, 9000)),
            labour_cost_paid_in=Decimal(0)
            if unpaid
            else (project.contract_value * project.labour_cost_share / 100 / 24).quantize(
                Decimal("1")
            ),
            source="demo",
        )
    return unpaid_months


def _next_month(first: datetime.date) -> datetime.date:
    return (first + datetime.timedelta(days=32)).replace(day=1)


def _complaint_weights(
    project: Project,
    months: list[datetime.date],
    propensity: float,
    unpaid: set[datetime.date],
    weights: dict[datetime.date, dict[int, float]],
) -> None:
    """How likely a complaint of a month is about this project: nothing before it started,
    its propensity, six times that in a month with wages unpaid in it or the two before."""
    assert project.start_date is not None
    for first in months:
        if first < project.start_date.replace(day=1):
            continue
        recent = {first, _months_before(first, 1), _months_before(first, 2)}
        weights[first][project.pk] = propensity * (6.0 if recent & unpaid else 1.0)


def _months_before(first: datetime.date, n: int) -> datetime.date:
    for _i in range(n):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return first


# Findings inspectors write most often, per checklist item.
FINDINGS = {
    "notice_board": "维权信息告示牌未设置或信息不全",
    "real_name": "部分工人未实名登记即进场",
    "wage_account": "工资专用账户未按月拨付人工费用",
    "contracts": "部分工人未签订劳动合同",
    "injury_insurance": "工伤保险未按项目参保",
    "deposit": "工资保证金未足额存储",
}


def _inspections(rng: random.Random, stdout: Any, today: datetime.date) -> None:
    """Two campaigns and, over the last ten months, inspections of a quarter of the projects in
    construction through the service (findings mark the checklist, orders start their clocks);
    most orders were verified rectified within a few working days, some ran late or still run;
    a fifth of the inspections with findings ended in a fine."""
    campaigns = _campaigns(today.year)
    calendar = workdays.get_calendar()
    inspectors = _inspectors_by_county()
    made = fines = 0
    projects = Project.objects.filter(status=ProjectStatus.IN_CONSTRUCTION).order_by("pk")
    for project in projects:
        staff = inspectors.get(project.county_id)
        if not staff or rng.random() > 0.25:
            continue
        day = today - datetime.timedelta(days=rng.randint(5, 300))
        campaign = next((c for c in campaigns if c.starts_on <= day <= c.ends_on), None)
        items = rng.sample(sorted(FINDINGS), k=rng.choice([0, 1, 1, 2]))
        inspector = rng.choice(staff)
        inspection = services.inspection_record(
            project=project,
            inspector=inspector,
            inspected_on=day,
            campaign=campaign,
            findings=[{"item": item, "description": FINDINGS[item]} for item in items],
        )
        made += 1
        _verify_orders(rng, inspection, inspector, day, today, calendar)
        if items and rng.random() < 0.2:
            decided = min(day + datetime.timedelta(days=7), today)
            services.fine_record(
                inspection=inspection,
                article="art56",
                amount=Decimal(rng.randrange(50000, 100001, 5000)),
                decided_on=decided,
            )
            fines += 1
    stdout.write(f"inspections: {made} (2 campaigns), fines {fines}")


def _campaigns(year: int) -> list[Campaign]:
    """This year's summer action and the one before the Spring Festival."""
    return [
        Campaign.objects.get_or_create(
            name=f"{year}年夏季专项行动",
            defaults={
                "starts_on": datetime.date(year, 6, 1),
                "ends_on": datetime.date(year, 8, 31),
            },
        )[0],
        Campaign.objects.get_or_create(
            name=f"{year}年元旦春节前专项整治",
            defaults={
                "starts_on": datetime.date(year - 1, 12, 1),
                "ends_on": datetime.date(year, 2, 10),
            },
        )[0],
    ]


def _inspectors_by_county() -> dict[int, list[User]]:
    inspectors: dict[int, list[User]] = {}
    for user in User.objects.filter(role=Role.INSPECTOR, county__isnull=False):
        inspectors.setdefault(user.county_id or 0, []).append(user)
    return inspectors


def _verify_orders(
    rng: random.Random,
    inspection: Any,
    inspector: User,
    day: datetime.date,
    today: datetime.date,
    calendar: WorkCalendar,
) -> None:
    """Most of the inspection's orders verified rectified a few working days later."""
    for order in RectificationOrder.objects.filter(finding__inspection=inspection):
        clock = Deadline.objects.get(
            kind=RECTIFICATION, object_id=order.pk, state__in=deadlines.RUNNING
        )
        if rng.random() < 0.8:
            # Verified on a past day: the clock is met or missed by that day.
            done = calendar.add_working_days(day, rng.choice([1, 2, 2, 3, 3, 4, 6]))
            if done <= today:
                at = timezone.make_aware(datetime.datetime.combine(done, datetime.time(11)))
                deadlines.deadline_close(deadline=clock, at=at)
                RectificationOrder.objects.filter(pk=order.pk).update(
                    rectified=True, verified_on=done, verified_by=inspector
                )
