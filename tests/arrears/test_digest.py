"""The daily digest: for a role configured for it, one e-mail (and one SMS) a day listing the
held reminders and escalations instead of one each; urgent ones at once; other roles as
before. Every moment is fixed (time_machine), so nothing depends on today's date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext_lazy

from arrears import deadlines, digests, services
from arrears.models import MessageChannel, MessageDelivery, Notification, Role
from arrears.notifications import DIGEST_KIND, Text, messages_deliver_due
from arrears.sms import LoggingSmsBackend
from complaints.models import Case, TriageClass
from projects.models import Finding, Inspection, InvestmentType, Project, RectificationOrder
from tests.factories import CountyFactory, DepartmentFactory, UserFactory

TZ = dt.timezone(dt.timedelta(hours=8))
MONDAY = dt.datetime(2026, 3, 2, 7, 0, tzinfo=TZ)  # a working day
DIGEST_TIME = dt.datetime(2026, 3, 2, 8, 35, tzinfo=TZ)


@pytest.fixture
def office(db: None) -> Any:
    return UserFactory.create(city_office=True, email="office@example.org", phone="13800000001")


def _remind(users: list[Any], n: int, key: str = "r", **kwargs: Any) -> None:
    for i in range(n):
        services.notification_send(
            recipients=users,
            kind="deadline.reminder",
            title=f"即将到期：案件{i}",
            body="到期时间：2026-03-03 17:30",
            url=f"/cases/{i}/",
            dedupe_key=f"{key}{i}{kwargs.get('urgent', '')}",
            email=True,
            sms=True,
            **kwargs,
        )


def test_a_digest_role_gets_one_e_mail_with_every_item(
    office: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SITE_URL = "https://arrears.example.gov.cn"
    LoggingSmsBackend.sent.clear()
    # given three reminders for the city office (a digest role by default)
    with time_machine.travel(MONDAY, tick=False):
        _remind([office], 3)
    # then nothing is queued for them yet
    assert not MessageDelivery.objects.exists()
    assert set(Notification.objects.values_list("digest_channels", flat=True)) == {"email,sms"}
    # when the digest sweep runs before the digest time, nothing happens
    assert digests.digests_send(now=MONDAY.replace(hour=8, minute=29)) == 0
    # when it runs after
    with django_capture_on_commit_callbacks(execute=True):
        assert digests.digests_send(now=DIGEST_TIME) == 1
    # then one e-mail and one SMS, not three of each
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["office@example.org"]
    assert "3" in email.subject
    for i in range(3):
        assert f"即将到期：案件{i}" in email.body
        assert f"https://arrears.example.gov.cn/cases/{i}/" in email.body  # absolute links
    assert [phone for phone, _text in LoggingSmsBackend.sent] == ["13800000001"]
    # and the items are taken by the digest, stamped when it was accepted
    digest = Notification.objects.get(kind=DIGEST_KIND)
    items = Notification.objects.exclude(kind=DIGEST_KIND)
    assert {n.digest_id for n in items} == {digest.pk}
    assert all(n.emailed_at and n.texted_at for n in items)
    assert digest.read_at is not None  # the digest adds nothing to the unread badge


def test_the_sweep_is_idempotent(office: Any, django_capture_on_commit_callbacks: Any) -> None:
    with time_machine.travel(MONDAY, tick=False):
        _remind([office], 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert digests.digests_send(now=DIGEST_TIME) == 1
        # a second run, a retried task, a run later the same day
        assert digests.digests_send(now=DIGEST_TIME) == 0
        assert digests.digests_send(now=DIGEST_TIME + dt.timedelta(hours=6)) == 0
        messages_deliver_due()
    assert MessageDelivery.objects.filter(channel=MessageChannel.EMAIL).count() == 1
    assert len(mail.outbox) == 1


def test_items_after_the_digest_time_wait_for_the_next_working_day(
    office: Any, calendar_2026: None, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(MONDAY, tick=False):
        _remind([office], 1)
    digests.digests_send(now=DIGEST_TIME)
    # given a reminder written on Friday afternoon, after that day's digest
    friday = dt.datetime(2026, 3, 6, 8, 40, tzinfo=TZ)
    with time_machine.travel(friday - dt.timedelta(minutes=20), tick=False):
        _remind([office], 1, key="friday")  # before Friday's digest time: goes on Friday
    digests.digests_send(now=friday)
    with time_machine.travel(friday + dt.timedelta(hours=6), tick=False):
        services.notification_send(
            recipients=[office],
            kind="deadline.escalation",
            title="已逾期：案件9",
            dedupe_key="late",
            email=True,
        )
    # when the sweep runs on Saturday and Sunday (days off): nothing
    assert digests.digests_send(now=dt.datetime(2026, 3, 7, 9, 0, tzinfo=TZ)) == 0
    assert digests.digests_send(now=dt.datetime(2026, 3, 8, 9, 0, tzinfo=TZ)) == 0
    # then on Monday it is in that day's digest
    assert digests.digests_send(now=dt.datetime(2026, 3, 9, 8, 31, tzinfo=TZ)) == 1
    days = Notification.objects.filter(kind=DIGEST_KIND).order_by("dedupe_key")
    assert [d.dedupe_key for d in days] == [
        "digest:2026-03-02",
        "digest:2026-03-06",
        "digest:2026-03-09",
    ]
    assert Notification.objects.get(dedupe_key="late").digest_id == days[2].pk


def test_urgent_ones_go_at_once(office: Any, django_capture_on_commit_callbacks: Any) -> None:
    with time_machine.travel(MONDAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        _remind([office], 2)
        _remind([office], 1, urgent=True)
    # the urgent one is queued and sent at once; the others wait for the digest
    messages_deliver_due()
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(urgent=True).get().digest_channels == ""
    with django_capture_on_commit_callbacks(execute=True):
        digests.digests_send(now=DIGEST_TIME)
    assert len(mail.outbox) == 2
    assert "2" in mail.outbox[1].subject  # the digest lists the two held ones only


def test_a_role_not_configured_gets_immediate_copies(
    office: Any, django_capture_on_commit_callbacks: Any
) -> None:
    inspector = UserFactory.create(role=Role.INSPECTOR, email="i@example.org")
    with time_machine.travel(MONDAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        _remind([inspector], 3)
    assert [m.to for m in mail.outbox] == [["i@example.org"]] * 3
    assert digests.digests_send(now=DIGEST_TIME) == 0


def test_the_roles_are_configurable(office: Any, django_capture_on_commit_callbacks: Any) -> None:
    # given the digest switched from the city office to inspectors
    services.config_set(key="notifications.digest_roles", value="inspector")
    inspector = UserFactory.create(role=Role.INSPECTOR, email="i@example.org")
    with time_machine.travel(MONDAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        _remind([inspector, office], 2)
    # then the office hears at once, the inspector in the digest
    assert [m.to for m in mail.outbox] == [["office@example.org"]] * 2
    with django_capture_on_commit_callbacks(execute=True):
        assert digests.digests_send(now=DIGEST_TIME) == 1
    assert mail.outbox[-1].to == ["i@example.org"]


def test_other_kinds_are_never_held(office: Any) -> None:
    services.notification_send(recipients=[office], kind="job.done", title="t", email=True)
    assert MessageDelivery.objects.count() == 1


def test_the_digest_is_in_the_recipients_language(
    office: Any, django_capture_on_commit_callbacks: Any
) -> None:
    english = UserFactory.create(city_office=True, email="en@example.org", language="en")
    # given a reminder whose title each recipient reads in their own language
    with time_machine.travel(MONDAY, tick=False), translation.override("zh-hans"):
        services.notification_send(
            recipients=[english, office],
            kind="deadline.reminder",
            title=Text(gettext_lazy("即将到期：%(s)s"), s="案件1"),
            email=True,
        )
    with django_capture_on_commit_callbacks(execute=True), translation.override("zh-hans"):
        assert digests.digests_send(now=DIGEST_TIME) == 2
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "Due soon: 案件1" in by_address["en@example.org"].body
    assert "即将到期：案件1" in by_address["office@example.org"].body
    # the digest's own wording comes from the English catalogue for the English reader
    with translation.override("en"):
        expected = str(
            translation.gettext("每日汇总：%(n)s 条到期提醒和逾期督办（%(d)s）")
            % {"n": 1, "d": "2026-03-02"}
        )
    assert by_address["en@example.org"].subject == expected


def test_escalations_to_leaders_skip_the_digest(
    calendar_2026: None, django_capture_on_commit_callbacks: Any
) -> None:
    # given a county without officials: level 1 goes to the city office, level 2 also to
    # the city leaders
    county = CountyFactory.create()
    department = DepartmentFactory.create(county=county)
    office = UserFactory.create(city_office=True, email="office@example.org")
    UserFactory.create(role=Role.CITY_LEADER, email="leader@example.org")
    deadlines.deadline_open(
        subject=county,
        kind="k",
        started_on=dt.date(2026, 9, 28),
        working_days=3,
        county_id=county.pk,
        department_id=department.pk,
    )
    with django_capture_on_commit_callbacks(execute=True):
        deadlines.deadlines_sweep(now=dt.datetime(2026, 10, 12, 18, tzinfo=TZ))
    mine = Notification.objects.filter(recipient=office, kind="deadline.escalation")
    level1 = mine.get(dedupe_key__endswith=":escalate:1")
    level2 = mine.get(dedupe_key__endswith=":escalate:2")
    # then the office's level 1 waits for the digest, level 2 (urgent) was e-mailed at once
    assert (level1.urgent, level1.digest_channels) == (False, "email,sms")
    assert (level2.urgent, level2.digest_channels) == (True, "")
    assert sorted(m.to[0] for m in mail.outbox if "逾期" in m.subject) == [
        "leader@example.org",
        "office@example.org",
    ]
    assert (level1.subject_type, level1.subject_id) == ("arrears.county", str(county.pk))


def test_what_the_domain_marks_urgent() -> None:
    # a major case; a rectification order on a government-invested project (zero tolerance)
    assert Case(triage_class=TriageClass.MAJOR).notification_urgent()
    assert not Case(triage_class=TriageClass.ORDINARY).notification_urgent()

    for kind, urgent in ((InvestmentType.GOVERNMENT, True), (InvestmentType.PRIVATE, False)):
        project = Project(investment_type=kind)
        inspection = Inspection(project=project)
        order = RectificationOrder(finding=Finding(inspection=inspection))
        assert order.notification_urgent() is urgent
