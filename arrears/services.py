"""Writes of the shared building blocks: the calendar, deadlines, notifications, configuration.

Keyword-only functions named <entity>_<action>; each runs in one transaction and enqueues its
follow-up tasks only after that transaction commits."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import chinese_calendar
import holidays
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears import config, locks, offices
from arrears.enqueue import enqueue
from arrears.models import (
    CalendarDay,
    CalendarYear,
    City,
    ConfigValue,
    DayKind,
    Deadline,
    DeadlineState,
    Notification,
    User,
    YearStatus,
)
from arrears.notifications import (
    Renderable,
    Renderer,
    Text,
    copies_enqueue,
    digest_roles,
    held_channels,
    render_for,
    subject_of,
)

logger = logging.getLogger(__name__)

# --- Calendar -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DaySpec:
    date: datetime.date
    kind: str
    name: str = ""


# The names chinesecalendar uses, in the Chinese of the State Council's announcements.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def _default_kind(day: datetime.date) -> str:
    return DayKind.WEEKEND if day.weekday() >= 5 else DayKind.WORKDAY


def _year_days(year: int) -> list[datetime.date]:
    first = datetime.date(year, 1, 1)
    return [
        first + datetime.timedelta(days=i)
        for i in range((datetime.date(year + 1, 1, 1) - first).days)
    ]


def calendar_schedule_from_library(year: int) -> tuple[list[DaySpec], str, str]:
    """The year's days from chinesecalendar (official State Council data) where it knows the
    year; otherwise from the `holidays` package's China calendar, which estimates the holidays
    but not the make-up workdays, so the result is provisional."""

    specs: list[DaySpec] = []
    try:
        chinese_calendar.is_workday(datetime.date(year, 6, 1))
        known = True
    except NotImplementedError:
        known = False
    if known:
        for day in _year_days(year):
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
            workday = chinese_calendar.is_workday(day)
            if workday:
                kind = DayKind.MAKEUP_WORKDAY if day.weekday() >= 5 else DayKind.WORKDAY
            elif on_holiday and name:
                kind = DayKind.HOLIDAY
            else:
                kind = DayKind.WEEKEND
            label = ""
            if name and kind in (DayKind.HOLIDAY, DayKind.MAKEUP_WORKDAY):
                label = HOLIDAY_NAMES.get(str(name), str(name))
                label = label + "调休" if kind == DayKind.MAKEUP_WORKDAY else label
            specs.append(DaySpec(day, kind, label))
        return specs, YearStatus.OFFICIAL, f"chinesecalendar {chinese_calendar.__version__}"

    estimated = holidays.country_holidays("CN", years=year, language="zh_CN")
    for day in _year_days(year):
        if day in estimated:
            specs.append(DaySpec(day, DayKind.HOLIDAY, str(estimated[day])))
        else:
            specs.append(DaySpec(day, _default_kind(day)))
    return specs, YearStatus.PROVISIONAL, f"holidays {holidays.__version__}（估算，不含调休）"


def calendar_cross_check(year: int) -> list[str]:
    """Where chinesecalendar's official schedule and the `holidays` package's estimate
    disagree about which weekdays are off (make-up days are known to the first only)."""

    official, status, _source = calendar_schedule_from_library(year)
    if status != YearStatus.OFFICIAL:
        return []
    off = {d.date for d in official if d.kind == DayKind.HOLIDAY and d.date.weekday() < 5}
    estimate = holidays.country_holidays("CN", years=year, language="zh_CN")
    guessed = {d for d in estimate if d.weekday() < 5}
    report = [f"{d} 仅 chinesecalendar 为假期" for d in sorted(off - guessed)]
    report += [f"{d} 仅 holidays 估算为假期（{estimate[d]}）" for d in sorted(guessed - off)]
    return report


def calendar_schedule_from_announcement(
    *,
    year: int,
    holidays: Sequence[tuple[datetime.date, datetime.date, str]],
    makeup_days: Sequence[tuple[datetime.date, str]],
) -> list[DaySpec]:
    """A whole year from the State Council's announcement: holiday ranges and make-up days;
    every other day follows the weekday rule."""
    kinds = {day: DaySpec(day, _default_kind(day)) for day in _year_days(year)}
    for start, end, name in holidays:
        if start > end:
            raise ValidationError(_("假期起始日期晚于结束日期：%(s)s") % {"s": start})
        day = start
        while day <= end:
            if day.year != year:
                raise ValidationError(_("%(d)s 不属于 %(y)s 年") % {"d": day, "y": year})
            kinds[day] = DaySpec(day, DayKind.HOLIDAY, name)
            day += datetime.timedelta(days=1)
    for day, name in makeup_days:
        if day.year != year:
            raise ValidationError(_("%(d)s 不属于 %(y)s 年") % {"d": day, "y": year})
        if day.weekday() < 5:
            raise ValidationError(_("调休上班日 %(d)s 不是周末") % {"d": day})
        if kinds[day].kind == DayKind.HOLIDAY:
            raise ValidationError(_("%(d)s 同时被设为假期和调休上班日") % {"d": day})
        kinds[day] = DaySpec(day, DayKind.MAKEUP_WORKDAY, name)
    return [kinds[d] for d in sorted(kinds)]


@transaction.atomic
def calendar_year_load(
    *, year: int, days: Sequence[DaySpec], status: str, source: str, actor: User | None = None
) -> CalendarYear:
    """Replace a year's schedule. Days that change are updated in place (and so audited);
    open deadlines are recomputed after commit."""
    if sorted(d.date for d in days) != _year_days(year):
        raise ValidationError(_("日历数据必须完整覆盖 %(y)s 年的每一天") % {"y": year})
    existing = {d.date: d for d in CalendarDay.objects.filter(date__year=year)}
    to_create, to_update = [], []
    for spec in days:
        workday = spec.kind in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY)
        row = existing.get(spec.date)
        if row is None:
            to_create.append(
                CalendarDay(date=spec.date, kind=spec.kind, is_workday=workday, name=spec.name)
            )
        elif (row.kind, row.name) != (spec.kind, spec.name):
            row.kind, row.is_workday, row.name = spec.kind, workday, spec.name
            to_update.append(row)
    CalendarDay.objects.bulk_create(to_create, batch_size=500)
    CalendarDay.objects.bulk_update(to_update, ["kind", "is_workday", "name"], batch_size=500)
    calendar_year, _created = CalendarYear.objects.get_or_create(
        year=year, defaults={"status": status, "source": source, "loaded_by": actor}
    )
    calendar_year.status, calendar_year.source, calendar_year.loaded_by = status, source, actor
    calendar_year.revision = F("revision") + 1
    calendar_year.save(update_fields=["status", "source", "loaded_by", "revision", "loaded_at"])
    calendar_year.refresh_from_db(fields=["revision"])
    _schedule_recompute()
    return calendar_year


@transaction.atomic
def calendar_day_set(
    *, day: datetime.date, kind: str, name: str = "", actor: User | None = None
) -> CalendarDay:
    """Change one day (a mid-year change by the State Council, or a correction)."""
    if kind not in DayKind.values:
        raise ValidationError(_("未知的日期类型：%(k)s") % {"k": kind})
    calendar_year = locks.lock_row_or_none(CalendarYear.objects.all(), year=day.year)
    if calendar_year is None:
        raise ValidationError(_("%(y)s 年的日历尚未载入，请先载入整年") % {"y": day.year})
    if kind == DayKind.MAKEUP_WORKDAY and day.weekday() < 5:
        raise ValidationError(_("调休上班日 %(d)s 不是周末") % {"d": day})
    if kind == DayKind.WEEKEND and day.weekday() < 5:
        raise ValidationError(_("%(d)s 不是周末") % {"d": day})
    row = CalendarDay.objects.get(date=day)
    row.kind = kind
    row.is_workday = kind in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY)
    row.name = name
    row.save(update_fields=["kind", "is_workday", "name"])
    calendar_year.revision = F("revision") + 1
    calendar_year.loaded_by = actor
    calendar_year.save(update_fields=["revision", "loaded_by", "loaded_at"])
    _schedule_recompute()
    return row


@transaction.atomic
def calendar_year_mark(*, year: int, status: str, actor: User | None = None) -> CalendarYear:
    """Declare a year official (its schedule has been checked against the announcement)."""
    calendar_year = locks.lock_row(CalendarYear.objects.all(), year=year)
    calendar_year.status = status
    calendar_year.loaded_by = actor
    calendar_year.revision = F("revision") + 1
    calendar_year.save(update_fields=["status", "loaded_by", "revision", "loaded_at"])
    _schedule_recompute()
    return calendar_year


# Registered by arrears/tasks.py under this name (arrears/enqueue.py says why by name).
RECOMPUTE_DEADLINES = "arrears.tasks.recompute_deadlines"


def _schedule_recompute() -> None:
    transaction.on_commit(lambda: enqueue(RECOMPUTE_DEADLINES))


def calendar_years_needing_data(*, today: datetime.date | None = None) -> list[int]:
    """Years the system relies on without official data: this year, next year once the
    announcement is due, and any year a running deadline falls in."""
    today = today or timezone.localdate()
    years = {today.year}
    lead = config.get("calendar.alert_lead_days")
    if (datetime.date(today.year, 12, 31) - today).days < lead:
        years.add(today.year + 1)
    # From the earliest start, not from this year: after New Year a clock started in December
    # still counts December's working days, so last year stays needed until it is official.
    running = Deadline.objects.filter(
        state__in=[DeadlineState.OPEN, DeadlineState.PAUSED]
    ).aggregate(first=models.Min("started_on"), last=models.Max("due_date"))
    if running["last"] is not None:
        years.update(range(min(running["first"].year, today.year), running["last"].year + 1))
    official = set(
        CalendarYear.objects.filter(status=YearStatus.OFFICIAL).values_list("year", flat=True)
    )
    return sorted(years - official)


def calendar_coverage_alert(*, today: datetime.date | None = None) -> list[int]:
    """Alert the offices (once a day, per year) while a needed year is not official. The
    calendar is the State Council's, one for every city, so any office may enter it."""
    today = today or timezone.localdate()
    missing = calendar_years_needing_data(today=today)
    if not missing:
        return []
    admins = offices.every_office_and_superusers()
    for year in missing:
        notification_send(
            recipients=admins,
            kind="calendar.provisional",
            title=Text(gettext_lazy("%(y)s 年节假日安排尚未正式载入"), y=year),
            body=Text(
                gettext_lazy(
                    "%(y)s 年的工作日按暂定数据计算，依赖该年的办理时限显示为“暂定”。"
                    "请在国务院办公厅公布安排后于“工作日历”中载入。"
                ),
                y=year,
            ),
            url=f"/calendar/{year}/",
            dedupe_key=f"calendar.provisional:{year}:{today.isoformat()}",
            email=True,
        )
    return missing


# --- Notifications --------------------------------------------------------------------------


# What a keyed notification row carries besides its recipient and key.
_NOTIFICATION_FIELDS = (
    "kind",
    "title",
    "body",
    "url",
    "subject_type",
    "subject_id",
    "urgent",
    "digest_channels",
)


def _insert_missing(rows: list[Notification], dedupe_key: str | None) -> list[Notification]:
    """Row by row, each recipient's keyed message unless it exists by now; the new ones."""
    created = []
    for row in rows:
        with transaction.atomic():
            notification, is_new = Notification.objects.get_or_create(
                recipient=row.recipient,
                dedupe_key=dedupe_key,
                defaults={f: getattr(row, f) for f in _NOTIFICATION_FIELDS},
            )
        if is_new:
            created.append(notification)
    return created


def notification_send(
    *,
    recipients: Iterable[User],
    kind: str,
    title: Renderable,
    body: Renderable = "",
    url: str = "",
    dedupe_key: str | None = None,
    email: bool = False,
    sms: bool = False,
    subject: models.Model | None = None,
    urgent: bool = False,
) -> list[Notification]:
    """Put a message in each recipient's inbox (once per dedupe_key), rendered in the
    recipient's language (pass `Text` or lazy strings), and write its e-mail/SMS copies to
    the outbox in the same transaction. `subject` (what it is about) groups it in the inbox;
    an `urgent` message's copies go at once even to a role that reads a daily digest."""
    return notifications_send(
        [
            Message(
                recipients=list(recipients),
                kind=kind,
                title=title,
                body=body,
                url=url,
                dedupe_key=dedupe_key,
                email=email,
                sms=sms,
                subject=subject,
                urgent=urgent,
            )
        ]
    )


@dataclass(frozen=True)
class Message:
    """One message of `notifications_send`: notification_send's arguments."""

    recipients: Sequence[User]
    kind: str
    title: Renderable
    body: Renderable = ""
    url: str = ""
    dedupe_key: str | None = None
    email: bool = False
    sms: bool = False
    subject: models.Model | None = None
    urgent: bool = False


def _render(render: Renderer, user: User, text: Renderable) -> str:
    return render(user, text) if isinstance(text, Text) else render_for(user, text)


def notifications_send(messages: Sequence[Message]) -> list[Notification]:
    """Several messages as notification_send would send each, in a constant number of
    queries (one dedupe lookup, one insert, the copies): a batch of 500 complaints tells 500
    units about them in the same handful of queries as one."""
    roles = digest_roles()
    render = Renderer()
    keys = {m.dedupe_key for m in messages if m.dedupe_key}
    sent: set[tuple[int, str | None]] = set()
    if keys:
        sent = set(
            Notification.objects.filter(dedupe_key__in=keys).values_list(
                "recipient_id", "dedupe_key"
            )
        )
    rows: list[tuple[Message, Notification]] = []
    for message in messages:
        subject_type, subject_id = subject_of(message.subject, message.url)
        for user in message.recipients:
            if message.dedupe_key:
                if (user.pk, message.dedupe_key) in sent:
                    continue
                sent.add((user.pk, message.dedupe_key))  # twice in one batch: once
            row = Notification(
                recipient=user,
                kind=message.kind,
                title=_render(render, user, message.title)[:200],
                body=_render(render, user, message.body),
                url=message.url,
                dedupe_key=message.dedupe_key,
                subject_type=subject_type,
                subject_id=subject_id,
                urgent=message.urgent,
                digest_channels=held_channels(
                    user,
                    kind=message.kind,
                    urgent=message.urgent,
                    email=message.email,
                    sms=message.sms,
                    roles=roles,
                ),
            )
            rows.append((message, row))
    with transaction.atomic():
        try:
            with transaction.atomic():
                created = Notification.objects.bulk_create([row for _m, row in rows])
            made = list(zip([m for m, _r in rows], created, strict=True))
        except IntegrityError:
            # Someone sent the same keyed message at the same moment: go one by one.
            made = []
            for message in messages:
                mine = [row for m, row in rows if m is message]
                made += [(message, n) for n in _insert_missing(mine, message.dedupe_key)]
        # Same transaction as the inbox rows: a copy exists exactly when its notification does.
        by_channels: dict[tuple[bool, bool], list[Notification]] = {}
        for message, notification in made:
            by_channels.setdefault((message.email, message.sms), []).append(notification)
        for (email, sms), notifications in by_channels.items():
            if email or sms:
                copies_enqueue(notifications, email=email, sms=sms)
    return [notification for _m, notification in made]


def user_set_language(*, user: User, language: str) -> User:
    """Keep the user's language (the one their notifications are written in)."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("不支持的语言：%(l)s") % {"l": language})
    user.language = language
    user.save(update_fields=["language"])
    return user


def notification_mark_read(
    *,
    user: User,
    ids: Sequence[int] | None = None,
    kind: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
) -> int:
    """Mark the user's unread messages read: all, the given ids, or one inbox group (a kind,
    optionally narrowed to one subject). Returns how many changed."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    if kind is not None:
        qs = qs.filter(kind=kind)
    if subject_type is not None:
        qs = qs.filter(subject_type=subject_type)
    if subject_id is not None:
        qs = qs.filter(subject_id=subject_id)
    return qs.update(read_at=timezone.now())


# --- Configuration --------------------------------------------------------------------------


def config_set(
    *,
    key: str,
    value: Any,
    actor: User | None = None,
    note: str = "",
    city: City | None = None,
) -> Any:
    """Override a configuration default, for the province (every city's default) or for one
    `city` where the setting allows it; the value is checked against its definition."""
    if key not in config.REGISTRY:
        raise ValidationError(_("未知的配置项：%(k)s") % {"k": key})
    if city is not None and not config.REGISTRY[key].per_city:
        raise ValidationError(_("配置项 %(k)s 全省统一，不能按市设置") % {"k": key})
    parsed = config.REGISTRY[key].validate(value)
    stored = (
        parsed.isoformat(timespec="minutes")
        if isinstance(parsed, datetime.time)
        else (str(parsed) if not isinstance(parsed, bool | int | str) else parsed)
    )
    ConfigValue.objects.update_or_create(
        key=key, city=city, defaults={"value": stored, "updated_by": actor, "note": note}
    )
    config.forget()
    if key.startswith("calendar.") or key.startswith("deadline."):
        _schedule_recompute()
    return parsed
