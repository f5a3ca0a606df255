"""Actions on the project and employer pages that move statutory clocks and records: an event
of the wage deposit, and early removal from the dishonest-employer list (request, decision).
Each takes a form, calls one service and returns to the page with what it did or why not."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from arrears.errors import Conflict
from arrears.models import User
from arrears.request_user import request_user
from arrears.scoping import get_for_user_or_404
from projects import permissions, selectors, services
from projects.forms import DepositEventForm, RemovalDecisionForm, RemovalRequestForm, error_texts
from projects.models import Employer, ListKind, RemovalState


def early_removal_context(*, user: User, employer: Employer, listings: Any) -> dict[str, Any]:
    """The employer page's early-removal card: the current dishonest listing, its requests, the
    conditions as they stand today, and the forms the user may use."""
    dishonest = next((x for x in listings if x.kind == ListKind.DISHONEST and x.is_current), None)
    employer_requests = list(selectors.removal_requests(employer=employer)[:10])
    pending = next((r for r in employer_requests if r.state == RemovalState.PENDING), None)
    may_ask = dishonest is not None and pending is None and permissions.can_request_removal(user)
    return {
        "dishonest": dishonest,
        "removal_requests": employer_requests,
        "removal_pending": pending,
        "removal_problems": (
            services.early_removal_problems(listing=dishonest) if dishonest else []
        ),
        "request_form": RemovalRequestForm(auto_id="removal_%s") if may_ask else None,
        "decide_form": (
            RemovalDecisionForm(auto_id="decide_%s")
            if pending is not None and permissions.can_manage_lists(user)
            else None
        ),
    }


def _refused(request: HttpRequest, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        for text in exc.messages:
            messages.error(request, text)
    elif isinstance(exc, Conflict):
        messages.error(request, exc.message)
    else:
        messages.error(request, str(exc))


@login_required
@require_POST
def deposit_event_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an event of the project's wage deposit (the form on the project page)."""
    user = request_user(request, staff=True)
    project = get_for_user_or_404(selectors.project_list(user=user), user, pk=pk)
    if not permissions.can_inspect(user):
        messages.error(request, _("只有监察员和主管部门可以登记工资保证金"))
        return redirect("project-page", pk=project.pk)
    form = DepositEventForm(request.POST, project=project)
    if not form.is_valid():
        for text in error_texts(form):
            messages.error(request, text)
        return redirect("project-page", pk=project.pk)
    try:
        event = services.deposit_event_record(project=project, user=user, **form.cleaned_data)
    except (ValidationError, Conflict, PermissionDenied) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("已登记：%(k)s") % {"k": event.get_kind_display()})
    return redirect("project-page", pk=project.pk)


@login_required
@require_POST
def early_removal_request(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the employer's request to come off the dishonest-employer list early."""
    user = request_user(request, staff=True)
    employer = selectors.employer_detail(user=user, pk=pk)  # 404 outside the scope
    form = RemovalRequestForm(request.POST)
    if not form.is_valid():
        for text in error_texts(form):
            messages.error(request, text)
        return redirect("employer-page", pk=employer.pk)
    try:
        services.listing_removal_request(employer=employer, user=user, **form.cleaned_data)
    except (ValidationError, Conflict, PermissionDenied) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("已登记提前移出申请，待市根治欠薪办审核"))
    return redirect("employer-page", pk=employer.pk)


@login_required
@require_POST
def early_removal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The city office approves (the conditions checked again, the listing removed) or
    refuses (with its reason) the pending request."""
    user = request_user(request, staff=True)
    employer = selectors.employer_detail(user=user, pk=pk)
    form = RemovalDecisionForm(request.POST)
    if not form.is_valid():
        for text in error_texts(form):
            messages.error(request, text)
        return redirect("employer-page", pk=employer.pk)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.listing_removal_decide(
            employer=employer, user=user, approve=approve, reason=form.cleaned_data["reason"]
        )
    except (ValidationError, Conflict, PermissionDenied) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("已准予提前移出") if approve else _("已不予提前移出"))
    return redirect("employer-page", pk=employer.pk)
