"""The one deadline mechanism: open, pause, resume, extend, close clocks of working days, keep
them in line with the calendar, and the sweep that reminds and escalates.

Every clock is a Deadline row; nothing waits in a Celery countdown. The sweep (beat, every few
minutes) claims due rows with SELECT … FOR UPDATE SKIP LOCKED, moves them on with the same
transaction that writes their notifications, and loops until nothing is due, so:
- two sweeps at once take disjoint rows;
- a worker killed mid-sweep rolls back and the next sweep does the work;
- a sweep after a gap catches up every step it missed (a deadline two levels overdue is
  escalated twice in one sweep);
- each reminder and each escalation step is sent once per due date: the notification's
  dedupe key (deadline, due date, step) is unique in the database.

Per kind of clock (arrears.deadline_kinds): the reminder steps, sent one by one, each once per
due date, and the reasons the clock pauses for.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears import audit, config, locks, offices, workdays
from arrears.bulkinsert import insert_unnest

# The kinds' registry and rules, named here too: apps register through
# arrears.deadlines.KIND_LABELS and call these as deadlines.<name>.
from arrears.deadline_kinds import KIND_DEFAULTS as KIND_DEFAULTS
from arrears.deadline_kinds import KIND_LABELS as KIND_LABELS
from arrears.deadline_kinds import PAUSE_REASONS as PAUSE_REASONS
from arrears.deadline_kinds import kind_defaults as kind_defaults
from arrears.deadline_kinds import pause_rules as pause_rules
from arrears.deadline_kinds import pauses_for as pauses_for
from arrears.deadline_kinds import reminder_steps as reminder_steps
from arrears.models import County, Deadline, DeadlineState, Notification, Role, User
from arrears.models.deadlines import RUNNING_STATES
from arrears.notifications import (
    Renderer,
    Text,
    copies_enqueue,
    digest_roles,
    held_channels,
)

RUNNING = RUNNING_STATES
SWEEP_BATCH = 500


def ladder(city: int | None = None) -> list[int]:
    """The escalation ladder in force in `city` (each city may set its own)."""
    raw = str(config.get("deadline.escalation_ladder", city=city))
    try:
        steps = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        raise ValidationError(_("升级阶梯格式应为逗号分隔的工作日数，如 0,2")) from exc
    return sorted(steps)


def _city_of(county_id: int | None) -> int | None:
    if county_id is None:
        return None
    return County.objects.values_list("city_id", flat=True).filter(pk=county_id).first()


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time.min), timezone.get_default_timezone()
    )


def _step_day(
    calendar: workdays.WorkCalendar, started_on: datetime.date, due: datetime.date, step: int
) -> datetime.date:
    """The day a reminder `step` working days before `due` is sent: never before the start
    (a clock shorter than the step is reminded when it starts)."""
    day = calendar.add_working_days(due, -step) if step else due
    return max(day, started_on)


def _pending(steps: Sequence[int], reminded_step: int | None) -> list[int]:
    """The steps still to send: those nearer the due date than the last one sent."""
    return [s for s in steps if reminded_step is None or s < reminded_step]


def clock(
    calendar: workdays.WorkCalendar,
    started_on: datetime.date,
    total_days: int,
    reminders: int | Sequence[int],
    level: int,
    steps: list[int],
    *,
    reminded_step: int | None = None,
) -> dict[str, Any]:
    """Due date and time, next reminder time, next escalation and provisional flag: a function
    of start, length, reminder steps (one number: a single step), the last step sent and the
    escalation level only, so deadlines sharing them share the result. `remind_at` is NULL
    once every step was sent."""
    due = calendar.add_working_days(started_on, total_days)
    offsets = [reminders] if isinstance(reminders, int) else sorted(reminders, reverse=True)
    pending = _pending(offsets, reminded_step)
    remind_at = _midnight(_step_day(calendar, started_on, due, pending[0])) if pending else None
    next_step = None
    if level < len(steps):
        next_step = calendar.end_of_working_day(calendar.add_working_days(due, steps[level]))
    return {
        "due_date": due,
        "due_at": calendar.end_of_working_day(due),
        "remind_at": remind_at,
        "next_escalation_at": next_step,
        "provisional": calendar.is_provisional(started_on, due),
    }


def _apply_clock(deadline: Deadline, *, now: datetime.datetime | None = None) -> None:
    """Recompute a deadline in memory; if its due time moved into the future, its reminders
    and escalation start over (they are per due date) — unless its first reminder is already
    past, when the steps sent stay sent, as before the move."""
    now = now or timezone.now()
    if deadline.calendar_hours is not None:
        return  # calendar time: set once when opened (deadline_open_hours), never moved
    old_due = deadline.due_date if deadline.pk else None
    city = _city_of(deadline.county_id)
    calendar = workdays.get_calendar()
    reminders = reminder_steps(deadline.kind, city)
    total = deadline.working_days + deadline.extended_days
    values = clock(calendar, deadline.started_on, total, reminders, 0, ladder(city))
    moved = old_due is not None and values["due_date"] != old_due
    if old_due is None or (moved and values["due_at"] > now):
        deadline.escalation_level = 0
        if values["remind_at"] is not None and values["remind_at"] > now:
            deadline.reminded_at, deadline.reminded_step = None, None
    values = clock(
        calendar,
        deadline.started_on,
        total,
        reminders,
        deadline.escalation_level,
        ladder(city),
        reminded_step=deadline.reminded_step,
    )
    for name, value in values.items():
        setattr(deadline, name, value)
    if deadline.state == DeadlineState.PAUSED:
        deadline.next_escalation_at = None  # a paused clock does not escalate


def deadline_open(
    *,
    subject: models.Model,
    kind: str,
    started_on: datetime.date,
    working_days: int,
    county_id: int | None = None,
    department_id: int | None = None,
    owner: User | None = None,
) -> Deadline:
    """Start a clock of `working_days` working days for `subject`."""
    if working_days <= 0:
        raise ValidationError(_("办理时限必须大于0个工作日"))
    deadline = Deadline(
        content_type=ContentType.objects.get_for_model(subject),
        object_id=subject.pk,
        kind=kind,
        started_on=started_on,
        working_days=working_days,
        county_id=county_id,
        department_id=department_id,
        owner=owner,
    )
    _apply_clock(deadline)
    try:
        with transaction.atomic():
            deadline.save()
    except IntegrityError as exc:
        raise ValidationError(_("该事项已有进行中的同类时限")) from exc
    return deadline


def deadline_open_hours(
    *,
    subject: models.Model,
    kind: str,
    starts_at: datetime.datetime,
    hours: int,
    county_id: int | None = None,
    department_id: int | None = None,
    owner: User | None = None,
) -> Deadline:
    """Start a clock of `hours` calendar hours for `subject` (weekends and holidays count):
    due at `starts_at` + `hours`, escalated from that moment like the other clocks (later
    steps of the ladder in working days after it), reminded when half of it — at most the
    reminder lead in days — is left. It is not paused or extended: the statute's hours run."""
    if hours <= 0:
        raise ValidationError(_("办理时限必须大于0小时"))
    due_at = starts_at + datetime.timedelta(hours=hours)
    city = _city_of(county_id)
    lead_days = int(config.get("deadline.reminder_working_days", city=city))
    lead = min(datetime.timedelta(days=lead_days), datetime.timedelta(hours=hours) / 2)
    steps = ladder(city)
    calendar = workdays.get_calendar()
    due_date = timezone.localdate(due_at)
    first_step = (
        due_at
        if not steps or steps[0] == 0
        else calendar.end_of_working_day(calendar.add_working_days(due_date, steps[0]))
    )
    deadline = Deadline(
        content_type=ContentType.objects.get_for_model(subject),
        object_id=subject.pk,
        kind=kind,
        started_on=timezone.localdate(starts_at),
        # The length in whole days, for the check constraint and for readers that show
        # `working_days`; the clock itself is `calendar_hours`.
        working_days=max(1, -(-hours // 24)),
        calendar_hours=hours,
        due_date=due_date,
        due_at=due_at,
        remind_at=due_at - lead,
        next_escalation_at=first_step if steps else None,
        provisional=False,
        county_id=county_id,
        department_id=department_id,
        owner=owner,
    )
    try:
        with transaction.atomic():
            deadline.save()
    except IntegrityError as exc:
        raise ValidationError(_("该事项已有进行中的同类时限")) from exc
    return deadline


def _locked(deadline: Deadline) -> Deadline:
    return locks.lock_row(Deadline.objects.all(), pk=deadline.pk)


def deadline_close(*, deadline: Deadline, at: datetime.datetime | None = None) -> bool:
    """Stop a running clock: met if before its due time, missed otherwise. A conditional
    update, so two closes at once record one outcome; returns whether this call closed it."""
    at = at or timezone.now()
    state = DeadlineState.MET if at <= deadline.due_at else DeadlineState.MISSED
    closed = Deadline.objects.filter(pk=deadline.pk, state__in=RUNNING).update(
        state=state, closed_at=at, next_escalation_at=None
    )
    if closed:
        deadline.state, deadline.closed_at = state, at
    return bool(closed)


def deadline_cancel(*, deadline: Deadline, at: datetime.datetime | None = None) -> bool:
    return bool(
        Deadline.objects.filter(pk=deadline.pk, state__in=RUNNING).update(
            state=DeadlineState.CANCELLED, closed_at=at or timezone.now(), next_escalation_at=None
        )
    )


def deadline_pause(
    *, deadline: Deadline, at: datetime.datetime | None = None, reason: str = ""
) -> Deadline:
    """Stop the clock while the matter waits on something outside the unit (e.g. arbitration);
    `reason` (PAUSE_REASONS, or "" for a pause by hand) is kept so that only the end of that
    wait resumes it."""
    with transaction.atomic():
        current = _locked(deadline)
        if current.state != DeadlineState.OPEN:
            raise ValidationError(_("只有进行中的时限可以暂停"))
        current.state = DeadlineState.PAUSED
        current.paused_at = at or timezone.now()
        current.pause_reason = reason
        current.next_escalation_at = None
        current.save(update_fields=["state", "paused_at", "pause_reason", "next_escalation_at"])
    return current


def deadline_resume(*, deadline: Deadline, at: datetime.datetime | None = None) -> Deadline:
    """Restart a paused clock; the working days it stood still are added to it."""
    at = at or timezone.now()
    with transaction.atomic():
        current = _locked(deadline)
        if current.state != DeadlineState.PAUSED or current.paused_at is None:
            raise ValidationError(_("该时限未暂停"))
        paused_from = timezone.localdate(current.paused_at)
        stood_still = max(workdays.working_days_between(paused_from, timezone.localdate(at)), 0)
        current.extended_days += stood_still
        current.state = DeadlineState.OPEN
        current.paused_at = None
        current.pause_reason = ""
        _apply_clock(current, now=at)
        current.save()
    return current


def deadlines_pause_for(
    *,
    subject: models.Model,
    reason: str,
    city: int | None,
    at: datetime.datetime | None = None,
) -> list[Deadline]:
    """Pause every open clock of `subject` whose kind is configured to pause for `reason` in
    `city`; returns those paused. A clock already paused (for another reason) stays so; a
    clock of calendar hours never pauses (the statute's hours run)."""
    if reason not in PAUSE_REASONS:
        raise ValueError(reason)
    return [
        deadline_pause(deadline=d, at=at, reason=reason)
        for d in Deadline.objects.for_subject(subject)
        .open()
        .filter(calendar_hours__isnull=True)
        .order_by("pk")
        if pauses_for(d.kind, reason, city)
    ]


def deadlines_resume_for(
    *, subject: models.Model, reason: str, at: datetime.datetime | None = None
) -> list[Deadline]:
    """Resume the clocks of `subject` paused for `reason` (and only those: a clock waiting on
    arbitration does not start again because an extension was decided)."""
    return [
        deadline_resume(deadline=d, at=at)
        for d in Deadline.objects.for_subject(subject)
        .filter(state=DeadlineState.PAUSED, pause_reason=reason)
        .order_by("pk")
    ]


def deadline_extend(*, deadline: Deadline, working_days: int) -> Deadline:
    """Add working days to a running clock (an approved extension)."""
    if working_days <= 0:
        raise ValidationError(_("延长的工作日数必须大于0"))
    with transaction.atomic():
        current = _locked(deadline)
        if current.state not in RUNNING:
            raise ValidationError(_("该时限已结束，不能延长"))
        current.extended_days += working_days
        _apply_clock(current)
        current.save()
    return current


def deadline_set_length(*, deadline: Deadline, working_days: int) -> Deadline:
    """Change a running clock's length (e.g. a case's class changed after filing)."""
    if working_days <= 0:
        raise ValidationError(_("办理时限必须大于0个工作日"))
    with transaction.atomic():
        current = _locked(deadline)
        if current.state not in RUNNING:
            raise ValidationError(_("该时限已结束"))
        current.working_days = working_days
        _apply_clock(current)
        current.save()
    return current


def deadlines_recompute() -> int:
    """Recompute every running deadline against the calendar in force (after a calendar or
    configuration change). Idempotent; returns how many changed.

    Deadlines with the same kind, start, length, escalation level and last reminder step
    share their clock, so the work is one conditional UPDATE per distinct group — a few
    thousand for a city — touching only rows whose stored values differ (row-by-row
    bulk_update was ~25x slower than SQL, docs/performance.md)."""
    calendar = workdays.get_calendar()
    changed = 0
    for state in RUNNING:
        # Clocks of calendar hours do not depend on the calendar.
        running = Deadline.objects.filter(state=state, calendar_hours__isnull=True)
        # Grouped by city and kind too: each city's reminder steps and ladder are its own,
        # and each kind's steps.
        fields = (
            "county__city_id",
            "kind",
            "started_on",
            "working_days",
            "extended_days",
            "escalation_level",
            "reminded_step",
        )
        groups = running.order_by().values_list(*fields).distinct()
        for city, kind, started_on, days, extra, level, step in list(groups):
            values = clock(
                calendar,
                started_on,
                days + extra,
                reminder_steps(kind, city),
                level,
                ladder(city),
                reminded_step=step,
            )
            if state == DeadlineState.PAUSED:
                values["next_escalation_at"] = None
            with transaction.atomic():
                changed += (
                    running.filter(
                        **dict(
                            zip(
                                fields,
                                (city, kind, started_on, days, extra, level, step),
                                strict=True,
                            )
                        )
                    )
                    .exclude(models.Q(**values))
                    .update(**values)
                )
    return changed


# --- The sweep ------------------------------------------------------------------------------
# Work per batch of due rows is a constant number of queries: claim, load subjects, cached
# recipients, grouped updates, one bulk insert of notifications. A sweep's cost grows with
# the rows that are due, not with the rows that are open (docs/performance.md).


class Clock(NamedTuple):
    """A claimed deadline as the sweep reads it: the columns it needs, no model instance (for
    10,000 due rows the instances cost more than the statements that write their steps)."""

    pk: int
    content_type_id: int
    object_id: int
    kind: str
    county_id: int | None
    department_id: int | None
    owner_id: int | None
    started_on: datetime.date
    due_date: datetime.date
    due_at: datetime.datetime
    calendar_hours: int | None
    escalation_level: int
    next_escalation_at: datetime.datetime | None
    reminded_step: int | None
    reminded_at: datetime.datetime | None
    remind_at: datetime.datetime | None


class DeadlineBrief(NamedTuple):
    """What the sweep's messages say of a clock's subject. A subject model may give these for
    many rows at once through a classmethod `deadline_briefs(pks) -> {pk: DeadlineBrief}`
    (complaints' cases, the most of the clocks, read a few columns); for other models the
    sweep loads the instances and asks each for `str()`, `get_absolute_url()` and
    `notification_urgent()` where it has them."""

    text: str  # how a message names the subject
    url: str = ""
    urgent: bool = False  # reminders and escalations are sent at once, never held for a digest
    escalate_to: tuple[int, ...] = ()  # users who also hear of escalations from level 2 on


def _brief_of(obj: Any) -> DeadlineBrief:
    url = getattr(obj, "get_absolute_url", None)
    says = getattr(obj, "notification_urgent", None)
    return DeadlineBrief(
        text=str(obj),
        url=str(url()) if callable(url) else "",
        urgent=bool(says()) if callable(says) else False,
    )


def _briefs(clocks: Sequence[Clock]) -> dict[tuple[int, int], DeadlineBrief]:
    """The briefs of the clocks' subjects, one query per subject type; a subject that is
    gone is left out (its messages name the clock's kind)."""
    by_type: dict[int, set[int]] = {}
    for c in clocks:
        by_type.setdefault(c.content_type_id, set()).add(c.object_id)
    briefs: dict[tuple[int, int], DeadlineBrief] = {}
    for type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        batch = getattr(model, "deadline_briefs", None)
        if callable(batch):
            found: dict[Any, DeadlineBrief] = batch(ids)
        else:
            found = {pk: _brief_of(obj) for pk, obj in model._base_manager.in_bulk(ids).items()}
        briefs.update({(type_id, pk): brief for pk, brief in found.items()})
    return briefs


class _Recipients:
    """Who hears about a deadline, cached for the length of one sweep."""

    def __init__(self) -> None:
        self._staff: dict[int | None, list[User]] = {}
        self._escalation: dict[tuple[int | None, int | None, int], list[User]] = {}
        self._city: dict[tuple[int | None, int], list[User]] = {}
        self._city_of: dict[int, int] | None = None
        self._users: dict[int, User | None] = {}  # owners and named users, None if inactive

    def load(self, ids: set[int]) -> None:
        """Owners and users a subject names, for a batch in one query."""
        missing = ids - self._users.keys()
        if missing:
            found = User.objects.filter(is_active=True).in_bulk(missing)
            self._users.update({pk: found.get(pk) for pk in missing})

    def staff(self, clock: Clock) -> list[User]:
        owner = self._users.get(clock.owner_id) if clock.owner_id else None
        if owner is not None:
            return [owner]
        key = clock.department_id
        if key not in self._staff:
            self._staff[key] = (
                list(
                    User.objects.filter(
                        is_active=True,
                        department_id=key,
                        role__in=[Role.INSPECTOR, Role.DEPARTMENT_OFFICIAL],
                    )
                )
                if key
                else []
            )
        return self._staff[key]

    def city_of(self, clock: Clock) -> int | None:
        if clock.county_id is None:
            return None
        if self._city_of is None:  # a few dozen counties: one query per sweep
            self._city_of = dict(County.objects.values_list("pk", "city_id"))
        return self._city_of.get(clock.county_id)

    def city(self, city_id: int | None, level: int) -> list[User]:
        """The deadline's city office (and from level 2 its leaders); the province office
        for a clock no city holds."""
        key = (city_id, level)
        if key not in self._city:
            self._city[key] = list(offices.office_users(city_id=city_id, leaders=level >= 2))
        return self._city[key]

    def escalation(self, clock: Clock, level: int, brief: DeadlineBrief | None) -> list[User]:
        """Level 1: the county's officials (its city's office where there are none); level 2
        and above: that city's office and city leaders, plus whoever the subject names (e.g. the
        leader who owns a major case). The list is shared by the clocks of one county and
        level: callers read it, never change it."""
        key = (clock.county_id, self.city_of(clock), level)
        users = self._escalation.get(key)
        if users is None:
            users = []
            if level == 1 and clock.county_id is not None:
                users = list(
                    User.objects.filter(
                        is_active=True, role=Role.COUNTY_OFFICIAL, county_id=clock.county_id
                    )
                )
            if not users or level >= 2:
                users += self.city(self.city_of(clock), level)
            users = self._escalation[key] = list({u.pk: u for u in users}.values())
        if level < 2 or brief is None or not brief.escalate_to:
            return users
        self.load(set(brief.escalate_to))
        named = [u for pk in brief.escalate_to if (u := self._users.get(pk)) is not None]
        return list({u.pk: u for u in [*users, *named]}.values())


_CLOCK_COLUMNS = Clock._fields


def _clock_of(deadline: Deadline) -> Clock:
    return Clock._make(getattr(deadline, name) for name in _CLOCK_COLUMNS)


def escalation_recipients(deadline: Deadline, level: int) -> list[User]:
    clock = _clock_of(deadline)
    brief = None
    if clock.content_type_id is not None:  # a clock without a subject names nobody more
        brief = _briefs([clock]).get((clock.content_type_id, clock.object_id))
    return list(_Recipients().escalation(clock, level, brief))


def _named(clock: Clock, brief: DeadlineBrief | None) -> str:
    """How a message names the clock's subject; by the clock's kind if the subject is gone."""
    return brief.text if brief is not None else clock.kind


def _urgent(brief: DeadlineBrief | None, level: int = 0) -> bool:
    """Sent at once by e-mail/SMS, never held for a digest: an escalation that reaches the city
    leaders (level 2 and above), or a subject that says it is urgent (a major case, a
    zero-tolerance project)."""
    return level >= 2 or (brief is not None and brief.urgent)


def _claim(
    filters: dict[str, Any], by: str
) -> tuple[list[Clock], dict[tuple[int, int], DeadlineBrief]]:
    """The next SWEEP_BATCH due rows, most due first, that no other sweep holds, with their
    subjects' briefs. Ordered by the time `by` the partial index on it is kept
    (deadline_escalation_idx, deadline_open_remind_step_idx): the scan stops at the first
    row not due, so an idle sweep reads a page or two however many clocks run. Ordered by pk
    instead, the planner walked the primary key filtering every running clock when its
    statistics still expected due rows (tens of ms at 1,000,000). SKIP LOCKED never waits,
    so the order is no deadlock matter."""
    qs = Deadline.objects.filter(state=DeadlineState.OPEN, **filters).order_by(by, "pk")
    rows = locks.claim_rows(qs).values_list(*_CLOCK_COLUMNS)[:SWEEP_BATCH]
    clocks = [Clock._make(row) for row in rows]
    return clocks, _briefs(clocks) if clocks else {}


# clock, subject's brief, recipients, kind, title, dedupe key, urgent
_Message = tuple[Clock, DeadlineBrief | None, list[User], str, Text, str, bool]

# The messages' texts, module constants so that each is translated once per language and
# sweep (Renderer), not once per recipient.
REMINDER_TITLE = gettext_lazy("即将到期：%(s)s")
# A step before the due day says how many working days are left (5 and 1 read differently).
REMINDER_STEP_TITLE = gettext_lazy("还有%(n)s个工作日到期：%(s)s")
ESCALATION_TITLE = gettext_lazy("已逾期（第%(l)s级督办）：%(s)s")
DUE_BODY = gettext_lazy("到期时间：%(d)s")


def _send(messages: list[_Message], *, sms: bool = False, render: Renderer | None = None) -> None:
    """Inbox rows for a batch in one insert, each in its recipient's language; the unique
    (recipient, dedupe key) drops any already sent. Their e-mail (and, for escalations, SMS)
    copies go to the outbox in the same transaction."""

    render = render or Renderer()
    roles = digest_roles()
    rows: list[dict[str, Any]] = []
    users: dict[int, User] = {}
    # Clocks end at the close of a working day: a batch has few distinct due times.
    bodies: dict[datetime.datetime, Text] = {}
    for clock, brief, recipients, kind, title, key, urgent in messages:
        # ContentType's own cache: no query per row.
        content_type = ContentType.objects.get_for_id(clock.content_type_id)
        body = bodies.get(clock.due_at)
        if body is None:
            local = timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M")
            body = bodies[clock.due_at] = Text(DUE_BODY, d=local)
        url = brief.url if brief is not None else ""
        for u in recipients:
            users[u.pk] = u
            rows.append(
                {
                    "recipient_id": u.pk,
                    "kind": kind,
                    "title": render(u, title)[:200],
                    "body": render(u, body),
                    "url": url,
                    "dedupe_key": key,
                    "subject_type": f"{content_type.app_label}.{content_type.model}",
                    "subject_id": str(clock.object_id),
                    "urgent": urgent,
                    "digest_channels": held_channels(
                        u, kind=kind, urgent=urgent, email=True, sms=sms, roles=roles
                    ),
                }
            )
    if not rows:
        return
    using = router.db_for_write(Notification)
    if connections[using].vendor != "postgresql":
        _send_orm(rows, users, sms=sms)
        return
    # One INSERT … SELECT FROM unnest per chunk, skipping the keys already sent (a sweep
    # after a crash, a second sweep); RETURNING says which rows are new, so only those get
    # copies, and only recipients with an address a copy could go to are looked at again.
    # Only ids come back: the texts are the rows' own, found again by (recipient, key).
    fresh = []
    for start in range(0, len(rows), 1000):
        fresh += insert_unnest(
            Notification,
            rows[start : start + 1000],
            using=using,
            skip_conflicts=True,
            returning=("id", "recipient", "dedupe_key"),
        )
    written = {(row["recipient_id"], row["dedupe_key"]): row for row in rows}
    copies = []
    for pk, user_id, key in fresh:
        user = users[user_id]
        if user.email or (sms and user.phone):
            row = written[(user_id, key)]
            copies.append(
                Notification(
                    pk=pk,
                    recipient=user,
                    title=row["title"],
                    body=row["body"],
                    url=row["url"],
                    digest_channels=row["digest_channels"],
                )
            )
    copies_enqueue(copies, email=True, sms=sms)


def _send_orm(rows: list[dict[str, Any]], users: dict[int, User], *, sms: bool) -> None:
    """_send elsewhere than PostgreSQL (the embedded SQLite): bulk_create, then read back."""
    Notification.objects.bulk_create(
        [Notification(**row) for row in rows], ignore_conflicts=True, batch_size=1000
    )
    keys = {row["dedupe_key"] for row in rows}
    # ignore_conflicts leaves the new rows without ids: read back the ones of these keys that
    # have no copies yet (the claimed deadlines' row locks keep other sweeps off these keys).
    fresh = Notification.objects.filter(
        dedupe_key__in=keys, deliveries__isnull=True, emailed_at__isnull=True
    ).select_related("recipient")
    copies_enqueue(fresh, email=True, sms=sms)


_REMINDED = ("reminded_at", "reminded_step", "remind_at")


def sweep_reminders(*, now: datetime.datetime) -> int:
    """Send the reminder step due on each claimed clock and store it as the last step sent,
    with the time of the next step (NULL after the last). A sweep that finds several steps
    due (it did not run for days, or the clock is shorter than its steps) sends only the
    nearest to the due date: the earlier ones have nothing to add, and they stay unsent."""
    calendar: workdays.WorkCalendar | None = None
    recipients = _Recipients()
    render = Renderer()
    steps_of: dict[tuple[str, int | None], list[int]] = {}
    fields = [cast("models.Field[Any, Any]", Deadline._meta.get_field(n)) for n in _REMINDED]
    done = 0
    while True:
        with transaction.atomic():
            rows, briefs = _claim({"remind_at__lte": now}, "remind_at")
            if not rows:
                return done
            recipients.load({d.owner_id for d in rows if d.owner_id is not None})
            # Read when there is work: an idle sweep is the claim's one index probe.
            calendar = calendar or workdays.get_calendar()
            groups: dict[tuple[bool, int | None, datetime.datetime | None], list[int]] = {}
            messages: list[_Message] = []
            before, after = {}, {}
            for d in rows:
                city = recipients.city_of(d)
                if (d.kind, city) not in steps_of:
                    steps_of[(d.kind, city)] = reminder_steps(d.kind, city)
                if d.calendar_hours is not None:
                    # A clock of calendar hours has its one reminder at the time it was
                    # opened with (deadline_open_hours), recorded as step 0.
                    pending = [0] if d.reminded_step is None else []
                    due_now = pending
                else:
                    pending = _pending(steps_of[(d.kind, city)], d.reminded_step)
                    due_now = [
                        s
                        for s in pending
                        if _midnight(_step_day(calendar, d.started_on, d.due_date, s)) <= now
                    ]
                # None due (the steps changed since remind_at was stored): only move it on.
                sent = due_now[-1] if due_now else d.reminded_step
                rest = _pending(pending, sent) if due_now else pending
                following = (
                    _midnight(_step_day(calendar, d.started_on, d.due_date, rest[0]))
                    if rest
                    else None
                )
                groups.setdefault((bool(due_now), sent, following), []).append(d.pk)
                before[d.pk] = (d.reminded_at, d.reminded_step, d.remind_at)
                after[d.pk] = (now if due_now else d.reminded_at, sent, following)
                if due_now:
                    brief = briefs.get((d.content_type_id, d.object_id))
                    named = _named(d, brief)
                    left = (
                        0
                        if d.calendar_hours is not None
                        else calendar.working_days_between(
                            _step_day(calendar, d.started_on, d.due_date, due_now[-1]),
                            d.due_date,
                        )
                    )
                    title = (
                        Text(REMINDER_STEP_TITLE, n=left, s=named)
                        if left > 0
                        else Text(REMINDER_TITLE, s=named)
                    )
                    messages.append(
                        (
                            d,
                            brief,
                            recipients.staff(d),
                            "deadline.reminder",
                            title,
                            f"deadline:{d.pk}:{d.due_date}:remind:{sent}",
                            _urgent(brief),
                        )
                    )
            # As for escalations: the claim holds the row locks and loaded the values before.
            with audit.suspended():
                for (reminded, sent, following), ids in groups.items():
                    values: dict[str, Any] = {"reminded_step": sent, "remind_at": following}
                    if reminded:
                        values["reminded_at"] = now
                    Deadline.objects.filter(pk__in=ids).update(**values)
            audit.record_updates(Deadline, fields, before, after)
            _send(messages, render=render)
            done += len(messages)


_ESCALATED = ("escalation_level", "next_escalation_at")


def sweep_escalations(*, now: datetime.datetime) -> int:
    calendar: workdays.WorkCalendar | None = None
    recipients = _Recipients()
    render = Renderer()
    ladders: dict[int | None, list[int]] = {}
    next_steps: dict[tuple[int | None, datetime.date, int], datetime.datetime | None] = {}
    fields = [cast("models.Field[Any, Any]", Deadline._meta.get_field(n)) for n in _ESCALATED]
    done = 0
    while True:
        with transaction.atomic():
            rows, briefs = _claim({"next_escalation_at__lte": now}, "next_escalation_at")
            if not rows:
                return done
            # Read when there is work: an idle sweep is the claim's one index probe.
            calendar = calendar or workdays.get_calendar()
            groups: dict[tuple[int, datetime.datetime | None], list[int]] = {}
            messages: list[_Message] = []
            before, after = {}, {}
            for deadline in rows:
                brief = briefs.get((deadline.content_type_id, deadline.object_id))
                level = deadline.escalation_level + 1
                city = recipients.city_of(deadline)
                if city not in ladders:
                    ladders[city] = ladder(city)
                steps = ladders[city]
                # Clocks due the same day climb to the same next step: reckoned once.
                step_key = (city, deadline.due_date, level)
                if step_key not in next_steps:
                    next_steps[step_key] = (
                        calendar.end_of_working_day(
                            calendar.add_working_days(deadline.due_date, steps[level])
                        )
                        if level < len(steps)
                        else None
                    )
                following = next_steps[step_key]
                groups.setdefault((level, following), []).append(deadline.pk)
                before[deadline.pk] = (deadline.escalation_level, deadline.next_escalation_at)
                after[deadline.pk] = (level, following)
                messages.append(
                    (
                        deadline,
                        brief,
                        recipients.escalation(deadline, level, brief),
                        "deadline.escalation",
                        Text(ESCALATION_TITLE, l=level, s=_named(deadline, brief)),
                        f"deadline:{deadline.pk}:{deadline.due_date}:escalate:{level}",
                        _urgent(brief, level),
                    )
                )
            # The claim holds the row locks, so the plain updates below cannot race, and the
            # values loaded with the claim are the values before: the trail is written from
            # them (audit.record_updates) instead of locking and reading the rows once more.
            with audit.suspended():
                for (level, following), ids in groups.items():
                    Deadline.objects.filter(pk__in=ids).update(
                        escalation_level=level, next_escalation_at=following
                    )
            audit.record_updates(Deadline, fields, before, after)
            _send(messages, sms=True, render=render)
            done += len(rows)


def deadlines_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Send every reminder and escalation step that is due; safe to run at any time, twice."""
    now = now or timezone.now()
    return {"reminded": sweep_reminders(now=now), "escalated": sweep_escalations(now=now)}
