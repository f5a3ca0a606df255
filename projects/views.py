"""Pages of the projects side: project list and page, employers and their lists, campaigns,
the warning queue."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from arrears import config, jobs
from arrears.errors import Conflict
from arrears.job_views import sent_to_background
from arrears.models import User
from arrears.paging import offset_page
from arrears.request_user import request_user
from arrears.scoping import get_for_user_or_404
from arrears.sorting import sort_queryset
from arrears.spreadsheets import csv_response
from projects import clock_views, importer, permissions, risk_selectors, selectors, services
from projects.forms import (
    CampaignForm,
    DepositEventForm,
    ListingAddForm,
    ListingRemoveForm,
    WageRecordForm,
    WarningCaseForm,
    error_texts,
)
from projects.models import (
    ListKind,
    ProjectStatus,
    Warning,
    WarningState,
    checked_items,
    core_items,
)

# The project list's sortable columns (?sort=code, ?sort=-name, …).
PROJECT_SORTS = {
    "code": ["code"],
    "name": ["name"],
    "county": ["county__code", "name"],
    "industry": ["industry__code", "name"],
    "status": ["status", "name"],
}


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.project_list(user=request_user(request, staff=True))
    query = request.GET.get("q", "").strip()
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(code__icontains=query))
    status = request.GET.get("status", "")
    if status in ProjectStatus.values:
        qs = qs.filter(status=status)
    qs, sorting = sort_queryset(request, qs, PROJECT_SORTS, default="county")
    page = offset_page(request, qs, 50)
    return render(
        request,
        "projects/list.html",
        {
            "page": page,
            "sorting": sorting,
            "q": query,
            "status": status,
            "statuses": ProjectStatus.choices,
            "coverage": selectors.coverage(user=request_user(request, staff=True)),
            "core_labels": [str(dict(checked_items())[code]) for code in core_items()],
        },
    )


@login_required
def project_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request, staff=True)
    project = get_for_user_or_404(selectors.project_list(user=user), user, pk=pk)
    checklist = {c.item: c for c in project.checklist.select_related("verified_by")}
    return render(
        request,
        "projects/detail.html",
        {
            "project": project,
            # The items checked (compliance.items); rows of an item taken out stay unshown.
            "checklist": [(code, label, checklist.get(code)) for code, label in checked_items()],
            "parties": project.parties.select_related("employer"),
            "records": project.wage_records.all()[:12],
            "warnings": selectors.with_case_visibility(
                project.warnings.select_related("case"), user
            )[:20],
            "inspections": project.inspections.prefetch_related("findings__rectification", "fines")[
                :20
            ],
            "complaints": project.complaints.all()[:20],
            "required_deposit": services.required_deposit(project=project),
            "clocks": selectors.rectification_clocks(project=project),
            "can_inspect": permissions.can_inspect(user),
            "risk": risk_selectors.project_risk(project=project, user=user),
            # The wage deposit: its position, history, clocks and the form to record events.
            "deposit": services.deposit_position(project=project),
            "deposit_events": selectors.deposit_events(project=project)[:20],
            "deposit_clocks": selectors.deposit_clocks(project=project)[:20],
            "deposit_form": (
                DepositEventForm(project=project, auto_id="deposit_%s")
                if permissions.can_inspect(user)
                else None
            ),
        },
    )


@login_required
def warning_queue(request: HttpRequest) -> HttpResponse:
    """Open warnings to dispose of, or (state=resolved) disposed ones with their cases."""
    user = request_user(request, staff=True)
    state = request.GET.get("state", WarningState.OPEN)
    if state not in WarningState.values:
        state = WarningState.OPEN
    # ?employer=<pk>: that employer's warnings across its projects (an employer outside the
    # user's scope is a 404, as its page is).
    employer_pk = request.GET.get("employer", "")
    employer = (
        selectors.employer_detail(user=user, pk=int(employer_pk)) if employer_pk.isdigit() else None
    )
    page = offset_page(
        request,
        selectors.warning_queue(
            user=user, state=state, employer_id=employer.pk if employer else None
        ),
        50,
    )
    return render(
        request,
        "projects/warnings.html",
        {
            "page": page,
            "dispositions": services.DISPOSITIONS,
            "state": state,
            "employer": employer,
            "can_dispose": permissions.can_dispose_warning(user),
        },
    )


@login_required
def warning_new_case(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a new case from a warning, prefilled with its project's liable employer and the
    latest month's unpaid figures; the case service numbers and clocks it."""
    user = request_user(request, staff=True)
    warning = get_for_user_or_404(
        Warning.objects.select_related("project", "county", "department"), user, pk=pk
    )
    if not permissions.can_dispose_warning(user):
        raise PermissionDenied(_("您不能处置预警"))
    defaults = services.warning_case_defaults(warning=warning)
    form = WarningCaseForm(
        request.POST or None,
        initial={"workers_owed": defaults["workers_owed"], "amount_owed": defaults["amount_owed"]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            case = services.warning_open_case(warning=warning, user=user, **form.cleaned_data)
        except ValidationError as exc:
            for text in exc.messages:
                form.add_error(None, text)
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("warning-queue")
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已转为案件 %(n)s") % {"n": case.number})
            return redirect("case-page", pk=case.pk)
    return render(
        request,
        "projects/warning_case_form.html",
        {"warning": warning, "form": form, "employer": defaults["employer"]},
    )


@login_required
@require_POST
def warning_dispose(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request, staff=True)
    warning = get_for_user_or_404(Warning.objects.all(), user, pk=pk)
    try:
        services.warning_dispose(
            warning=warning,
            user=user,
            disposition=request.POST.get("disposition", ""),
            note=request.POST.get("note", ""),
            case_number=request.POST.get("case_number", ""),
        )
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    except Conflict as exc:
        messages.error(request, exc.message)
    except PermissionDenied as exc:
        messages.error(request, str(exc))  # the service says whose it is to dispose
    else:
        messages.success(request, _("已处置"))
    return redirect("warning-queue")


@login_required
def project_import(request: HttpRequest) -> HttpResponse:
    """Upload a CSV or Excel file; nothing is saved unless every row is right."""
    user = request_user(request, staff=True)
    if not permissions.can_maintain_registry(user):
        raise PermissionDenied(_("只有市根治欠薪办和行业主管部门负责人可以导入项目"))
    report = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        problem = _upload_problem(upload)
        if upload is None or problem:
            messages.error(request, problem)
        elif _large(upload):
            return _import_in_background(request, user, "projects.import", upload)
        else:
            report = importer.project_import(name=upload.name or "", content=upload.read())
            if report.ok:
                messages.success(request, _("已导入 %(n)s 个项目") % {"n": report.created})
                return redirect("project-import")
    return render(
        request,
        "projects/import.html",
        {
            "report": report,
            "columns": importer.COLUMNS,
            "headers": importer.template_header(importer.COLUMNS),
        },
    )


MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _upload_problem(upload: Any) -> str:
    """Why an uploaded import file is refused before it is read ("" when it is not): the two
    imports take the same files."""
    name = (upload.name or "") if upload is not None else ""
    if upload is None or not name.lower().endswith((".csv", ".xlsx")):
        return _("请上传 CSV 或 Excel（.xlsx）文件")
    if upload.size and upload.size > MAX_UPLOAD_BYTES:
        return _("文件不能超过20MB")
    return ""


def _large(upload: Any) -> bool:
    return jobs.import_in_background(size=upload.size)


def _import_in_background(request: HttpRequest, user: User, kind: str, upload: Any) -> Any:
    job = jobs.job_start(owner=user, kind=kind, params={}, summary=upload.name, upload=upload)
    return sent_to_background(request, job)


@login_required
def project_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The projects in the user's scope as CSV: streamed when few, else a background job."""
    user = request_user(request, staff=True)
    projects = selectors.project_list(user=user).order_by("code")
    if jobs.export_in_background(rows=projects.count(), asked=request.GET.get("background") == "1"):
        job = jobs.job_start(owner=user, kind="projects.export", params={}, summary=_("工程项目"))
        return sent_to_background(request, job)
    return csv_response(importer.export_rows(projects), "projects.csv")


@login_required
def inspection_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an inspection on site (phone or tablet): one row per finding, each with its
    rectification period; the orders' deadlines then show on the project page."""
    user = request_user(request, staff=True)
    project = get_for_user_or_404(selectors.project_list(user=user), user, pk=pk)
    if not permissions.can_inspect(user):
        # The button is not shown to them (same rule); a typed or stale link says why.
        messages.error(request, _("只有监察员和主管部门可以登记检查"))
        return redirect("project-page", pk=project.pk)
    today = timezone.localdate()
    campaigns = selectors.campaigns_on(today, city_id=project.county.city_id)
    # Arriving from a campaign's page preselects it.
    chosen = request.POST.get("campaign") or request.GET.get("campaign") or ""
    if request.method == "POST":
        campaign = campaigns.filter(pk=request.POST.get("campaign") or 0).first()
        try:
            inspected_on = datetime.date.fromisoformat(request.POST.get("inspected_on", ""))
            services.inspection_record(
                project=project,
                inspector=user,
                inspected_on=inspected_on,
                findings=_posted_findings(request),
                campaign=campaign,
                note=request.POST.get("note", ""),
            )
        except ValueError:
            messages.error(request, _("请填写检查日期"))
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        else:
            messages.success(request, _("已登记检查，整改期限已开始计算"))
            return redirect("project-page", pk=project.pk)
    return render(
        request,
        "projects/inspection_form.html",
        {
            "project": project,
            "items": checked_items(),
            "campaigns": campaigns,
            "today": today,
            "rows": range(3),
            "chosen": chosen,
            "default_days": config.get("rectification.default_days", city=project.county.city_id),
        },
    )


def _posted_findings(request: HttpRequest) -> list[dict[str, Any]]:
    """The form's finding rows (item, description, period), blank rows left out."""
    findings = []
    for item, description, days in zip(
        request.POST.getlist("item"),
        request.POST.getlist("description"),
        request.POST.getlist("working_days"),
        strict=False,
    ):
        if item or description.strip():
            findings.append(
                {"item": item, "description": description, "working_days": days or None}
            )
    return findings


@login_required
@require_POST
def checklist_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the verified state of one 5+3 item (with the deposit's amount and expiry, or the
    wage account's bank and number, which is stored and shown masked)."""
    user = request_user(request, staff=True)
    project = get_for_user_or_404(selectors.project_list(user=user), user, pk=pk)
    if not permissions.can_inspect(user):
        messages.error(request, _("只有监察员和主管部门可以核查"))
        return redirect("project-page", pk=project.pk)
    post = request.POST
    try:
        amount = Decimal(post["amount"]) if post.get("amount") else None
        expires_on = (
            datetime.date.fromisoformat(post["expires_on"]) if post.get("expires_on") else None
        )
        facts = {
            k: post[k].strip()
            for k in ("bank", "account", "issuer", "form")
            if post.get(k, "").strip()
        }
        services.checklist_set(
            project=project,
            item=post.get("item", ""),
            state=post.get("state", ""),
            user=user,
            evidence=post.get("evidence", ""),
            amount=amount,
            expires_on=expires_on,
            facts=facts,
        )
    except (InvalidOperation, ValueError):
        messages.error(request, _("金额或日期格式不正确"))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("已保存核查结果"))
    return redirect("project-page", pk=project.pk)


@login_required
def wage_record_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Enter (or correct) one month of a project's wage roll by hand: the form checks types,
    services.wage_record_save (which the bank import calls too) checks the rules and saves."""
    user = request_user(request, staff=True)
    project = get_for_user_or_404(selectors.project_list(user=user), user, pk=pk)
    if not permissions.can_inspect(user):
        messages.error(request, _("只有监察员和主管部门可以登记工资支付记录"))
        return redirect("project-page", pk=project.pk)
    form = WageRecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.wage_record_save(project=project, source="entered", **form.cleaned_data)
        except ValidationError as exc:
            for field_name, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field_name if field_name in form.fields else None, error)
        else:
            messages.success(request, _("已保存月度工资支付记录"))
            return redirect("project-page", pk=project.pk)
    return render(request, "projects/wage_record_form.html", {"project": project, "form": form})


@login_required
def wage_records_import(request: HttpRequest) -> HttpResponse:
    """Upload a bank's monthly wage-payment file; nothing is saved unless every row is right."""
    user = request_user(request, staff=True)
    if not permissions.can_maintain_registry(user):
        raise PermissionDenied(_("只有市根治欠薪办和行业主管部门负责人可以导入"))
    report = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        problem = _upload_problem(upload)
        if upload is None or problem:
            messages.error(request, problem)
        elif _large(upload):
            return _import_in_background(request, user, "projects.wage_import", upload)
        else:
            report = importer.wage_records_import(name=upload.name or "", content=upload.read())
            if report.ok:
                messages.success(request, _("已导入 %(n)s 条月度记录") % {"n": report.created})
                return redirect("wage-records-import")
    return render(
        request,
        "projects/import.html",
        {
            "report": report,
            "columns": importer.WAGE_COLUMNS,
            "headers": importer.template_header(importer.WAGE_COLUMNS),
            "wage_records": True,
        },
    )


@login_required
def import_template(request: HttpRequest, kind: str) -> StreamingHttpResponse:
    """An empty import file with the Chinese headers (kind: projects or wage-records)."""
    request_user(request, staff=True)
    columns = importer.WAGE_COLUMNS if kind == "wage-records" else importer.COLUMNS
    return csv_response([importer.template_header(columns)], f"{kind}-template.csv")


# --- Employers ------------------------------------------------------------------------------


@login_required
def employer_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    listed = request.GET.get("list", "")
    if listed not in ListKind.values:
        listed = ""
    qs = selectors.employer_search(
        user=request_user(request, staff=True), query=query, listed_on=listed
    )
    return render(
        request,
        "projects/employer_list.html",
        {
            "page": offset_page(request, qs, 50),
            "q": query,
            "list": listed,
            "kinds": ListKind.choices,
        },
    )


@login_required
def employer_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request, staff=True)
    employer = selectors.employer_detail(user=user, pk=pk)
    listings = selectors.employer_listings(employer=employer)
    manage = permissions.can_manage_lists(user)
    return render(
        request,
        "projects/employer_detail.html",
        {
            "employer": employer,
            "parties": selectors.employer_parties(employer=employer, user=user),
            "complaints": selectors.employer_complaints(employer=employer, user=user)[:50],
            "warnings": selectors.employer_warnings(employer=employer, user=user)[:50],
            "risk": risk_selectors.employer_risk(employer=employer, user=user),
            "listings": listings,
            "current_kinds": {x.kind for x in listings if x.is_current},
            "can_manage": manage,
            "add_form": ListingAddForm() if manage else None,
            "remove_form": ListingRemoveForm(auto_id="remove_%s") if manage else None,
            **clock_views.early_removal_context(user=user, employer=employer, listings=listings),
        },
    )


def _listing_action(request: HttpRequest, pk: int, form_class: type, add: bool) -> HttpResponse:
    user = request_user(request, staff=True)
    # Scope first (404 outside it), then the role (403): nobody learns what exists elsewhere.
    employer = selectors.employer_detail(user=user, pk=pk)
    if not permissions.can_manage_lists(user):
        raise PermissionDenied(_("只有市根治欠薪办可以管理名单"))
    form = form_class(request.POST)
    if not form.is_valid():
        for text in error_texts(form):
            messages.error(request, text)
        return redirect("employer-page", pk=employer.pk)
    data = form.cleaned_data
    try:
        if add:
            services.employer_listing_add(employer=employer, user=user, **data)
        else:
            services.employer_listing_remove(
                employer=employer,
                user=user,
                kind=data["kind"],
                removed_on=data["removed_on"],
                reason=data["removal_reason"],
            )
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已列入名单") if add else _("已移出名单"))
    return redirect("employer-page", pk=employer.pk)


@login_required
@require_POST
def employer_listing_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _listing_action(request, pk, ListingAddForm, add=True)


@login_required
@require_POST
def employer_listing_remove(request: HttpRequest, pk: int) -> HttpResponse:
    return _listing_action(request, pk, ListingRemoveForm, add=False)


# --- Campaigns ------------------------------------------------------------------------------


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    """Every campaign with its inspections in the user's scope; the city office launches one
    here."""
    user = request_user(request, staff=True)
    manage = permissions.can_manage_campaigns(user)
    form = CampaignForm()
    if request.method == "POST":
        if not manage:
            raise PermissionDenied(_("只有市根治欠薪办可以发起专项行动"))
        form = CampaignForm(request.POST)
        if form.is_valid():
            try:
                campaign = services.campaign_create(user=user, **form.cleaned_data)
            except ValidationError as exc:
                for text in exc.messages:
                    messages.error(request, text)
            else:
                messages.success(request, _("已发起专项行动"))
                return redirect("campaign-page", pk=campaign.pk)
        else:
            for text in error_texts(form):
                messages.error(request, text)
    page = offset_page(request, selectors.campaign_list(user=user), 50)
    return render(
        request,
        "projects/campaign_list.html",
        {"page": page, "form": form if manage else None},
    )


@login_required
def campaign_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A campaign: period, scope and what it found. The campaign is city-wide; its inspections
    and their figures are narrowed to the user's scope, so a county sees its own part."""
    user = request_user(request, staff=True)
    campaign = selectors.campaign_detail(pk=pk, user=user)
    inspections = selectors.campaign_inspections(campaign=campaign, user=user)
    draw = risk_selectors.latest_draw(campaign=campaign)
    entries = risk_selectors.draw_entries(draw=draw, user=user) if draw else []
    return render(
        request,
        "projects/campaign_detail.html",
        {
            "campaign": campaign,
            "draw": draw,
            "entries": [(e, risk_selectors.reasons_shown(e)) for e in entries],
            "can_draw": permissions.can_manage_campaigns(user)
            and campaign.ends_on >= timezone.localdate(),
            "default_percent": config.get(
                "risk.random_percent", city=campaign.city_id or user.city_id
            ),
            "summary": selectors.campaign_summary(campaign=campaign, user=user),
            "inspections": offset_page(request, inspections, 50),
        },
    )
