"""The home page's figures per role ("what do I do today"), registered with arrears.home.

Each figure is a count of the very list it links to, read through the same selector as that
list (so through `for_user`): the intake inbox, the dispatch queue, the worklist, the warning
queue, or a dashboard subset behind the drill-down page. One query per figure, whatever the
number of rows (tests/reporting/test_today.py counts them); the key figures of a county, city
or province come from the dashboards' facts where they are kept (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears import home
from arrears.models import Role
from arrears.permissions import is_city_office
from arrears.selectors import scope_label
from complaints.cases import selectors as case_selectors
from complaints.intake import selectors as intake_selectors
from complaints.models import Complaint, ExtensionRequest, ExtensionState
from complaints.permissions import HANDLING_ROLES
from projects import selectors as project_selectors
from projects.permissions import can_dispose_warning
from reporting import facts, periods
from reporting.metrics import to_wan
from reporting.presentation import drill_url
from reporting.selectors import Filters, aggregates, subset_queryset

# Who decides extensions (complaints.cases.services.case_decide_extension checks the same).
APPROVERS = frozenset(
    {Role.DEPARTMENT_OFFICIAL, Role.COUNTY_OFFICIAL, Role.CITY_OFFICE, Role.PROVINCE_OFFICE}
)
# Who is shown the key figures of their whole scope (the county, the city or the province).
OVERSEERS = frozenset(
    {
        Role.COUNTY_OFFICIAL,
        Role.CITY_LEADER,
        Role.CITY_OFFICE,
        Role.PROVINCE_LEADER,
        Role.PROVINCE_OFFICE,
    }
)
EXTENSIONS_SHOWN = 5


def _day_end(day: dt.date) -> dt.datetime:
    """Midnight after `day`, local time: "due today" is due before it."""
    start = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    return timezone.make_aware(start)


def my_worklist_figures(user: Any, now: dt.datetime) -> list[home.Figure]:
    """My open cases by urgency, as the worklist orders, badges and filters them (one
    condition each: complaints.cases.selectors.urgency_condition)."""
    mine = case_selectors.worklist(user=user).order_by()
    condition = case_selectors.urgency_condition
    counts = mine.aggregate(
        open=Count("pk", distinct=True),
        overdue=Count("pk", distinct=True, filter=condition("overdue", now)),
        today=Count("pk", distinct=True, filter=condition("today", now)),
        soon=Count("pk", distinct=True, filter=condition("soon", now)),
    )
    url = reverse("case-worklist")
    figures = [home.Figure(_("我的在办案件"), counts["open"], url, testid="mine-open")]
    for urgency, label, tone in (
        ("overdue", _("已逾期"), "danger"),
        ("today", _("今日到期"), "warning"),
        ("soon", _("即将到期"), "warning"),
    ):
        figures.append(
            home.Figure(
                label,
                counts[urgency],
                f"{url}?urgency={urgency}",
                tone=tone if counts[urgency] else "secondary",
                testid=f"mine-{urgency}",
            )
        )
    return figures


def today_section(user: Any, now: dt.datetime) -> home.Section | None:
    """What the user has to act on: sign, dispatch, their cases, extensions, warnings."""
    role = getattr(user, "role", "")
    city = is_city_office(user)
    figures: list[home.Figure] = []
    items: list[home.Item] = []
    if role in HANDLING_ROLES:
        count = intake_selectors.intake_inbox(user=user).count()
        figures.append(_to_do(_("待签收投诉"), count, reverse("intake-inbox"), "to-sign"))
    if city:
        count = intake_selectors.dispatch_queue(user=user).count()
        figures.append(_to_do(_("待分派投诉"), count, reverse("dispatch-queue"), "to-dispatch"))
    if role in HANDLING_ROLES:
        figures.extend(my_worklist_figures(user, now))
    if role in APPROVERS or user.is_superuser:
        figure, items = _extensions_to_decide(user)
        figures.append(figure)
    if can_dispose_warning(user):
        count = project_selectors.warning_queue(user=user).count()
        figures.append(_to_do(_("待处置预警"), count, reverse("warning-queue"), "warnings"))
    if role == Role.DUTY_OFFICER:
        figure, items = _registered_today(user, now)
        figures.append(figure)
    if not figures:
        return None
    return home.Section(
        title=_("今日待办"),
        figures=figures,
        testid="today",
        items=items,
        items_title=_("今日登记的投诉") if role == Role.DUTY_OFFICER else _("待审批的延期申请"),
        items_id="registered" if role == Role.DUTY_OFFICER else "extensions",
    )


def _to_do(label: Any, count: int, url: str, testid: str) -> home.Figure:
    """A count of things waiting for the user: highlighted while there are any."""
    return home.Figure(label, count, url, tone="warning" if count else "secondary", testid=testid)


def _extensions_to_decide(user: Any) -> tuple[home.Figure, list[home.Item]]:
    """The extension requests in the user's scope waiting for a decision (not the user's own),
    and the oldest few to list under the figures."""
    pending = (
        ExtensionRequest.objects.filter(
            state=ExtensionState.PENDING,
            case__in=case_selectors.case_list(user=user).values("pk"),
        )
        .exclude(requested_by=user)  # nobody approves their own request
        .select_related("case")
        .order_by("requested_at")
    )
    count = pending.count()
    shown = list(pending[:EXTENSIONS_SHOWN]) if count else []
    figure = _to_do(_("待审批延期"), count, "#extensions", "extensions")
    items = [
        home.Item(
            label=str(ext.case.number or ext.case.employer_name),
            url=reverse("case-page", args=[ext.case_id]),
            note=str(_("延长 %(n)s 个工作日：%(r)s") % {"n": ext.working_days, "r": ext.reason}),
        )
        for ext in shown
    ]
    return figure, items


def _registered_today(user: Any, now: dt.datetime) -> tuple[home.Figure, list[home.Item]]:
    """The complaints the duty officer registered today (the last ten), as a figure and a
    list."""
    start = timezone.make_aware(dt.datetime.combine(timezone.localdate(now), dt.time.min))
    registered = list(
        Complaint.objects.filter(received_by=user, received_at__gte=start).order_by("-received_at")[
            :10
        ]
    )
    figure = home.Figure(_("今日已登记"), len(registered), "#registered", testid="registered-today")
    items = [
        home.Item(
            label=complaint.employer_name,
            url=reverse("complaint-detail", args=[complaint.tracking_no]),
            note=f"{timezone.localtime(complaint.received_at):%H:%M}",
        )
        for complaint in registered
    ]
    return figure, items


def key_figures_section(user: Any, now: dt.datetime) -> home.Section | None:
    """The county's (or the city's) key figures for officials and leaders, each a drill-down."""
    if not (user.is_superuser or getattr(user, "role", "") in OVERSEERS):
        return None
    today = timezone.localdate(now)
    month = periods.month(today.year, today.month)
    year = periods.year(today.year)
    snapshot = Filters(periods.default_period(today))
    if facts.enabled():
        open_cases, overdue, received, recovered = _key_counts_from_facts(
            user, now, snapshot, month, year
        )
    else:
        open_cases = subset_queryset("open", user=user, filters=snapshot, now=now).count()
        overdue = subset_queryset("overdue", user=user, filters=snapshot, now=now).count()
        received = subset_queryset("received", user=user, filters=Filters(month), now=now).count()
        recovered = subset_queryset(
            "payments", user=user, filters=Filters(year), now=now
        ).aggregate(total=Sum("amount"))["total"]
    return home.Section(
        title=_("%(scope)s概况") % {"scope": scope_label(user=user)},
        testid="key-figures",
        figures=[
            home.Figure(_("在办案件"), open_cases, drill_url("open", {}), testid="kf-open"),
            home.Figure(
                _("逾期案件"),
                overdue,
                drill_url("overdue", {}),
                tone="danger" if overdue else "success",
                testid="kf-overdue",
            ),
            home.Figure(
                _("本月收到投诉"),
                received,
                drill_url("received", month.params()),
                testid="kf-received",
            ),
            home.Figure(
                _("本年追回工资（万元）"),
                to_wan(recovered or Decimal(0)),
                drill_url("payments", year.params()),
                tone="success",
                testid="kf-recovered",
                money=True,
            ),
        ],
    )


def _key_counts_from_facts(
    user: Any, now: dt.datetime, snapshot: Filters, month: Any, year: Any
) -> tuple[int, int, int, Decimal]:
    """The key figures as the dashboards read them, from the facts: counted live, a province
    office's home page summed the year's payments and counted the open and overdue cases of
    ten million complaints on every visit. The same numbers as the drill-down lists they
    link to (the facts equal the live figures: tests/reporting/test_facts.py)."""
    scope = aggregates.where(user, snapshot)
    opened = facts.sums(scope, None, None, ["open"])
    overdue = sum(
        row["found"] for row in aggregates.late_rollup(user=user, filters=snapshot, now=now)
    )
    by_month = facts.sums(scope, year.start, year.end, ["received", "recovered_fen"], group="month")
    received = sum(row["received"] for row in by_month if row["group"] == month.start)
    recovered = facts.yuan(sum(row["recovered_fen"] for row in by_month))
    return (opened[0]["open"] if opened else 0), overdue, received, recovered


home.register(10, today_section)
home.register(20, key_figures_section)
