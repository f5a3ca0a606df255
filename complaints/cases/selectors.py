"""Reads of case handling, each narrowed by the one scoping function."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404, QueryDict
from django.utils import timezone

from arrears import config, deadlines, workdays
from arrears.models import Deadline, DeadlineState, Role, User
from arrears.paging import KeysetPage
from arrears.scoping import for_user
from complaints.models import (
    Case,
    CaseEntry,
    CaseQuerySet,
    Complaint,
    ExtensionRequest,
    ExtensionState,
)
from complaints.tracking import normalize_tracking_no


def late_case_clock(now: dt.datetime) -> Exists:
    """For a case queryset: its clock is open past its due time (a paused clock is not late:
    the case waits for an extension decision). The dashboards' overdue cases and the 通报's."""
    return Exists(
        Deadline.objects.filter(
            content_type=ContentType.objects.get_for_model(Case),
            object_id=OuterRef("pk"),
            state=DeadlineState.OPEN,
            due_at__lt=now,
        )
    )


def with_next_due(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate each case with its nearest running due time (the worklist's urgency)."""

    running = Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(Case),
        object_id=OuterRef("pk"),
        state=DeadlineState.OPEN,
    ).order_by("due_at")
    return qs.annotate(
        next_due_at=Subquery(running.values("due_at")[:1]),
        next_due_kind=Subquery(running.values("kind")[:1]),
    )


def case_list(*, user: User) -> CaseQuerySet:
    qs = Case.objects.select_related("county", "department", "owner", "leader")
    return cast(CaseQuerySet, with_next_due(for_user(qs, user)))


def worklist(*, user: User) -> QuerySet[Case]:
    """The inspector's own open cases (owned or on the task team), most urgent first."""

    mine = case_list(user=user).open().filter(Q(owner=user) | Q(team=user)).distinct()
    return mine.order_by(F("next_due_at").asc(nulls_last=True), "created_at")


def case_search(qs: QuerySet[Case], query: str) -> QuerySet[Case]:
    """Cases whose employer, number or project contains `query`, or whose complaint has the
    tracking number `query` (however it was typed). On PostgreSQL the three substrings are
    served by the trigram indexes case_*_trgm_idx, OR-ed as one bitmap; the tracking number is
    looked up first (a unique index) so that the OR stays index-served — a subquery inside it
    would make the planner read every case."""
    tracked = list(
        Complaint.objects.filter(
            tracking_no=normalize_tracking_no(query), case__isnull=False
        ).values_list("case_id", flat=True)[:100]
    )
    return qs.filter(
        Q(employer_name__icontains=query)
        | Q(number__icontains=query)
        | Q(project_name__icontains=query)
        | Q(pk__in=tracked)
    )


def worklist_cases(*, user: User, view: str) -> CaseQuerySet:
    """The cases of a worklist view before paging, without the due-time annotation (the
    keyset page reads the clocks from their own index): "mine" = the user's open cases
    (owned or on the task team); "all" = every case in the user's scope."""
    qs = cast(
        CaseQuerySet,
        for_user(Case.objects.select_related("county", "department", "owner", "leader"), user),
    )
    if view == "mine":
        # A subquery on the team table, not a join: a join would repeat a case the user owns
        # and is on the team of, and the DISTINCT that removed the repeat sorted every row.
        on_team = Case.team.through.objects.filter(user=user).values("case_id")
        qs = qs.open().filter(Q(owner=user) | Q(pk__in=on_team))
    return qs


def _open_case_clocks() -> QuerySet[Deadline]:
    return Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(Case), state=DeadlineState.OPEN
    )


def _nearest_clocks(cases: QuerySet[Case]) -> QuerySet[Deadline]:
    """Each of `cases`' nearest open clock, one row per case (a tie on due_at goes to the
    lower id): what `with_next_due` annotates, read the other way round — in due order from
    the partial index deadline_open_due_idx, each case checked by its primary key, instead of
    a subquery per case and a sort of all of them (24–57 s per page over a million cases)."""
    clocks = _open_case_clocks()
    earlier = clocks.filter(object_id=OuterRef("object_id")).filter(
        Q(due_at__lt=OuterRef("due_at")) | Q(due_at=OuterRef("due_at"), pk__lt=OuterRef("pk"))
    )
    return clocks.filter(object_id__in=cases.order_by().values("pk")).exclude(Exists(earlier))


def _without_clock(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.exclude(Exists(_open_case_clocks().filter(object_id=OuterRef("pk"))))


# A worklist row's sort key: (0, due time, case id) for a case with a running clock, then
# (1, None, case id) for the others, after all of them (nulls last, as the page always was).
_Key = tuple[int, Any, int]


def _clock_key(row: tuple[int, dt.datetime, str]) -> _Key:
    return (0, row[1], row[0])


def worklist_page(
    cases: QuerySet[Case],
    *,
    after: list[Any] | None,
    before: list[Any] | None,
    due: Q | None = None,
    size: int = 50,
    params: QueryDict | None = None,
) -> KeysetPage:
    """A page of `cases` (from `worklist_cases`, filtered) most urgent first: cases by their
    nearest open clock, then those without one; `due` (a condition on the clock's due_at,
    from `urgency_condition(..., field="due_at")`) keeps only cases with a clock that meets
    it. `after` / `before` are a neighbouring page's cursor. Each case carries next_due_at
    and next_due_kind, as `case_list` annotates them. Three or four queries, none counting."""
    clocks = _nearest_clocks(cases)
    if due is not None:
        clocks = clocks.filter(due)
    with_clock = clocks.values_list("object_id", "due_at", "kind")
    others = None if due is not None else _without_clock(cases).values_list("pk", flat=True)
    key = _parse_key(before if before is not None else after)
    backwards = before is not None and key is not None
    rows: list[tuple[_Key, str | None]] = []
    if not backwards:
        if key is None or key[0] == 0:
            part = with_clock.order_by("due_at", "object_id")
            if key is not None:
                # The leading bound lets the index start at the cursor; the OR breaks ties.
                part = part.filter(
                    Q(due_at__gt=key[1]) | Q(due_at=key[1], object_id__gt=key[2]),
                    due_at__gte=key[1],
                )
            rows += [(_clock_key(r), r[2]) for r in part[: size + 1]]
        if len(rows) <= size and others is not None:
            rest = others.order_by("pk")
            if key is not None and key[0] == 1:
                rest = rest.filter(pk__gt=key[2])
            rows += [((1, None, pk), None) for pk in rest[: size + 1 - len(rows)]]
        more, rows = len(rows) > size, rows[:size]
        has_next, has_previous = more, key is not None
    else:
        assert key is not None
        if key[0] == 1 and others is not None:
            rows += [
                ((1, None, pk), None)
                for pk in others.filter(pk__lt=key[2]).order_by("-pk")[: size + 1]
            ]
        if len(rows) <= size:
            part = with_clock.order_by("-due_at", "-object_id")
            if key[0] == 0:
                part = part.filter(
                    Q(due_at__lt=key[1]) | Q(due_at=key[1], object_id__lt=key[2]),
                    due_at__lte=key[1],
                )
            rows += [(_clock_key(r), r[2]) for r in part[: size + 1 - len(rows)]]
        more, rows = len(rows) > size, rows[:size][::-1]
        has_next, has_previous = True, more
    found = cases.in_bulk([k[2] for k, _kind in rows])
    page = []
    for (_segment, due_at, pk), kind in rows:
        case = found.get(pk)
        if case is not None:  # closed or moved out of scope since the clock was read
            case.next_due_at, case.next_due_kind = due_at, kind  # type: ignore[attr-defined]
            page.append(case)
    edge = _cursor(key) if key is not None else None
    return KeysetPage(
        page,
        first_key=_cursor(rows[0][0]) if rows else edge,
        last_key=_cursor(rows[-1][0]) if rows else edge,
        has_next=has_next and bool(rows),
        has_previous=has_previous,
        params=params,
    )


def _cursor(key: _Key) -> list[Any]:
    return [key[0], key[1].isoformat() if key[1] is not None else None, key[2]]


def _parse_key(raw: list[Any] | None) -> _Key | None:
    """A cursor from the query string, checked field by field (it is user input)."""
    if raw is None or len(raw) != 3:
        return None
    segment, due, pk = raw
    if segment not in (0, 1) or isinstance(pk, bool) or not isinstance(pk, int):
        return None
    if segment == 1:
        return (1, None, pk)
    try:
        due_at = dt.datetime.fromisoformat(due) if isinstance(due, str) else None
    except ValueError:
        return None
    if due_at is None or due_at.tzinfo is None:
        return None
    return (0, due_at, pk)


def pending_extension(*, case: Case) -> ExtensionRequest | None:
    """The case's extension request awaiting a decision (one at most, by the workflow)."""
    return case.extensions.filter(state=ExtensionState.PENDING).first()


def leader_cases(*, user: User) -> QuerySet[Case]:
    """A leader's own major cases (包案), whatever their county."""
    return with_next_due(
        Case.objects.select_related("county", "department", "owner").filter(leader=user)
    ).order_by("-created_at")


def case_detail(*, user: User, pk: int) -> Case:
    qs = Case.objects.select_related(
        "county", "department", "owner", "leader", "project"
    ).prefetch_related(
        "team",
        "complaints",
        "warnings__project",  # a case opened from early warnings shows them
        "payments",
        "extensions",
        Prefetch(
            "entries",
            queryset=CaseEntry.objects.select_related("actor").prefetch_related("attachments"),
        ),
    )
    found = qs.visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def case_deadlines(*, case: Case) -> Any:
    return Deadline.objects.for_subject(case).order_by("created_at")


@dataclass(frozen=True)
class ClockRow:
    """A clock on the case page: the row, and for a running one whether it pauses for each
    reason (the configuration of its kind in the case's city) and why it is paused."""

    deadline: Deadline
    running: bool
    pause_rules: list[tuple[str, Any, bool]]
    paused_for: Any


def case_clocks(*, case: Case) -> list[ClockRow]:
    city = case.county.city_id
    rows = []
    for d in case_deadlines(case=case):
        running = d.state in deadlines.RUNNING
        rows.append(
            ClockRow(
                deadline=d,
                running=running,
                pause_rules=deadlines.pause_rules(d.kind, city) if running else [],
                paused_for=deadlines.PAUSE_REASONS.get(d.pause_reason, "")
                if d.state == DeadlineState.PAUSED
                else "",
            )
        )
    return rows


URGENCIES = ("overdue", "today", "soon")


def urgency_condition(urgency: str, now: Any, field: str = "next_due_at") -> Any:
    """The cases `case_urgency` calls `urgency` ("overdue", "today", "soon"), as a condition on
    the annotated next_due_at: the worklist's filter and the home page's counts use it, so a
    number and the list it links to agree."""

    def day_end(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))

    today = timezone.localdate(now)
    soon = workdays.add_working_days(today, config.get("case.due_soon_working_days"))
    # `field` is next_due_at on an annotated case list, due_at on the clocks themselves.
    if urgency == "overdue":
        return Q(**{f"{field}__lt": now})
    if urgency == "today":
        return Q(**{f"{field}__gte": now, f"{field}__lt": day_end(today)})
    if urgency == "soon":
        return Q(**{f"{field}__gte": day_end(today), f"{field}__lt": day_end(soon)})
    raise ValueError(urgency)


def urgency_of(now: Any) -> Callable[[Any], str]:
    """A function giving a clock's due time its urgency as of `now`: overdue / today / soon
    (within the configured working days) / later / none (no clock) — the worklist's order and
    badges. The "soon" horizon is worked out once, on the first clock that needs it, not per
    row: each working-day sum checks the calendar's version (two queries), which was two
    queries for every not-yet-due case of a page."""
    today = timezone.localdate(now)
    horizon: list[dt.date] = []

    def urgency(next_due_at: Any) -> str:
        if next_due_at is None:
            return "none"
        if next_due_at < now:
            return "overdue"
        due_day = timezone.localdate(next_due_at)
        if due_day == today:
            return "today"
        if not horizon:
            horizon.append(
                workdays.add_working_days(today, config.get("case.due_soon_working_days"))
            )
        return "soon" if due_day <= horizon[0] else "later"

    return urgency


def case_leader_choices(case: Case) -> QuerySet[User]:
    """Who may lead a major case (包案领导): a leader of the case's city or an official of
    its county — never another city's."""
    return User.objects.filter(is_active=True).filter(
        Q(role=Role.CITY_LEADER, city_id=case.county.city_id)
        | Q(role=Role.COUNTY_OFFICIAL, county_id=case.county_id)
    )
