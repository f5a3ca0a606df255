"""The audit page (/audit/): the security events and the change trail with filters, an
export as a background job, and the chain's last verification. For the audit administrator
(三员分立: reads, changes nothing); the superuser may look too, and each look is a security
event of its own. Anyone else gets 404, as for anything outside their scope."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from arrears import jobs
from arrears.audit.security import security_event
from arrears.models import Role, User
from arrears.paging import offset_page
from arrears.permissions import can_read_audit

from . import maintenance
from .exports import SECURITY, AuditFilterForm, filtered, kind_choices


def _auditor(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not can_read_audit(user):
        raise Http404
    return user


def _note_superuser(request: HttpRequest, user: User, what: str) -> None:
    # The superuser is for installation: its reading of the trail is itself recorded.
    if user.is_superuser and user.role != Role.AUDIT_ADMIN:
        security_event(kind="audit_viewed", request=request, detail={"what": what})


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    user = _auditor(request)
    form = AuditFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    trail = data.get("trail") or SECURITY
    # Invalid filters list nothing (the form says why) rather than everything.
    rows = filtered(data) if form.is_valid() or not form.is_bound else filtered({}).none()
    page = offset_page(request, rows, 50)
    _note_superuser(request, user, request.GET.urlencode())
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "arrears/audit/list.html",
        {
            "form": form,
            "trail": trail,
            "page": page,
            "kinds": kind_choices(trail),
            "query": query.urlencode(),
            "verification": maintenance.last_verification(),
        },
    )


@login_required
@require_POST
def audit_export(request: HttpRequest) -> HttpResponse:
    user = _auditor(request)
    form = AuditFilterForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("筛选条件有误"))
        return redirect("audit-list")
    filters = {k: request.POST.get(k, "") for k in form.fields}
    jobs.job_start(
        owner=user,
        kind="arrears.audit_export",
        params={"filters": filters},
        summary=_("审计记录导出"),
    )
    security_event(kind="audit_exported", request=request, detail={"filters": filters})
    messages.success(request, _("已开始导出，完成后可在“我的导出与导入”下载"))
    return redirect("job-list")
