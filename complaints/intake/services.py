"""Taking a complaint in from any channel, routing it, and the receiving unit's signature or
return."""

from __future__ import annotations

import datetime
import re
import secrets
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears import audit, locks, offices
from arrears.identifiers import (
    mask_phone,
    mask_resident_id,
    normalize_credit_code,
    normalize_phone,
    normalize_resident_id,
)
from arrears.models import City, County, Department, Industry, Role, User
from arrears.notifications import Text
from arrears.permissions import is_city_office
from arrears.scoping import for_user
from arrears.services import notification_send
from complaints.cases.services import case_for_complaint
from complaints.evidence import store_evidence, validate_files
from complaints.intake import duplicates, routing
from complaints.intake.lookups import Lookups
from complaints.integration import sms, work_orders
from complaints.models import (
    Attachment,
    Channel,
    Complaint,
    ComplaintStatus,
    EventKind,
    IntegrationClient,
    RevealLog,
)
from complaints.permissions import can_sign_or_return
from complaints.timeline import record_event, texts_send
from complaints.tracking import (  # noqa: F401 - named here for older imports
    TRACKING_ALPHABET,
    TRACKING_LENGTH,
    format_tracking_no,
    new_tracking_no,
    normalize_tracking_no,
)

# What a channel may send: the keys of ComplaintData. Everything else is ignored.
INPUT_FIELDS = (
    "complainant_name",
    "complainant_phone",
    "complainant_id_number",
    "complainant_address",
    "employer_name",
    "employer_credit_code",
    "employer_address",
    "employer_contact",
    "employer_phone",
    "project_code",
    "project_name",
    "project_address",
    "city_code",
    "county_code",
    "industry_code",
    "workers_owed",
    "amount_owed",
    "period_start",
    "period_end",
    "facts",
    "request",
    "received_at",
    "work_order_type",  # referrals only (checked against the client's types: referrals.py)
)
ComplaintData = dict[str, Any]


FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


def _text(data: ComplaintData, key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value).strip()


def _numbers(data: ComplaintData, errors: dict[str, list[str]]) -> tuple[Decimal | None, int]:
    """The amount owed (yuan, to the fen) and the number of workers, as typed."""
    amount: Decimal | None = None
    try:
        amount = Decimal(str(data.get("amount_owed", ""))).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors["amount_owed"] = [_("请填写欠薪金额（元），最多两位小数")]
    else:
        if amount < 0:
            errors["amount_owed"] = [_("欠薪金额不能为负数")]
        elif amount > Decimal("999999999.99"):
            errors["amount_owed"] = [_("欠薪金额超出范围，请核对")]
    workers = data.get("workers_owed")
    try:
        workers = int(workers) if workers not in (None, "") else None
    except (TypeError, ValueError):
        workers = None
    if workers is None or workers < 1:
        errors["workers_owed"] = [_("涉及人数至少为1人")]
    return amount, workers or 0


def _city(
    data: ComplaintData, errors: dict[str, list[str]], known: City | None, lookups: Lookups
) -> City | None:
    """The city the complaint belongs to: the one its channel belongs to (a city's own
    referring system, a duty officer's city) or the one the input names by code; the two must
    agree."""
    code = _text(data, "city_code")
    if not code:
        return known
    named = lookups.city(code)
    if named is None:
        errors["city_code"] = [_("未知的地级市代码：%(c)s") % {"c": code}]
    elif known is not None and named.pk != known.pk:
        errors["city_code"] = [_("只能受理%(city)s的投诉") % {"city": known.name}]
    return known or named


def _references(
    data: ComplaintData, errors: dict[str, list[str]], city: City | None, lookups: Lookups
) -> tuple[County | None, Industry | None, Any]:
    """The county, industry and registered project the input names by code (or the project
    by its name); an unknown code is an error, an unnamed one is simply left empty. A county
    outside the complaint's city is an error too."""
    county = None
    if code := _text(data, "county_code"):
        county = lookups.county(code)
        if county is None:
            errors["county_code"] = [_("未知的县（区）代码：%(c)s") % {"c": code}]
        elif city is not None and county.city_id != city.pk:
            errors["county_code"] = [
                _("%(county)s不属于%(city)s") % {"county": county.name, "city": city.name}
            ]
    industry = None
    if code := _text(data, "industry_code"):
        industry = lookups.industry(code)
        if industry is None:
            errors["industry_code"] = [_("未知的行业代码：%(c)s") % {"c": code}]
    project = routing.match_project(
        code=_text(data, "project_code"),
        name=_text(data, "project_name"),
        county=county,
        lookups=lookups,
    )
    if _text(data, "project_code") and project is None:
        errors["project_code"] = [_("未找到编号为 %(c)s 的登记项目") % {"c": data["project_code"]}]
    return county, industry, project


def _date_errors(complaint: Complaint, now: datetime.datetime) -> dict[str, list[str]]:
    """The wage period and the time received: not in the future, not before 2000, in order."""
    errors: dict[str, list[str]] = {}
    today = timezone.localdate(now)
    for field in ("period_start", "period_end"):
        value = getattr(complaint, field)
        if value is not None and value > today:
            errors.setdefault(field, []).append(_("日期不能晚于今天"))
        if value is not None and value.year < 2000:
            errors.setdefault(field, []).append(_("日期不能早于2000年"))
    if complaint.received_at.year < 2000:
        errors.setdefault("received_at", []).append(_("日期不能早于2000年"))
    elif complaint.received_at > now + datetime.timedelta(minutes=5):
        errors.setdefault("received_at", []).append(_("收到时间不能晚于当前时间"))
    start, end = complaint.period_start, complaint.period_end
    if start and end and end < start:
        errors.setdefault("period_end", []).append(_("欠薪截止日期不能早于起始日期"))
    return errors


# The complaint's references to rows intake looked up itself (all optional).
_REFERENCES = ("city", "county", "industry", "project", "employer")


def _build(
    data: ComplaintData, channel: str, city: City | None = None, lookups: Lookups | None = None
) -> Complaint:
    """A Complaint from the input, validated field by field: every problem is reported at once,
    one message list per field (ValidationError), and nothing is saved here."""
    lookups = lookups or Lookups()
    errors: dict[str, list[str]] = {}
    now = timezone.now()
    amount, workers = _numbers(data, errors)
    city = _city(data, errors, city, lookups)
    county, industry, project = _references(data, errors, city, lookups)
    complaint = Complaint(
        channel=channel,
        city=city or (county.city if county else None),
        received_at=data.get("received_at") or now,
        complainant_name=_text(data, "complainant_name"),
        complainant_phone=normalize_phone(_text(data, "complainant_phone")),
        complainant_id_number=normalize_resident_id(_text(data, "complainant_id_number")),
        complainant_address=_text(data, "complainant_address"),
        employer_name=_text(data, "employer_name"),
        employer_credit_code=normalize_credit_code(_text(data, "employer_credit_code")),
        employer_address=_text(data, "employer_address"),
        employer_contact=_text(data, "employer_contact"),
        employer_phone=normalize_phone(_text(data, "employer_phone")),
        project=project,
        project_name=_text(data, "project_name") or (project.name if project else ""),
        project_address=_text(data, "project_address") or (project.address if project else ""),
        county=county,
        industry=industry or (project.industry if project else None),
        workers_owed=workers,
        amount_owed=amount if amount is not None else Decimal("0"),
        period_start=data.get("period_start") or None,
        period_end=data.get("period_end") or None,
        facts=_text(data, "facts"),
        request=_text(data, "request"),
        work_order_type=_text(data, "work_order_type"),
        tracking_no="-",
    )
    try:
        # Constraints are checked here in Python (one message per field, no query each).
        # The references are rows just read (Lookups): checking each exists again was one
        # query per reference and complaint; the foreign keys still guard the insert.
        complaint.full_clean(
            exclude=["tracking_no", "client", "received_by", "signed_by", *_REFERENCES],
            validate_constraints=False,
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    for field, messages in _date_errors(complaint, now).items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError({k: list(dict.fromkeys(v)) for k, v in errors.items()})
    complaint.employer = routing.match_employer(
        credit_code=complaint.employer_credit_code, name=complaint.employer_name, lookups=lookups
    )
    return complaint


def complaint_check(
    *, data: ComplaintData, channel: str, received_by: User | None = None
) -> dict[str, list[str]]:
    """The field errors complaint_create would raise for this input, saving nothing: a form
    with errors of its own shows these beside them, so one submit reports every problem."""
    try:
        _build(data, channel, _home_city(received_by, None))
    except ValidationError as exc:
        return exc.message_dict
    return {}


def _save_files(complaint: Complaint, files: Sequence[UploadedFile]) -> None:
    for upload in files:
        store_evidence(Attachment(complaint=complaint), upload)


def _notify_unit(complaint: Complaint) -> None:
    if complaint.department is None:
        # Its city's office dispatches it; the province office when no city was found.
        recipients = offices.office_users(city_id=complaint.city_id)
        title = Text(gettext_lazy("新投诉待分派：%(e)s"), e=complaint.employer_name)
    else:
        recipients = User.objects.filter(
            is_active=True,
            department=complaint.department,
            role__in=[Role.DEPARTMENT_OFFICIAL, Role.INSPECTOR],
        )
        title = Text(gettext_lazy("新投诉待签收：%(e)s"), e=complaint.employer_name)
    notification_send(
        recipients=recipients,
        kind="complaint.incoming",
        title=title,
        body=Text(
            gettext_lazy("%(n)s 人，%(a)s 元"), n=complaint.workers_owed, a=complaint.amount_owed
        ),
        url=f"/complaints/{complaint.tracking_no}/",
        dedupe_key=f"complaint.incoming:{complaint.pk}:{complaint.department_id}",
        subject=complaint,
    )


def _home_city(received_by: User | None, client: IntegrationClient | None) -> City | None:
    """Where a channel belongs: a city's own referring system, or the city of the duty
    officer or window clerk who took it in (None: province-wide, routed by address)."""
    if client is not None:
        return client.city
    if received_by is not None and received_by.city_id is not None:
        return received_by.city
    return None


def _route_of(complaint: Complaint, lookups: Any) -> routing.Route:
    """Where a complaint not saved yet goes, from what it says (one place for the single and
    the batched intake)."""
    return routing.route(
        city=complaint.city,
        county=complaint.county,
        project=complaint.project,
        industry=complaint.industry,
        addresses={
            "project_address": complaint.project_address,
            "employer_address": complaint.employer_address,
            "complainant_address": complaint.complainant_address,
        },
        lookups=lookups,
    )


def _apply_route(complaint: Complaint, route: routing.Route, actor: User | None) -> None:
    complaint.city = route.city or complaint.city
    complaint.county = route.county
    complaint.department = route.department
    if route.department is None:
        complaint.status = ComplaintStatus.PENDING_DISPATCH
    else:
        complaint.status = ComplaintStatus.PENDING_SIGNATURE
        complaint.routed_at = timezone.now()
        complaint.responsible_department = complaint.responsible_department or route.department


def complaint_create(
    *,
    data: ComplaintData,
    channel: str,
    received_by: User | None = None,
    client: IntegrationClient | None = None,
    external_id: str | None = None,
    payload_hash: str = "",
    files: Sequence[UploadedFile] = (),
    form_token: str | None = None,
) -> Complaint:
    """Take a complaint in: validate everything first, then save, route, check duplicates,
    and tell the receiving unit — all or nothing. A form's one-time token already used
    returns the complaint it filed, unchanged (a double submit files one complaint)."""
    if form_token:
        filed = Complaint.objects.filter(form_token=form_token).first()
        if filed is not None:
            return filed
    if channel not in Channel.values:
        raise ValidationError({"channel": [_("未知的投诉渠道")]})
    lookups = Lookups()
    complaint = _build(data, channel, _home_city(received_by, client), lookups)
    validate_files(files)
    complaint.client, complaint.external_id, complaint.payload_hash = (
        client,
        external_id,
        payload_hash,
    )
    complaint.received_by = received_by
    complaint.form_token = form_token or None
    route = _route_of(complaint, lookups)
    with transaction.atomic():
        _apply_route(complaint, route, received_by)
        filed = _save_numbered(complaint, form_token)
        if filed is not complaint:
            return filed  # the same form submitted twice at once: the other request filed it
        _save_files(complaint, files)
        work_orders.work_orders_start([complaint])  # before the receipt and its callback
        _record_receipt(complaint, route, received_by)
        texts_send([sms.received(complaint)])
        duplicates.flag_duplicates(complaint)
        _notify_unit(complaint)
    return complaint


def _save_numbered(complaint: Complaint, form_token: str | None) -> Complaint:
    """Save under a new tracking number; the complaint another request already filed with the
    same form token if that is what the unique constraint caught."""
    for _attempt in range(5):  # a collision in 2^50 is unlikely; a retry costs nothing
        complaint.tracking_no = new_tracking_no()
        try:
            with transaction.atomic():
                complaint.save()
            return complaint
        except IntegrityError:
            if form_token:
                filed = Complaint.objects.filter(form_token=form_token).first()
                if filed is not None:
                    return filed
            if Complaint.objects.filter(tracking_no=complaint.tracking_no).exists():
                continue
            raise
    raise IntegrityError("no free tracking number after 5 attempts")


def _record_receipt(complaint: Complaint, route: routing.Route, actor: User | None) -> None:
    """The first steps of the timeline, both public: received, then routed or awaiting dispatch."""
    record_event(
        complaint,
        EventKind.RECEIVED,
        actor=actor,
        public_text=_("已收到您的投诉（%(c)s）") % {"c": complaint.get_channel_display()},
    )
    if complaint.department is not None:
        record_event(
            complaint,
            EventKind.ROUTED,
            department=complaint.department,
            note=route.rule,
            public_text=_("已转交%(d)s办理") % {"d": complaint.department.name},
        )
    else:
        record_event(
            complaint, EventKind.DISPATCH, note=route.rule, public_text=_("已转市根治欠薪办分派")
        )


def _locked(complaint: Complaint) -> Complaint:
    return locks.lock_row(Complaint.objects.all(), pk=complaint.pk)


def complaint_sign(*, complaint: Complaint, user: User) -> Complaint:
    """The receiving unit signs for (签收) a routed complaint and becomes responsible."""
    with transaction.atomic():
        current = _locked(complaint)
        if not for_user(Complaint.objects.filter(pk=current.pk), user).exists():
            raise PermissionDenied(_("该投诉不在您的办理范围内"))
        if not can_sign_or_return(user, current):
            raise PermissionDenied(_("只有承办单位的工作人员可以签收"))
        if current.status != ComplaintStatus.PENDING_SIGNATURE:
            raise ValidationError(
                _("该投诉当前状态为“%(s)s”，不能签收") % {"s": current.get_status_display()}
            )
        current.status = ComplaintStatus.SIGNED
        current.signed_at = timezone.now()
        current.signed_by = user
        current.responsible_department = current.department
        current.save(update_fields=["status", "signed_at", "signed_by", "responsible_department"])
        record_event(
            current,
            EventKind.SIGNED,
            actor=user,
            department=current.department,
            public_text=_("%(d)s已签收，正在办理") % {"d": current.department},
        )
        # Under the complaint's row lock, like the status check: signed once, texted once.
        texts_send([sms.signed(current, current.department)])
        # Signing starts the handling: the complaint joins (or opens) its unit's case.

        case_for_complaint(complaint=current, user=user)
        current.refresh_from_db(fields=["case"])
    return current


def complaint_return(*, complaint: Complaint, user: User, reason: str) -> Complaint:
    """Return (退回) a mis-routed complaint to the city office's dispatch queue, with a reason.
    Until someone signs, the first receiving unit stays on record as responsible."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("请填写退回理由")]})
    with transaction.atomic():
        current = _locked(complaint)
        if not for_user(Complaint.objects.filter(pk=current.pk), user).exists():
            raise PermissionDenied(_("该投诉不在您的办理范围内"))
        if not can_sign_or_return(user, current):
            raise PermissionDenied(_("只有承办单位的工作人员可以退回"))
        if current.status != ComplaintStatus.PENDING_SIGNATURE:
            raise ValidationError(
                _("该投诉当前状态为“%(s)s”，不能退回") % {"s": current.get_status_display()}
            )
        returned_from = current.department
        current.status = ComplaintStatus.PENDING_DISPATCH
        current.department = None
        current.save(update_fields=["status", "department"])
        record_event(
            current,
            EventKind.RETURNED,
            actor=user,
            department=returned_from,
            note=reason,
            public_text=_("正在重新确定承办单位"),
        )
        _notify_unit(current)
    return current


def complaint_dispatch(*, complaint: Complaint, user: User, department: Department) -> Complaint:
    """The city office assigns a complaint from its dispatch queue to one of its county
    departments; the province office dispatches its own queue (referrals no city could be
    found for) and may send a complaint to another city's department."""

    if not is_city_office(user):
        raise PermissionDenied(_("只有根治欠薪办可以分派投诉"))
    if department.county_id is None:
        raise ValidationError({"department": [_("请选择县（区）级承办单位")]})
    if not for_user(Department.objects.filter(pk=department.pk), user).exists():
        raise ValidationError({"department": [_("该承办单位不在您的管辖范围内")]})
    with transaction.atomic():
        current = _locked(complaint)
        if current.status != ComplaintStatus.PENDING_DISPATCH:
            raise ValidationError(
                _("该投诉当前状态为“%(s)s”，不在待分派队列") % {"s": current.get_status_display()}
            )
        current.city_id = department.city_id
        current.county_id = department.county_id
        current.department = department
        current.status = ComplaintStatus.PENDING_SIGNATURE
        current.routed_at = timezone.now()
        current.responsible_department = current.responsible_department or department
        current.save(
            update_fields=[
                "city",
                "county",
                "department",
                "status",
                "routed_at",
                "responsible_department",
            ]
        )
        record_event(
            current,
            EventKind.ROUTED,
            actor=user,
            department=department,
            note="dispatch",
            public_text=_("已转交%(d)s办理") % {"d": department.name},
        )
        _notify_unit(current)
    return current


REVEALABLE = {"complainant_phone": mask_phone, "complainant_id_number": mask_resident_id}


def complaint_reveal(*, complaint: Complaint, user: User, field: str, ip: str | None = None) -> str:
    """The full value of a masked personal identifier, for a user with the permission; every
    reveal is logged (who, when, which record)."""
    if field not in REVEALABLE:
        raise ValidationError({"field": [_("该字段不能查看")]})
    refused = None
    if not user.has_perm("complaints.reveal_personal_data"):
        refused = _("您没有查看完整个人信息的权限")
    elif not for_user(Complaint.objects.filter(pk=complaint.pk), user).exists():
        refused = _("该投诉不在您的办理范围内")
    if refused is not None:
        # A refused reveal is a security event too (who tried to see whose data).
        audit.security_event(
            kind="reveal",
            actor=user,
            obj=complaint,
            address=ip or "",
            result="denied",
            detail={"field": field},
        )
        raise PermissionDenied(refused)
    with transaction.atomic():
        RevealLog.objects.create(user=user, complaint=complaint, field=field, ip=ip or None)
        record_event(complaint, EventKind.REVEALED, actor=user, note=field)
        audit.security_event(
            kind="reveal", actor=user, obj=complaint, address=ip or "", detail={"field": field}
        )
    return str(getattr(complaint, field))
