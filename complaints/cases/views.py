"""Pages of case handling: the worklist, the leader's cases, the case page and its actions.
Every action posts to one view that validates its form and calls the matching service."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from arrears.errors import Conflict
from arrears.models import User
from arrears.paging import KeysetPage, OffsetPage, decode_cursor, offset_page
from arrears.request_user import request_user
from arrears.sorting import sort_queryset
from complaints.cases import actions as case_actions
from complaints.cases import forms as f
from complaints.cases import selectors, services
from complaints.limitation import limitation_warning
from complaints.models import (
    Case,
    CaseAttachment,
    CaseState,
    EntryKind,
    Outcome,
    TriageClass,
)
from complaints.models.case import OPEN_STATES

# The worklist's sortable columns (arrears.sorting: a whitelist of keys, never a field name
# from the query string).
WORKLIST_SORTS = {
    "due": ("next_due_at",),
    "number": ("number",),
    "employer": ("employer_name",),
    "state": ("state",),
    "owed": ("amount_owed",),
    "recovered": ("recovered_amount",),
}


# Rows per worklist page (a module constant so the paging tests can make pages small).
WORKLIST_PAGE = 50


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    user = request_user(request, staff=True)
    view = request.GET.get("view", "mine")
    if view not in ("all", "leader"):
        view = "mine"
    # "all" lists the open cases unless a state is chosen ("any": every state): the closed
    # ones are nearly all of them, and nobody works through them by urgency.
    state = request.GET.get("state", "")
    triage = request.GET.get("triage", "")
    urgency = request.GET.get("urgency", "")
    query = request.GET.get("q", "").strip()
    now = timezone.now()
    cases: QuerySet[Case]
    if view == "leader":
        cases = selectors.leader_cases(user=user)
    else:
        cases = selectors.worklist_cases(user=user, view=view)
    if state in CaseState.values:
        cases = cases.filter(state=state)
    elif view == "all" and state != "any":
        cases = cases.filter(state__in=OPEN_STATES)
    if triage in TriageClass.values:
        cases = cases.filter(triage_class=triage)
    if query:
        cases = selectors.case_search(cases, query)
    if urgency not in selectors.URGENCIES:
        urgency = ""
    # The page draws only the owner of each case: the county, unit and leader the selectors
    # join for other readers were three more rows built per case (150 per page) for nothing.
    cases = cases.select_related(None).select_related("owner")
    sorting = None
    page: OffsetPage | KeysetPage
    if view == "leader" or request.GET.get("sort"):
        # A column's order (or the leader's few cases): the annotated list, numbered pages.
        # The urgency order, the default, pages through the clocks' index instead.
        qs = cases if view == "leader" else selectors.with_next_due(cases)
        if urgency:
            qs = qs.filter(selectors.urgency_condition(urgency, now))
        if view == "leader" and not request.GET.get("sort"):
            qs = qs.order_by("-created_at", "-pk")
        else:
            qs, sorting = sort_queryset(request, qs, WORKLIST_SORTS, default="due")
        page = offset_page(request, qs, WORKLIST_PAGE)
    else:
        page = selectors.worklist_page(
            cases,
            after=decode_cursor(request.GET.get("after")),
            before=decode_cursor(request.GET.get("before")),
            due=selectors.urgency_condition(urgency, now, field="due_at") if urgency else None,
            size=WORKLIST_PAGE,
            params=request.GET,
        )
    urgency_at = selectors.urgency_of(now)
    for case in page:
        case.urgency = urgency_at(getattr(case, "next_due_at", None))
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
            "urgency": urgency,
            "sorting": sorting,
        },
    )


def _auto_id(action: str) -> str:
    # Every action's form is on the page at once: ids carry the action (id_payment_note,
    # id_close_note), so labels point at their own field. The field names stay as they are:
    # each form posts to its own URL, and the names are what the action endpoints accept.
    return f"id_{action}_%s"


def _forms(case: Any, actions: list[str]) -> dict[str, Any]:
    """An empty form per action that applies now, as the page first shows them."""
    makers: dict[str, Callable[[str], Any]] = {
        "refuse": lambda a: f.ReasonForm(auto_id=a),
        "reopen": lambda a: f.ReasonForm(auto_id=a),
        "file": lambda a: f.FileForm(initial={"filed_on": timezone.localdate()}, auto_id=a),
        "triage": lambda a: f.TriageForm(
            initial={"triage_class": case.suggested_class}, auto_id=a, case=case
        ),
        "record": lambda a: f.RecordForm(auto_id=a),
        "revise_owed": lambda a: f.ReviseOwedForm(
            initial={"amount_owed": case.amount_owed, "workers_owed": case.workers_owed},
            auto_id=a,
        ),
        "payment": lambda a: f.PaymentForm(initial={"paid_on": timezone.localdate()}, auto_id=a),
        "fund_repaid": lambda a: f.FundRepaymentForm(
            case=case, initial={"repaid_on": timezone.localdate()}, auto_id=a
        ),
        "arbitration": lambda a: f.NoteForm(auto_id=a),
        "police_propose": lambda a: f.NoteForm(auto_id=a),
        "police_decide": lambda a: f.DecisionForm(auto_id=a),
        "police": lambda a: f.NoteForm(auto_id=a),
        "resume": lambda a: f.NoteForm(auto_id=a),
        "suspend": lambda a: f.NoteForm(auto_id=a),
        "extension": lambda a: f.ExtensionForm(auto_id=a),
        "decide": lambda a: f.DecisionForm(auto_id=a),
        "close": lambda a: f.CloseForm(case=case, auto_id=a),
        "feedback": lambda a: f.FeedbackForm(auto_id=a),
    }
    return {name: makers[name](_auto_id(name)) for name in actions if name in makers}


# The page's sections (tabs), each action in one, in the order an officer meets them.
GROUPS: list[tuple[str, Any, tuple[str, ...]]] = [
    (
        "handle",
        gettext_lazy("办理"),
        (
            "accept",
            "refuse",
            "file",
            "triage",
            "resume",
            "arbitration",
            "suspend",
            "police_propose",
            "police_decide",
            "police",
            "extension",
            "decide",
        ),
    ),
    ("record", gettext_lazy("记录"), ("payment", "fund_repaid", "record", "revise_owed")),
    ("close", gettext_lazy("结案"), ("close", "reopen", "feedback")),
]
TITLES = {
    "accept": gettext_lazy("受理"),
    "refuse": gettext_lazy("不予受理"),
    "file": gettext_lazy("立案"),
    "triage": gettext_lazy("分类（三办）"),
    "record": gettext_lazy("添加办案记录"),
    "revise_owed": gettext_lazy("核定欠薪金额"),
    "payment": gettext_lazy("登记追回工资"),
    "fund_repaid": gettext_lazy("登记归还应急周转金"),
    "arbitration": gettext_lazy("转劳动仲裁"),
    "resume": gettext_lazy("恢复计时"),
    "suspend": gettext_lazy("中止办理（暂停计时）"),
    "police_propose": gettext_lazy("提请移送公安机关"),
    "police_decide": gettext_lazy("审批移送公安机关"),
    "police": gettext_lazy("移送公安机关（移交）"),
    "extension": gettext_lazy("申请延期"),
    "decide": gettext_lazy("审批延期"),
    "close": gettext_lazy("结案"),
    "reopen": gettext_lazy("重新办理"),
    "feedback": gettext_lazy("回访"),
}
# The next step of the usual path is shown open; the others fold to their title.
OPEN_BY_DEFAULT = frozenset({"accept", "file", "payment", "close", "resume", "decide", "feedback"})


def _groups(forms: dict[str, Any], actions: list[str], bound: str | None) -> list[dict[str, Any]]:
    groups = []
    for key, title, names in GROUPS:
        items = [
            {
                "name": name,
                "title": TITLES[name],
                "form": forms.get(name),
                "open": name == bound or (bound is None and name in OPEN_BY_DEFAULT),
            }
            for name in names
            if name in actions
        ]
        if items:
            groups.append({"key": key, "title": title, "actions": items})
    # The tab shown first: the refused form's, else the one holding the next usual step.
    active = next(
        (g for g in groups if any(a["open"] for a in g["actions"])),
        groups[0] if groups else None,
    )
    for group in groups:
        group["active"] = group is active
        if len(group["actions"]) == 1:
            group["actions"][0]["open"] = True  # a single action needs no unfolding
    return groups


def _render_page(
    request: HttpRequest, case: Any, bound: tuple[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    actions = case_actions.available(case, request_user(request, staff=True))
    forms = _forms(case, actions)
    if bound is not None:  # the refused form, with what was typed and its errors
        forms[bound[0]] = bound[1]
        if bound[0] not in actions:
            actions.append(bound[0])
    pending_extension = selectors.pending_extension(case=case)
    close_form = forms.get("close")
    return render(
        request,
        "complaints/cases/detail.html",
        {
            "case": case,
            "clocks": selectors.case_clocks(case=case),
            "limitation_warnings": [
                (c, warning) for c in case.complaints.all() if (warning := limitation_warning(c))
            ],
            "actions": actions,
            "groups": _groups(forms, actions, bound[0] if bound else None),
            "pending_extension": pending_extension,
            "forms": forms,
            "close_refused": close_form.refused if close_form is not None else {},
        },
        status=status,
    )


@login_required
def case_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request, staff=True)
    return _render_page(request, selectors.case_detail(user=user, pk=pk))


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
    "fund_repaid": (
        f.FundRepaymentForm,
        lambda c, u, d: services.payment_record_fund_repayment(user=u, **d),
    ),
    "revise_owed": (
        f.ReviseOwedForm,
        lambda c, u, d: services.case_revise_owed(case=c, user=u, **d),
    ),
    "arbitration": (
        f.NoteForm,
        lambda c, u, d: services.case_refer_arbitration(case=c, user=u, **d),
    ),
    "resume": (f.NoteForm, lambda c, u, d: services.case_resume(case=c, user=u, **d)),
    "suspend": (f.NoteForm, lambda c, u, d: services.case_suspend(case=c, user=u, **d)),
    "police_propose": (
        f.NoteForm,
        lambda c, u, d: services.case_propose_police(case=c, user=u, **d),
    ),
    "police_decide": (
        f.DecisionForm,
        lambda c, u, d: services.case_decide_police(case=c, user=u, **d),
    ),
    "police": (f.NoteForm, lambda c, u, d: services.case_transfer_police(case=c, user=u, **d)),
    "extension": (
        f.ExtensionForm,
        lambda c, u, d: services.case_request_extension(case=c, user=u, **d),
    ),
    "decide": (
        f.DecisionForm,
        lambda c, u, d: services.case_decide_pending_extension(case=c, user=u, **d),
    ),
    "close": (f.CloseForm, lambda c, u, d: services.case_close(case=c, user=u, **d)),
    "reopen": (f.ReasonForm, lambda c, u, d: services.case_reopen(case=c, user=u, **d)),
    "feedback": (f.FeedbackForm, lambda c, u, d: services.case_feedback(case=c, user=u, **d)),
}


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request_user(request, staff=True)
    if action not in ACTIONS:
        raise Http404
    case = selectors.case_detail(user=user, pk=pk)
    form_class, do = ACTIONS[action]
    form: Any = None
    data: dict[str, Any] = {}
    if form_class is not None:
        kwargs = {"case": case} if form_class in (f.CloseForm, f.FundRepaymentForm) else {}
        form = form_class(request.POST, request.FILES, auto_id=_auto_id(action), **kwargs)
        if not form.is_valid():
            # Shown again with what was typed and the errors by the fields (no redirect: the
            # input would be lost); nothing was saved, so a refresh re-posts only this form.
            return _render_page(request, case, (action, form), status=400)
        data = form.cleaned_data
    try:
        do(case, user, data)
    except ValidationError as exc:
        if form is None:
            for text in exc.messages:
                messages.error(request, text)
            return redirect("case-page", pk=case.pk)
        _absorb(form, exc)
        fresh = selectors.case_detail(user=user, pk=pk)
        return _render_page(request, fresh, (action, form), status=400)
    except Conflict as exc:
        messages.error(request, exc.message)
    except PermissionDenied as exc:
        # Not this user's to do (the page did not offer it): the reason, on the case page.
        messages.error(request, str(exc) or _("您不能对该案件执行此操作"))
    else:
        messages.success(request, _done(action, data, case))
    return redirect("case-page", pk=case.pk)


def _money(amount: Any) -> str:
    """An amount as officials say it: 万元 from ten thousand up in Chinese, yuan otherwise."""
    value = Decimal(amount)
    if value >= 10000 and translation.get_language() in ("zh-hans", "zh"):
        return _("%(n)s 万元") % {"n": f"{(value / 10000).quantize(Decimal('0.01')).normalize():f}"}
    text = f"{value:,.2f}".removesuffix(".00")
    return _("%(n)s 元") % {"n": text}


def _done(action: str, data: dict[str, Any], case: Any) -> str:
    """What the officer just did, in a sentence ("已受理", "已记录付款 2 万元")."""
    if action == "payment":
        return _("已记录付款 %(a)s") % {"a": _money(data["amount"])}
    if action == "fund_repaid":
        return _("已登记归还周转金 %(a)s") % {"a": _money(data["amount"])}
    if action == "revise_owed":
        case.refresh_from_db(fields=["amount_owed", "workers_owed"])
        return _("已核定欠薪金额 %(a)s，涉及 %(w)s 人") % {
            "a": _money(case.amount_owed),
            "w": case.workers_owed,
        }
    if action == "file":
        return _("已立案（%(d)s）") % {"d": data["filed_on"].isoformat()}
    if action == "triage":
        return _("已分类为“%(c)s”") % {"c": TriageClass(data["triage_class"]).label}
    if action == "record":
        return _("已添加办案记录：%(k)s") % {"k": EntryKind(data["kind"]).label}
    if action == "extension":
        return _("已申请延期 %(n)s 个工作日，待审批") % {"n": data["working_days"]}
    if action == "decide":
        return _("已批准延期") if data["approve"] else _("已决定不予延期")
    if action == "police_decide":
        return _("已批准移送，请在时限内移交公安机关") if data["approve"] else _("已决定不予移送")
    if action == "close":
        return _("已结案：%(o)s") % {"o": Outcome(data["outcome"]).label}
    if action == "feedback":
        return _("已记录回访，满意度 %(s)s/5") % {"s": data["satisfaction"]}
    return str(DONE[action])


DONE = {
    "accept": gettext_lazy("已受理"),
    "refuse": gettext_lazy("已决定不予受理"),
    "arbitration": gettext_lazy("已转劳动仲裁"),
    "resume": gettext_lazy("已恢复计时"),
    "suspend": gettext_lazy("已中止办理，暂停计时"),
    "police_propose": gettext_lazy("已提请移送公安机关，待负责人审批"),
    "police": gettext_lazy("已移送公安机关"),
    "reopen": gettext_lazy("已重新办理"),
}


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

    case = selectors.case_detail(user=request_user(request, staff=True), pk=pk)
    attachment = get_object_or_404(CaseAttachment, pk=attachment_pk, entry__case=case)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
