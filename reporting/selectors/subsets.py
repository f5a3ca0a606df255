"""Filters, the models the figures count, and the subsets: named conditions over one model
(cases closed in the period, rectification orders overdue…) that both the figures and the
drill-down lists use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from arrears import config
from arrears.models import ConfigValue, Deadline, DeadlineState, User
from arrears.scoping import for_user
from complaints.cases.selectors import late_case_clock  # also the 通报's overdue case
from complaints.cases.services import RESPOND
from complaints.models import OPEN_STATES as CASE_OPEN_STATES
from complaints.models import Case, Payer
from projects.models import ChecklistItem, ItemState, MonthlyWageRecord, ProjectStatus, core_items
from projects.models.compliance import TWO_FUNDS_ONE_BOARD
from projects.selectors import clock_overdue, clock_running_late, item_satisfied, order_clocks
from reporting.periods import Period

# The states of a case still being handled (complaints.models, the one definition).
OPEN_STATES = list(CASE_OPEN_STATES)


@dataclass(frozen=True)
class Filters:
    period: Period
    county_id: int | None = None
    department_id: int | None = None
    industry_id: int | None = None
    channel: str = ""
    city_id: int | None = None

    def with_period(self, period: Period) -> Filters:
        return Filters(
            period,
            self.county_id,
            self.department_id,
            self.industry_id,
            self.channel,
            self.city_id,
        )

    def params(self) -> dict[str, str]:
        """Query parameters that select these filters again (for links and exports)."""
        out = dict(self.period.params())
        if self.city_id:
            out["city"] = str(self.city_id)
        if self.county_id:
            out["county"] = str(self.county_id)
        if self.department_id:
            out["department"] = str(self.department_id)
        if self.industry_id:
            out["industry"] = str(self.industry_id)
        if self.channel:
            out["channel"] = self.channel
        return out


@dataclass(frozen=True)
class Base:
    """A model the figures count, and where it keeps what the filters narrow by."""

    model: str
    county: str
    department: str
    industry: str
    channel: str | None = None  # None: the channel filter does not apply
    # Where it keeps its city; by default its county's (a complaint names its own: it has a
    # city before it has a county).
    city_path: str | None = None

    @property
    def city(self) -> str:
        return self.city_path or f"{self.county}__city"

    def queryset(self, user: User, filters: Filters) -> QuerySet[Any]:
        model: type[Model] = apps.get_model(self.model)
        qs = for_user(model._default_manager.all(), user)
        if filters.city_id:
            qs = qs.filter(**{self.city: filters.city_id})
        if filters.county_id:
            qs = qs.filter(**{self.county: filters.county_id})
        if filters.department_id:
            qs = qs.filter(**{self.department: filters.department_id})
        if filters.industry_id:
            qs = qs.filter(**{self.industry: filters.industry_id})
        if filters.channel and self.channel:
            qs = qs.filter(**{self.channel: filters.channel})
        return qs


BASES = {
    "complaint": Base(
        "complaints.Complaint", "county", "department", "industry", "channel", city_path="city"
    ),
    "case": Base("complaints.Case", "county", "department", "industry", "channel"),
    "payment": Base(
        "complaints.CasePayment",
        "case__county",
        "case__department",
        "case__industry",
        "case__channel",
    ),
    "entry": Base(
        "complaints.CaseEntry",
        "case__county",
        "case__department",
        "case__industry",
        "case__channel",
    ),
    "warning": Base("projects.Warning", "county", "department", "project__industry"),
    "inspection": Base("projects.Inspection", "county", "department", "project__industry"),
    "order": Base(
        "projects.RectificationOrder",
        "finding__inspection__county",
        "finding__inspection__department",
        "finding__inspection__project__industry",
    ),
    "fine": Base(
        "projects.Fine",
        "inspection__county",
        "inspection__department",
        "inspection__project__industry",
    ),
    "project": Base("projects.Project", "county", "department", "industry"),
    # A unit named in a 通报 (the assessment's deduction); industry: the department's.
    "circular_unit": Base(
        "projects.CircularUnit", "county", "department", "department__industries"
    ),
}


# --- Subsets --------------------------------------------------------------------------------


def _between(column: str, period: Period) -> Q:
    start, end = period.bounds()
    return Q(**{f"{column}__gte": start, f"{column}__lt": end})


def _dates(column: str, period: Period) -> Q:
    return Q(**{f"{column}__gte": period.start, f"{column}__lte": period.end})


def _order_clock(condition: Q) -> Exists:
    """For a rectification order queryset: its clock meets `condition`."""
    return Exists(order_clocks().filter(condition, object_id=OuterRef("pk")))


def _has_items(items: Iterable[str]) -> Q:
    condition = Q()
    for code in items:
        condition &= Q(item_satisfied(code))
    return condition


def core_satisfied() -> Q:
    """For a project queryset: all the core systems in place (what 5+3 coverage counts; five
    unless compliance.core_items says otherwise)."""
    return _has_items(core_items())


def two_funds_satisfied() -> Q:
    """For a project queryset: 两金一牌 in place."""
    return _has_items(TWO_FUNDS_ONE_BOARD)


@dataclass(frozen=True)
class Subset:
    base: str
    label: Any
    condition: Callable[[Period, dt.datetime], Q]
    snapshot: bool = False


def _accepted(p: Period, now: dt.datetime) -> Q:
    return _between("accepted_at", p)


def _closed(p: Period, now: dt.datetime) -> Q:
    return Q(state="closed") & _between("closed_at", p)


def _open(p: Period, now: dt.datetime) -> Q:
    return Q(state__in=OPEN_STATES)


def _paid_by(payer: str) -> Callable[[Period, dt.datetime], Q]:
    return lambda p, n: _dates("paid_on", p) & Q(payer=payer)


# A case's response clock (complaints.cases.services.RESPOND, `case.respond_days` working days
# from receipt) ends when the unit first answers: the case accepted or refused, or the first
# call, visit or interview. Met if in time, missed if late; a cancelled clock was no response.
RESPONDED = (DeadlineState.MET, DeadlineState.MISSED)


def _responded(states: Iterable[str]) -> Callable[[Period, dt.datetime], Q]:
    def condition(p: Period, now: dt.datetime) -> Q:
        start, end = p.bounds()
        clocks = Deadline.objects.filter(
            content_type=ContentType.objects.get_for_model(Case),
            object_id=OuterRef("pk"),
            kind=RESPOND,
            state__in=list(states),
            closed_at__gte=start,
            closed_at__lt=end,
        )
        return Q(Exists(clocks))

    return condition


# The statutory time to close a filed case (劳动保障监察条例 art. 17), in the case's city.
CLOSE_LIMIT_KEY = "case.close_days.statutory"


def close_limits() -> tuple[int, dict[int, int]]:
    """The statutory limit in force: the province's, and each city's own where it has one."""
    cities = ConfigValue.objects.filter(key=CLOSE_LIMIT_KEY, city__isnull=False)
    own = {
        c: int(config.get(CLOSE_LIMIT_KEY, city=c))
        for c in cities.values_list("city_id", flat=True)
    }
    return int(config.get(CLOSE_LIMIT_KEY)), own


def _within_limit(p: Period, now: dt.datetime) -> Q:
    """Closed cases that took no more working days than their city's statutory limit in force
    when they closed (Case.closed_in_limit, decided at closing as closed_on_time is)."""
    return _closed(p, now) & Q(closed_in_limit=True)


def _wage_account(p: Period, now: dt.datetime) -> Q:
    """Projects in construction whose wage account (农民工工资专用账户) is verified opened."""
    opened = ChecklistItem.objects.filter(
        project=OuterRef("pk"), item="wage_account", state=ItemState.COMPLIANT
    )
    return _in_construction(p, now) & Q(Exists(opened))


# A deposit lodged as a bank (or insurer's) guarantee letter names its form so; anything
# else recorded (现金, 银行存款, nothing) is a cash deposit.
GUARANTEE_WORD = "保函"


def _deposit(guarantee: bool) -> Callable[[Period, dt.datetime], Q]:
    def condition(p: Period, now: dt.datetime) -> Q:
        lodged = ChecklistItem.objects.filter(
            project=OuterRef("pk"), item="deposit", state=ItemState.COMPLIANT
        )
        if guarantee:
            lodged = lodged.filter(facts__form__icontains=GUARANTEE_WORD)
        return _in_construction(p, now) & Q(Exists(lodged))

    return condition


def _bank_paid(p: Period, now: dt.datetime) -> Q:
    """Projects with wages paid through the bank in a month of the period."""
    paid = MonthlyWageRecord.objects.filter(
        project=OuterRef("pk"),
        month__gte=p.start,
        month__lte=p.end,
        amount_paid__gt=0,
    )
    return Q(Exists(paid))


def _orders(p: Period, now: dt.datetime) -> Q:
    return _dates("issued_on", p)


def _in_construction(p: Period, now: dt.datetime) -> Q:
    return Q(status=ProjectStatus.IN_CONSTRUCTION)


SUBSETS: dict[str, Subset] = {
    "received": Subset("complaint", _("收到的投诉"), lambda p, n: _between("received_at", p)),
    "accepted": Subset("case", _("受理的案件"), _accepted),
    "accepted_closed": Subset(
        "case", _("受理且已办结的案件"), lambda p, n: _accepted(p, n) & Q(state="closed")
    ),
    "closed": Subset("case", _("办结的案件"), _closed),
    "closed_timed": Subset(
        "case",
        _("办结且有时限的案件"),
        lambda p, n: _closed(p, n) & Q(closed_on_time__isnull=False),
    ),
    "on_time": Subset(
        "case", _("按期办结的案件"), lambda p, n: _closed(p, n) & Q(closed_on_time=True)
    ),
    "responded": Subset("case", _("作出首次响应的案件"), _responded(RESPONDED)),
    "responded_on_time": Subset("case", _("按时响应的案件"), _responded([DeadlineState.MET])),
    "closed_in_limit": Subset("case", _("法定时限内办结的案件"), _within_limit),
    "rated": Subset(
        "case", _("已评价的办结案件"), lambda p, n: _closed(p, n) & Q(satisfaction__isnull=False)
    ),
    "open": Subset("case", _("在办案件"), _open, snapshot=True),
    "overdue": Subset(
        "case", _("逾期案件"), lambda p, n: _open(p, n) & Q(late_case_clock(n)), snapshot=True
    ),
    "payments": Subset("payment", _("工资支付记录"), lambda p, n: _dates("paid_on", p)),
    # The same, by who paid (complaints.models.Payer).
    **{
        f"payments_{payer.value}": Subset(
            "payment",
            format_lazy("{}（{}）", _("工资支付记录"), payer.label),
            _paid_by(payer.value),
        )
        for payer in Payer
    },
    "arbitration": Subset(
        "entry", _("转仲裁记录"), lambda p, n: Q(kind="arbitration") & _between("at", p)
    ),
    "police": Subset("entry", _("移送公安记录"), lambda p, n: Q(kind="police") & _between("at", p)),
    "warnings_raised": Subset("warning", _("发出的预警"), lambda p, n: _between("opened_at", p)),
    "warnings_resolved": Subset(
        "warning",
        _("处置的预警"),
        lambda p, n: Q(state="resolved") & _between("resolved_at", p),
    ),
    "inspections": Subset("inspection", _("项目检查"), lambda p, n: _dates("inspected_on", p)),
    "orders": Subset("order", _("责令整改"), _orders),
    "orders_on_time": Subset(
        "order",
        _("按期整改"),
        lambda p, n: _orders(p, n) & Q(_order_clock(Q(state=DeadlineState.MET))),
    ),
    "orders_overdue": Subset(
        "order",
        _("逾期整改"),
        lambda p, n: _orders(p, n) & Q(_order_clock(clock_overdue(n))),
    ),
    # For 通报: rectification orders whose clock is still running past its due time, now.
    "orders_late": Subset(
        "order",
        _("超期未整改"),
        lambda p, n: Q(_order_clock(clock_running_late(n))),
        snapshot=True,
    ),
    "fines": Subset("fine", _("罚款决定"), lambda p, n: _dates("decided_on", p)),
    "projects": Subset("project", _("在建项目"), _in_construction, snapshot=True),
    "projects_core": Subset(
        "project",
        _("5项制度全部落实的在建项目"),
        lambda p, n: _in_construction(p, n) & core_satisfied(),
        snapshot=True,
    ),
    "projects_wage_account": Subset(
        "project", _("已开设工资专用账户的在建项目"), _wage_account, snapshot=True
    ),
    "projects_deposit": Subset(
        "project", _("已缴存工资保证金的在建项目"), _deposit(False), snapshot=True
    ),
    "projects_guarantee": Subset(
        "project", _("以保函缴存工资保证金的在建项目"), _deposit(True), snapshot=True
    ),
    "projects_bank_paid": Subset("project", _("期间内银行代发工资的项目"), _bank_paid),
    "projects_two_funds": Subset(
        "project",
        _("两金一牌全部落实的在建项目"),
        lambda p, n: _in_construction(p, n) & two_funds_satisfied(),
        snapshot=True,
    ),
}


def subset_queryset(
    name: str, *, user: User, filters: Filters, now: dt.datetime | None = None
) -> QuerySet[Any]:
    """The rows a figure counts: the drill-down list and the row export."""
    subset = SUBSETS[name]
    now = now or timezone.now()
    return BASES[subset.base].queryset(user, filters).filter(subset.condition(filters.period, now))
