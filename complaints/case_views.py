"""Pages of case handling: the worklist, the leader's cases, the case page and its actions.
Every action posts to one view that validates its form and calls the matching service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from arrears.errors import Conflict
from arrears.models import Role, User
from complaints import case_forms as f
from complaints import selectors, services
from complaints.models import (
    CaseState,
    Complaint,
    ExtensionRequest,
    ExtensionState,
    TriageClass,
)
from complaints.tracking import normalize_tracking_no


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if user.role == Role.INTEGRATION_CLIENT:
        raise PermissionDenied
    return user


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    view = request.GET.get("view", "mine")
    if view == "all":
        qs = selectors.case_list(user=user).order_by("next_due_at", "created_at")  # type: ignore[misc]  # an annotation
    elif view == "leader":
        qs = selectors.leader_cases(user=user)
    else:
        view, qs = "mine", selectors.worklist(user=user)
    state = request.GET.get("state", "")
    if state in CaseState.values:
        qs = qs.filter(state=state)
    triage = request.GET.get("triage", "")
    if triage in TriageClass.values:
        qs = qs.filter(triage_class=triage)
    query = request.GET.get("q", "").strip()
    if query:
        qs = qs.filter(
            Q(employer_name__icontains=query)
            | Q(number__icontains=query)
            | Q(project_name__icontains=query)
            # a complaint's tracking number, however it was typed, finds its case
            | Q(
                pk__in=Complaint.objects.filter(tracking_no=normalize_tracking_no(query)).values(
                    "case_id"
                )
            )
        )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    for case in page:
        case.urgency = selectors.case_urgency(getattr(case, "next_due_at", None), now)  # type: ignore[attr-defined]
    return render(
        request,
        "complaints/cases/worklist.html",
        {
            "page": page,
            "view": view,
            "state": state,
            "triage": triage,
            "q": query,
            "states": CaseState.choices,
            "classes": TriageClass.choices,
        },
    )


def _forms(case: Any) -> dict[str, Any]:
    """An empty form per action, as the page first shows them."""
    return {
        "refuse": f.ReasonForm(),
        "reopen": f.ReasonForm(),
        "file": f.FileForm(initial={"filed_on": timezone.localdate()}),
        "triage": f.TriageForm(initial={"triage_class": case.suggested_class}),
        "record": f.RecordForm(),
        "revise_owed": f.ReviseOwedForm(
            initial={"amount_owed": case.amount_owed, "workers_owed": case.workers_owed}
        ),
        "payment": f.PaymentForm(initial={"paid_on": timezone.localdate()}),
        "arbitration": f.NoteForm(),
        "police": f.NoteForm(),
        "resume": f.NoteForm(),
        "extension": f.ExtensionForm(),
        "decide": f.DecisionForm(),
        "close": f.CloseForm(case=case),
        "feedback": f.FeedbackForm(),
    }


def _render_page(
    request: HttpRequest, case: Any, bound: tuple[str, Any] | None = None
) -> HttpResponse:
    forms = _forms(case)
    if bound is not None:  # the refused form, with what was typed and its errors
        forms[bound[0]] = bound[1]
    pending_extension = case.extensions.filter(state=ExtensionState.PENDING).first()
    return render(
        request,
        "complaints/cases/detail.html",
        {
            "case": case,
            "clocks": selectors.case_deadlines(case=case),
            "actions": services.allowed_actions(case),
            "pending_extension": pending_extension,
            "forms": forms,
            "close_refused": forms["close"].refused,
        },
    )


@login_required
def case_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    return _render_page(request, selectors.case_detail(user=user, pk=pk))


def _ext(case: Any) -> ExtensionRequest:
    request = case.extensions.filter(state=ExtensionState.PENDING).first()
    if request is None:
        raise Conflict(_("没有待审批的延期申请"))
    return request


# action → (form, what to do with the case, the user and the form's data)
ACTIONS: dict[str, tuple[type | None, Callable[[Any, User, dict[str, Any]], Any]]] = {
    "accept": (None, lambda c, u, d: services.case_accept(case=c, user=u)),
    "refuse": (f.ReasonForm, lambda c, u, d: services.case_refuse(case=c, user=u, **d)),
    "file": (f.FileForm, lambda c, u, d: services.case_file(case=c, user=u, **d)),
    "triage": (
        f.TriageForm,
        lambda c, u, d: services.case_triage(
            case=c,
            user=u,
            triage_class=d["triage_class"],
            reason=d["reason"],
            leader=d["leader"],
            team=list(d["team"]),
            plan=d["plan"],
        ),
    ),
    "record": (
        f.RecordForm,
        lambda c, u, d: services.case_record(
            case=c,
            user=u,
            kind=d["kind"],
            text=d["text"],
            due_date=d["due_date"],
            files=d["evidence"],
        ),
    ),
    "payment": (f.PaymentForm, lambda c, u, d: services.case_record_payment(case=c, user=u, **d)),
    "revise_owed": (
        f.ReviseOwedForm,
        lambda c, u, d: services.case_revise_owed(case=c, user=u, **d),
    ),
    "arbitration": (
        f.NoteForm,
        lambda c, u, d: services.case_refer_arbitration(case=c, user=u, **d),
    ),
    "resume": (f.NoteForm, lambda c, u, d: services.case_resume(case=c, user=u, **d)),
    "police": (f.NoteForm, lambda c, u, d: services.case_transfer_police(case=c, user=u, **d)),
    "extension": (
        f.ExtensionForm,
        lambda c, u, d: services.case_request_extension(case=c, user=u, **d),
    ),
    "decide": (
        f.DecisionForm,
        lambda c, u, d: services.case_decide_extension(request=_ext(c), user=u, **d),
    ),
    "close": (f.CloseForm, lambda c, u, d: services.case_close(case=c, user=u, **d)),
    "reopen": (f.ReasonForm, lambda c, u, d: services.case_reopen(case=c, user=u, **d)),
    "feedback": (f.FeedbackForm, lambda c, u, d: services.case_feedback(case=c, user=u, **d)),
}


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _user(request)
    if action not in ACTIONS:
        raise Http404
    case = selectors.case_detail(user=user, pk=pk)
    form_class, do = ACTIONS[action]
    form: Any = None
    data: dict[str, Any] = {}
    if form_class is not None:
        kwargs = {"case": case} if form_class is f.CloseForm else {}
        form = form_class(request.POST, request.FILES, **kwargs)
        if not form.is_valid():
            # Shown again with what was typed and the errors by the fields (no redirect: the
            # input would be lost); nothing was saved, so a refresh re-posts only this form.
            return _render_page(request, case, (action, form))
        data = form.cleaned_data
    try:
        do(case, user, data)
    except ValidationError as exc:
        if form is None:
            for text in exc.messages:
                messages.error(request, text)
            return redirect("case-page", pk=case.pk)
        _absorb(form, exc)
        return _render_page(request, selectors.case_detail(user=user, pk=pk), (action, form))
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已保存"))
    return redirect("case-page", pk=case.pk)


def _absorb(form: Any, exc: ValidationError) -> None:
    """A service's errors onto the form: by field where the form has that field."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error.messages)
    else:
        form.add_error(None, exc.messages)


@login_required
def case_evidence(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    """Evidence on a case's timeline, for those who may see the case."""
    from django.shortcuts import get_object_or_404

    from complaints.models import CaseAttachment

    case = selectors.case_detail(user=_user(request), pk=pk)
    attachment = get_object_or_404(CaseAttachment, pk=attachment_pk, entry__case=case)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
