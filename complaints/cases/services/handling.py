"""What an officer does while a case is open: triage (三办), timeline records with their
evidence, arbitration and the police, extensions and their decision, feedback after closure."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import config, deadlines, workdays
from arrears.errors import Conflict
from arrears.models import Deadline, User
from complaints.cases import selectors
from complaints.cases.services.core import (
    CLOSE,
    ORDER,
    RESPOND,
    _acting_on,
    _check_scope,
    _city,
    _close_clock,
    _entry,
    _open_clock,
    _open_or,
    _running,
    close_days,
)
from complaints.evidence import store_evidence, validate_files
from complaints.integration import work_orders
from complaints.models import (
    RECORDABLE,
    Case,
    CaseAttachment,
    CaseEntry,
    CaseState,
    Complaint,
    ComplaintRating,
    EntryKind,
    EventKind,
    ExtensionRequest,
    ExtensionState,
    Satisfaction,
    TriageClass,
)
from complaints.permissions import can_decide_extension
from complaints.timeline import record_event


def case_triage(
    *,
    case: Case,
    user: User,
    triage_class: str,
    reason: str = "",
    leader: User | None = None,
    team: list[User] | None = None,
    plan: str = "",
) -> Case:
    """三办: confirm or change the suggested class; a major case needs its leader and plan."""
    _check_scope(case, user)
    if triage_class not in TriageClass.values:
        raise ValidationError({"triage_class": [_("未知的分类")]})
    if triage_class != case.suggested_class and not reason.strip():
        raise ValidationError({"reason": [_("与系统建议的分类不同，请填写理由")]})
    if triage_class == TriageClass.MAJOR:
        if leader is None or not selectors.case_leader_choices(case).filter(pk=leader.pk).exists():
            raise ValidationError({"leader": [_("重大案件须指定包案领导（本市领导或县区负责人）")]})
        if not plan.strip():
            raise ValidationError({"plan": [_("重大案件须填写处置方案")]})
    with _acting_on(case, _open_or(_("案件已结束，不能重新分类"))) as case:
        case.triage_class = triage_class
        case.triage_reason = reason.strip()
        case.leader = leader if triage_class == TriageClass.MAJOR else None
        case.plan = plan.strip()
        case.save(update_fields=["triage_class", "triage_reason", "leader", "plan"])
        if team is not None:
            case.team.set(team)
        running = _running(case, CLOSE)
        if running is not None:
            # The class sets the closing period; the clock keeps its start and extensions.
            deadlines.deadline_set_length(deadline=running, working_days=close_days(case))
        _entry(
            case,
            EntryKind.TRIAGE,
            user,
            reason.strip(),
            data={"class": triage_class, "suggested": case.suggested_class},
        )
    return case


def _attach(entry: CaseEntry, upload: UploadedFile) -> CaseAttachment:
    attachment: CaseAttachment = store_evidence(CaseAttachment(entry=entry), upload)
    return attachment


def case_record(
    *,
    case: Case,
    user: User,
    kind: str,
    text: str,
    due_date: datetime.date | None = None,
    files: Sequence[UploadedFile] = (),
) -> CaseEntry:
    """A call, site visit, interview, order to pay (with its deadline) or mediation."""

    _check_scope(case, user)
    if kind not in RECORDABLE:
        raise ValidationError({"kind": [_("该类记录须通过相应操作办理")]})
    if not text.strip():
        raise ValidationError({"text": [_("请填写内容")]})
    validate_files(files)
    if kind == EntryKind.ORDER and due_date is None:
        raise ValidationError({"due_date": [_("责令支付须写明限期")]})
    with _acting_on(case, _open_or(_("案件已结束，请先重新办理"))) as case:
        entry = _entry(case, kind, user, text.strip(), due_date=due_date)
        for upload in files:
            _attach(entry, upload)
        if kind in (EntryKind.CALL, EntryKind.VISIT, EntryKind.INTERVIEW):
            _close_clock(case, RESPOND)  # the first contact answers the response clock
            work_orders.work_orders_respond(complaint_ids=case.complaints.values("pk"))
        if kind == EntryKind.ORDER and due_date is not None:
            # The employer's time to pay is a clock of its own: reminded and escalated by the
            # sweep unless a payment is recorded first. A new order replaces the last one.
            _close_clock(case, ORDER)
            today = timezone.localdate()
            days = workdays.working_days_between(today, due_date)
            if days < 1:
                raise ValidationError({"due_date": [_("限期须晚于今天至少一个工作日")]})
            _open_clock(case, ORDER, started_on=today, working_days=days)
    return entry


def _pause_entry(case: Case, user: User, paused: list[Deadline], text: str) -> CaseEntry | None:
    """The timeline says which clocks stopped (the configuration decides, per kind)."""
    if not paused:
        return None
    labels = "、".join(str(deadlines.KIND_LABELS.get(d.kind, d.kind)) for d in paused)
    return _entry(
        case, EntryKind.PAUSE, user, f"{text}（{labels}）", data={"kinds": [d.kind for d in paused]}
    )


def case_refer_arbitration(*, case: Case, user: User, note: str) -> CaseEntry:
    """转劳动仲裁: the case's clocks configured to pause for arbitration stand still while it
    runs (deadline.pause.<kind>.arbitration; the closing clock by default)."""
    _check_scope(case, user)
    with _acting_on(case, _open_or(_("案件已结束"))) as case:
        entry = _entry(case, EntryKind.ARBITRATION, user, note.strip())
        paused = deadlines.deadlines_pause_for(subject=case, reason="arbitration", city=_city(case))
        _pause_entry(case, user, paused, _("等待仲裁结果，暂停计时"))
    return entry


def case_suspend(*, case: Case, user: User, note: str) -> CaseEntry:
    """中止: the investigation waits on something outside the unit (a party cannot be reached,
    another authority must decide first); the clocks configured to pause for a suspension
    stand still until 恢复计时."""
    _check_scope(case, user)
    if not note.strip():
        raise ValidationError({"note": [_("请填写中止理由")]})
    with _acting_on(case, _open_or(_("案件已结束"))) as case:
        paused = deadlines.deadlines_pause_for(subject=case, reason="suspension", city=_city(case))
        entry = _pause_entry(case, user, paused, f"{_('中止办理，暂停计时')}：{note.strip()}")
        if entry is None:
            raise Conflict(_("没有可因中止而暂停的进行中时限（见各时限的暂停设置）"))
        return entry


def case_resume(*, case: Case, user: User, note: str = "") -> CaseEntry:
    """恢复计时: the clocks paused for arbitration, a suspension or by hand start again (a
    clock paused for an extension request resumes when the request is decided)."""
    _check_scope(case, user)
    with transaction.atomic():
        resumed: list[Deadline] = []
        for reason in ("arbitration", "suspension", ""):
            resumed += deadlines.deadlines_resume_for(subject=case, reason=reason)
        if not resumed:
            raise Conflict(_("办结时限未暂停"))
        return _entry(
            case, EntryKind.RESUME, user, note.strip(), data={"kinds": [d.kind for d in resumed]}
        )


def case_request_extension(
    *, case: Case, user: User, working_days: int, reason: str
) -> ExtensionRequest:
    """延期: once per case, up to the configured number of working days."""

    _check_scope(case, user)
    limit = config.get("case.extension_max_days", city=case.county.city_id)
    if not 1 <= working_days <= limit:
        raise ValidationError({"working_days": [_("延期应在1至%(n)s个工作日之间") % {"n": limit}]})
    if not reason.strip():
        raise ValidationError({"reason": [_("请填写延期理由")]})
    if _running(case, CLOSE) is None:
        raise Conflict(_("案件立案后才能申请延期"))
    try:
        with transaction.atomic():
            request = ExtensionRequest.objects.create(
                case=case, working_days=working_days, reason=reason.strip(), requested_by=user
            )
            _entry(
                case,
                EntryKind.EXTENSION_REQUEST,
                user,
                reason.strip(),
                data={"working_days": working_days},
            )
            # Clocks configured to wait for the decision (deadline.pause.<kind>.extension;
            # none by default) stand still until it is made.
            paused = deadlines.deadlines_pause_for(
                subject=case, reason="extension", city=_city(case)
            )
            _pause_entry(case, user, paused, _("等待延期审批，暂停计时"))
    except IntegrityError as exc:
        raise Conflict(_("该案件已申请过延期（只可延期一次）")) from exc
    return request


def case_decide_extension(
    *, request: ExtensionRequest, user: User, approve: bool, note: str = ""
) -> ExtensionRequest:
    """The head of the unit, the county or the city office decides; not the requester."""
    _check_scope(request.case, user)
    if not can_decide_extension(user, request):
        raise PermissionDenied(_("延期须由承办单位负责人、县（区）负责人或市欠薪办审批"))
    state = ExtensionState.APPROVED if approve else ExtensionState.REFUSED
    with transaction.atomic():
        updated = ExtensionRequest.objects.filter(
            pk=request.pk, state=ExtensionState.PENDING
        ).update(state=state, decided_by=user, decided_at=timezone.now())
        if not updated:
            raise Conflict(_("该延期申请已审批"))
        request.refresh_from_db()
        case = request.case
        deadlines.deadlines_resume_for(subject=case, reason="extension")
        if approve:
            running = _running(case, CLOSE)
            if running is None:
                raise Conflict(_("案件没有进行中的办结时限"))
            deadlines.deadline_extend(deadline=running, working_days=request.working_days)
        _entry(
            case,
            EntryKind.EXTENSION_DECISION,
            user,
            note.strip(),
            data={"approved": approve, "working_days": request.working_days},
        )
    return request


def case_decide_pending_extension(
    *, case: Case, user: User, approve: bool, note: str = ""
) -> ExtensionRequest:
    """Decide the case's pending extension request: the page and the API name the case, the
    request is looked up here."""
    request = selectors.pending_extension(case=case)
    if request is None:
        raise Conflict(_("没有待审批的延期申请"))
    return case_decide_extension(request=request, user=user, approve=approve, note=note)


def case_feedback(*, case: Case, user: User, satisfaction: int, note: str = "") -> Case:
    """回访: the complainants' satisfaction after closure."""
    _check_scope(case, user)
    if not 1 <= satisfaction <= 5:
        raise ValidationError({"satisfaction": [_("满意度为1至5")]})
    closed = _("结案后才能回访")
    with _acting_on(case, lambda c: None if c.state == CaseState.CLOSED else closed) as case:
        case.satisfaction = satisfaction
        case.save(update_fields=["satisfaction"])
        _entry(case, EntryKind.FEEDBACK, user, note.strip(), data={"satisfaction": satisfaction})
    return case


def complaint_rate(*, complaint: Complaint, satisfaction: int) -> ComplaintRating:
    """The complainant rates the handling of their closed case on the public rating page,
    once per complaint (the unique row); the case's satisfaction — the figure the dashboards
    average — becomes the mean of its complainants' ratings, rounded half up. A callback
    recorded afterwards (case_feedback) sets it again: the latest record stands."""
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": [_("请选择满意程度")]})
    not_closed = _("该投诉尚未办结，办结后才能评价")
    if complaint.case_id is None:
        raise Conflict(not_closed)
    case = Case.objects.get(pk=complaint.case_id)
    with _acting_on(case, lambda c: None if c.state == CaseState.CLOSED else not_closed) as case:
        try:
            with transaction.atomic():
                rating = ComplaintRating.objects.create(
                    complaint=complaint, satisfaction=satisfaction
                )
        except IntegrityError as exc:
            raise Conflict(_("您已评价过，感谢您的反馈")) from exc
        given = list(
            ComplaintRating.objects.filter(complaint__case=case).values_list(
                "satisfaction", flat=True
            )
        )
        mean = (Decimal(sum(given)) / len(given)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        case.satisfaction = int(mean)
        case.save(update_fields=["satisfaction"])
        label = Satisfaction(satisfaction).label
        _entry(
            case,
            EntryKind.FEEDBACK,
            None,
            _("投诉人网上评价（查询码 %(t)s）：%(l)s") % {"t": complaint.tracking_no, "l": label},
            data={"satisfaction": satisfaction, "online": True, "complaint": complaint.pk},
        )
        record_event(complaint, EventKind.RATED, note=f"{satisfaction} {label}")
    return rating
