"""Demo complaints over the past two years, deterministic, in bulk.

`manage.py seed_demo --complaints 1000000` builds a million for benchmarks: rows go in with
bulk_create in batches (the audit trail is suspended for demo data), each with its
"received" and "routed" timeline events."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import reset_queries, transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat, ExtractYear, Greatest, Length, LPad
from django.utils import timezone

from arrears import audit, deadlines, workdays
from arrears.demo import person_name
from arrears.models import Deadline, Department, DepartmentKind, Role, User
from complaints.integration.api_keys import api_key_issue
from complaints.models import (
    STATUS_FOR_CASE_STATE,
    Case,
    CaseEntry,
    CasePayment,
    Channel,
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
    EventKind,
    IntegrationClient,
)
from complaints.tracking import TRACKING_ALPHABET

ORDER = 20
BATCH = 5000
CHANNEL_WEIGHTS = {
    Channel.HOTLINE_12345: 35,
    Channel.CLUE_PLATFORM: 20,
    Channel.WEB_FORM: 20,
    Channel.DUTY_PHONE: 10,
    Channel.SERVICE_WINDOW: 8,
    Channel.WALK_IN: 3,
    Channel.LETTERS_VISITS: 2,
    Channel.INSPECTION: 2,
}
EMPLOYERS = [
    "建工集团有限公司",
    "建筑劳务有限公司",
    "市政工程有限公司",
    "路桥建设有限公司",
    "水利水电工程有限公司",
    "装饰工程有限公司",
    "房地产开发有限公司",
]
BRANDS = [
    "宏达",
    "鑫盛",
    "恒远",
    "华建",
    "中诚",
    "金鼎",
    "永兴",
    "众联",
    "天润",
    "广厦",
    "瑞丰",
    "新锐",
]


def _client(stdout: Any) -> IntegrationClient | None:
    user = User.objects.filter(username="hotline12345").first()
    if user is None:
        return None
    client, created = IntegrationClient.objects.get_or_create(
        user=user, defaults={"name": "12345政务服务热线", "channel": Channel.HOTLINE_12345}
    )
    if created:
        stdout.write(
            f"API key for hotline12345 (shown once, demo only): "
            f"{api_key_issue(client=client, label='demo')}"
        )
    return client


def _grant_reveal() -> None:
    """Demo inspectors and the city office may reveal full identifiers (a logged action)."""

    permission = Permission.objects.get(codename="reveal_personal_data")
    for user in User.objects.filter(username__in=["inspector", "cityoffice"]):
        user.user_permissions.add(permission)


def seed(*, rng: random.Random, options: dict[str, Any], stdout: Any, org: dict[str, Any]) -> None:
    total = options.get("complaints", 2000)
    client = _client(stdout)
    _grant_reveal()
    if Complaint.objects.exists() or total <= 0:
        stdout.write("complaints: already seeded")
        return
    counties = org["counties"]
    # The projects the demo seeded first (projects.demo runs before this), through the
    # complaint's foreign key: complaints do not import the projects app above them.
    project_model = Complaint._meta.get_field("project").related_model
    projects: list[Any] = list(project_model._default_manager.select_related("industry"))
    by_county_kind = {
        (d.county_id, d.kind): d for d in Department.objects.filter(county__isnull=False)
    }
    industry_dept = {
        (d.county_id, i.pk): d
        for d in Department.objects.filter(county__isnull=False).prefetch_related("industries")
        for i in d.industries.all()
    }
    inspectors = list(User.objects.filter(role=Role.INSPECTOR).values_list("pk", flat=True))
    channels = list(CHANNEL_WEIGHTS)
    weights = [CHANNEL_WEIGHTS[c] for c in channels]
    now = timezone.now()
    start = now - datetime.timedelta(days=730)
    employers = [f"江城{rng.choice(BRANDS)}{rng.choice(EMPLOYERS)}" for _ in range(400)]
    by_month = _monthly_choices(projects, org.get("complaint_weights", {}))
    made = 0
    with audit.suspended():
        while made < total:
            size = min(BATCH, total - made)
            rows = []
            for i in range(size):
                n = made + i
                # Later complaints are more numerous (the system's use grows).
                received = start + datetime.timedelta(
                    seconds=int(730 * 86400 * (rng.random() ** 0.8))
                )
                project = None
                if projects and rng.random() < 0.7:
                    project = _project_for(rng, received, projects, by_month)
                county = project.county if project else rng.choice(counties)
                dept = None
                if project is not None:
                    dept = industry_dept.get((county.pk, project.industry_id))
                dept = dept or by_county_kind.get((county.pk, DepartmentKind.HRSS))
                unrouted = rng.random() < 0.02
                age = (now - received).days
                if unrouted:
                    status = ComplaintStatus.PENDING_DISPATCH
                elif age > 7 or rng.random() < 0.7:
                    status = ComplaintStatus.SIGNED
                else:
                    status = ComplaintStatus.PENDING_SIGNATURE
                workers = max(1, int(rng.paretovariate(1.6)))
                channel = rng.choices(channels, weights=weights)[0]
                referral = client is not None and channel == Channel.HOTLINE_12345
                rows.append(
                    Complaint(
                        tracking_no="".join(rng.choice(TRACKING_ALPHABET) for _ in range(10)),
                        channel=channel,
                        client=client if referral else None,
                        external_id=f"12345-{received:%Y%m%d}-{n:07d}" if referral else None,
                        received_at=received,
                        complainant_name=person_name(rng),
                        complainant_phone=f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}",
                        employer_name=rng.choice(employers),
                        project=project,
                        project_name=project.name if project else "",
                        project_address=project.address if project else "",
                        # bulk_create skips Complaint.save: the city is set here (an unrouted
                        # one waits in its county's city's queue).
                        city_id=county.city_id,
                        county=None if unrouted else county,
                        industry=project.industry if project else None,
                        department=None if unrouted else dept,
                        responsible_department=None if unrouted else dept,
                        workers_owed=workers,
                        amount_owed=Decimal(workers * rng.randint(3000, 24000)),
                        period_start=(
                            received - datetime.timedelta(days=rng.randint(30, 180))
                        ).date(),
                        period_end=(received - datetime.timedelta(days=rng.randint(0, 29))).date(),
                        facts="工资未按约定支付。",
                        status=status,
                        routed_at=None if unrouted else received,
                        signed_at=received + datetime.timedelta(hours=rng.randint(1, 48))
                        if status == ComplaintStatus.SIGNED
                        else None,
                        signed_by_id=rng.choice(inspectors)
                        if status == ComplaintStatus.SIGNED and inspectors
                        else None,
                    )
                )
            with transaction.atomic():
                # Cases first, so each signed complaint is inserted with its case (updating a
                # million rows afterwards cost most of the seeding time).
                _cases_for(rows, rng, now)
                created = Complaint.objects.bulk_create(rows)
                events = []
                for complaint in created:
                    events.append(
                        ComplaintEvent(
                            complaint=complaint,
                            kind=EventKind.RECEIVED,
                            public=True,
                            at=complaint.received_at,
                            public_text="已收到您的投诉",
                        )
                    )
                    if complaint.department_id:
                        events.append(
                            ComplaintEvent(
                                complaint=complaint,
                                kind=EventKind.ROUTED,
                                public=True,
                                at=complaint.received_at,
                                department_id=complaint.department_id,
                                public_text="已转交承办单位",
                            )
                        )
                ComplaintEvent.objects.bulk_create(events)
            made += size
            reset_queries()  # with DEBUG on, Django keeps every query's SQL: not a million
            if made % 100_000 == 0 or made == total:
                stdout.write(f"complaints: {made:,} / {total:,}")


def _monthly_choices(
    projects: list[Any], weights: dict[datetime.date, dict[int, float]]
) -> dict[tuple[int, int], tuple[list[Any], list[float]]]:
    """Per (year, month), the projects a complaint of that month may be about and their
    cumulative weights, from `org["complaint_weights"]` (left there by projects.demo: wage
    trouble and risk factors make a project likelier, docs/risk.md). A month without weights
    chooses among all projects alike, as the demo always did."""
    by_pk = {p.pk: p for p in projects}
    choices = {}
    for first, per_project in weights.items():
        chosen = [(by_pk[pk], w) for pk, w in sorted(per_project.items()) if pk in by_pk and w > 0]
        if chosen:
            total, cumulative = 0.0, []
            for _p, w in chosen:
                total += w
                cumulative.append(total)
            choices[(first.year, first.month)] = ([p for p, _w in chosen], cumulative)
    return choices


def _project_for(
    rng: random.Random,
    received: datetime.datetime,
    projects: list[Any],
    by_month: dict[tuple[int, int], tuple[list[Any], list[float]]],
) -> Any:
    local = timezone.localtime(received)
    found = by_month.get((local.year, local.month))
    if found is None:
        return rng.choice(projects)
    return rng.choices(found[0], cum_weights=found[1])[0]


OUTCOME_WEIGHTS = {
    "paid_in_full": 55,
    "partly_paid": 12,
    "mediated": 12,
    "arbitration": 6,
    "order": 5,
    "fined": 2,
    "police": 2,
    "not_substantiated": 4,
    "withdrawn": 2,
}
CLASS_DAYS = {"simple": 3, "ordinary": 15, "major": 30}
# The statutory limit's default (case.close_days.statutory): demo cities keep it.
STATUTORY_DAYS = 60
# The timeline step each outcome's rule requires (complaints.cases.outcomes).
OUTCOME_STEPS = {
    "mediated": [("mediation", "双方达成调解协议")],
    "arbitration": [("arbitration", "告知申请劳动仲裁")],
    "order": [("order", "下达劳动保障监察限期改正指令书")],
    "fined": [("visit", "现场检查核实欠薪事实"), ("order", "责令限期支付")],
    "police": [
        ("police_proposal", "涉嫌拒不支付劳动报酬罪，提请移送公安机关"),
        ("police_decision", "批准移送"),
        ("police", "移送公安机关"),
    ],
}


def case_number() -> Concat:
    """Numbers as the intake service gives them (AJ + year + id), computed by the database
    in one statement rather than a CASE expression of thousands of branches. The id is padded
    to at least seven digits, as f"{pk:07d}" does: an LPAD to exactly seven cut the ids from
    10,000,000 on to their first seven digits (and numbers are unique)."""
    digits = Cast("pk", CharField())
    return Concat(
        Value("AJ"),
        Cast(ExtractYear("created_at"), CharField()),
        LPad(digits, Greatest(Length(digits), Value(7)), Value("0")),
        output_field=CharField(),
    )


def _demo_case(
    c: Complaint,
    rng: random.Random,
    now: datetime.datetime,
    calendar: Any,
    outcomes: list[str],
    weights: list[int],
) -> Case:
    """The case a signed demo complaint became: closed with an outcome and the working days
    it took when old enough, else still open in one of the open states."""
    received = timezone.localdate(c.received_at)
    cls = "major" if c.workers_owed >= 30 else ("simple" if c.workers_owed <= 3 else "ordinary")
    filed = calendar.add_working_days(received, rng.randint(1, 5))
    age = (now - c.received_at).days
    case = Case(
        county_id=c.county_id or 0,
        department_id=c.department_id or 0,
        owner_id=c.signed_by_id or 0,  # all set: filtered above
        employer_name=c.employer_name,
        project_id=c.project_id,
        project_name=c.project_name,
        channel=c.channel,
        industry_id=c.industry_id,
        workers_owed=c.workers_owed,
        amount_owed=c.amount_owed,
        triage_class=cls,
        suggested_class=cls,
        created_at=c.received_at,
        accepted_at=c.received_at + datetime.timedelta(days=1),
        filed_on=filed,
    )
    if age > 45 or (age > 10 and rng.random() < 0.6):
        taken = max(1, int(rng.gammavariate(2.0, CLASS_DAYS[cls] / 2.2)))
        closed_on = calendar.add_working_days(filed, taken)
        if timezone.make_aware(datetime.datetime.combine(closed_on, datetime.time(16))) > now:
            closed_on, taken = received, 0
        outcome = rng.choices(outcomes, weights=weights)[0]
        share = {
            "paid_in_full": 1,
            "partly_paid": rng.uniform(0.3, 0.9),
            "mediated": rng.uniform(0.6, 1.0),
        }.get(outcome, 0)
        case.state, case.outcome = "closed", outcome
        case.closed_at = timezone.make_aware(
            datetime.datetime.combine(closed_on, datetime.time(16))
        )
        case.working_days_taken = taken
        case.closed_on_time = taken <= CLASS_DAYS[cls]
        case.closed_in_limit = taken <= STATUTORY_DAYS
        case.recovered_amount = (c.amount_owed * Decimal(str(share))).quantize(Decimal("0.01"))
        case.workers_paid = int(c.workers_owed * share)
        case.satisfaction = rng.choices([5, 4, 3, 2, 1], weights=[60, 25, 8, 4, 3])[0]
    else:
        case.state = rng.choice(["pending", "accepted", "filed", "filed", "filed"])
        if case.state != "filed":
            case.filed_on = None
        if case.state == "pending":
            case.accepted_at = None
    return case


def _demo_history(
    case: Case,
    ct: Any,
    calendar: Any,
    steps: list[int],
    entries: list[CaseEntry],
    clocks: list[Deadline],
) -> None:
    """A closed case's timeline (the outcome's steps, then the payment); an open case's
    running clock."""
    if case.state == "closed":
        assert case.closed_at is not None  # closed cases were given a closing time above
        # The step each outcome's rule asks for is on the timeline (referrals are where
        # the dashboards count them), then the payment, as an officer would record them.
        for kind, text in OUTCOME_STEPS.get(case.outcome, ()):
            entries.append(
                CaseEntry(
                    case=case,
                    kind=kind,
                    at=case.closed_at - datetime.timedelta(hours=2),
                    actor_id=case.owner_id,
                    text=text,
                )
            )
        if case.recovered_amount > 0:
            entries.append(
                CaseEntry(
                    case=case,
                    kind="payment",
                    at=case.closed_at - datetime.timedelta(hours=1),
                    actor_id=case.owner_id,
                    text="工资已支付",
                )
            )
    elif case.is_open:
        start = case.filed_on or timezone.localdate(case.created_at)
        kind = "case.close" if case.filed_on else "case.accept"
        days = CLASS_DAYS[case.triage_class] if case.filed_on else 5
        values = deadlines.clock(calendar, start, days, 1, 0, steps)
        clocks.append(
            Deadline(
                content_type=ct,
                object_id=case.pk,
                kind=kind,
                county_id=case.county_id,
                department_id=case.department_id,
                owner_id=case.owner_id,
                started_on=start,
                working_days=days,
                **values,
            )
        )


def _cases_for(complaints: list[Complaint], rng: random.Random, now: datetime.datetime) -> None:
    """One case per signed complaint: older ones closed with an outcome, payments and the
    working days they took; recent ones open with their running clocks."""

    calendar = workdays.get_calendar()
    steps = deadlines.ladder()
    signed = [
        c
        for c in complaints
        if c.status == ComplaintStatus.SIGNED and c.signed_by_id and c.county_id and c.department_id
    ]
    outcomes = list(OUTCOME_WEIGHTS)
    weights = [OUTCOME_WEIGHTS[o] for o in outcomes]
    cases = [_demo_case(c, rng, now, calendar, outcomes, weights) for c in signed]
    created = Case.objects.bulk_create(cases)
    for complaint, case in zip(signed, created, strict=True):
        complaint.case_id = case.pk  # the complaints are inserted after this
        complaint.status = STATUS_FOR_CASE_STATE[case.state]  # the status follows the case
    Case.objects.filter(pk__in=[k.pk for k in created]).update(number=case_number())
    ct = ContentType.objects.get_for_model(Case)
    entries: list[CaseEntry] = []
    clocks: list[Deadline] = []
    for case in created:
        _demo_history(case, ct, calendar, steps, entries, clocks)
    payments = []
    made_entries = CaseEntry.objects.bulk_create(entries)
    for entry in made_entries:
        if entry.kind != "payment":
            continue
        case = entry.case
        payments.append(
            CasePayment(
                case=case,
                entry=entry,
                amount=case.recovered_amount,
                workers_paid=case.workers_paid,
                paid_on=timezone.localdate(case.closed_at),
            )
        )
    CasePayment.objects.bulk_create(payments)
    Deadline.objects.bulk_create(clocks)
