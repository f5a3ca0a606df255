"""Pages of the office's supervision: 通报 (list with the zero-tolerance matters, a new one from
the overdue units, the draft, the printable document) and 约谈 (list, new, result)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from arrears.errors import Conflict
from arrears.forms import StyledForm
from arrears.models import County, Department, User
from arrears.paging import offset_page
from arrears.request_user import request_user
from arrears.scoping import for_user, get_for_user_or_404
from complaints.models import Case
from projects import permissions, selectors, services
from projects import supervision_selectors as reads
from projects.forms import DATE
from projects.models import InterviewKind, InterviewState, Project, Warning


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


# --- Circulars ------------------------------------------------------------------------------


@login_required
def circular_list(request: HttpRequest) -> HttpResponse:
    """The circulars the user may read and, beside them, the zero-tolerance matters now."""
    user = request_user(request, staff=True)
    return render(
        request,
        "projects/circular_list.html",
        {
            "page": offset_page(request, reads.circular_list(user=user), 50),
            "can_issue": permissions.can_issue_circulars(user),
            "zero_cases": reads.zero_tolerance_cases(user=user)[:100],
            "zero_complaints": reads.zero_tolerance_complaints(user=user)[:100],
        },
    )


def _drafts_from_post(request: HttpRequest, user: User) -> list[services.UnitDraft]:
    """The units ticked on the page, each with its reason and the cases and orders ticked
    under it, taken from the overdue work the user may see now (nothing else can be sent)."""
    by_key = {c.key: c for c in reads.circular_candidates(user=user)}
    units = []
    for key in request.POST.getlist("unit"):
        candidate = by_key.get(key)
        if candidate is None:
            continue  # no longer overdue (or never the user's): the service is not asked
        cases = set(request.POST.getlist(f"case-{key}"))
        orders = set(request.POST.getlist(f"order-{key}"))
        units.append(
            services.UnitDraft(
                county=candidate.county,
                department=candidate.department,
                reason=request.POST.get(f"reason-{key}", ""),
                cases=[c for c in candidate.cases if str(c.pk) in cases],
                orders=[o for o in candidate.orders if str(o.pk) in orders],
            )
        )
    return units


@login_required
def circular_new(request: HttpRequest) -> HttpResponse:
    """Draft a 通报 from the units with overdue work (the dashboards' list for 通报): every
    unit (or those ?county= / ?department= / ?unit= name) with its overdue work ticked."""
    user = request_user(request, staff=True)
    if not permissions.can_issue_circulars(user):
        raise PermissionDenied(_("只有根治欠薪办可以拟制通报"))
    county_id = _int(request.GET.get("county"))
    department_id = _int(request.GET.get("department"))
    title = request.POST.get("title", _("关于欠薪案件和整改逾期情况的通报"))
    if request.method == "POST":
        try:
            circular = services.circular_create(
                user=user,
                title=title,
                preamble=request.POST.get("preamble", ""),
                closing=request.POST.get("closing", ""),
                units=_drafts_from_post(request, user),
            )
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        else:
            messages.success(request, _("已拟制通报草稿"))
            return redirect("circular-page", pk=circular.pk)
    candidates = reads.circular_candidates(
        user=user, county_id=county_id, department_id=department_id
    )
    # ?unit=<county>-<department or 0>: one row of the dashboard's list.
    unit = request.GET.get("unit", "")
    if unit:
        candidates = [c for c in candidates if c.key == unit]
    return render(
        request,
        "projects/circular_new.html",
        {
            "candidates": candidates,
            "title": title,
            "preamble": request.POST.get(
                "preamble",
                _(
                    "根据根治欠薪工作调度情况，现将有关单位欠薪案件超期未办结、责令整改逾期未整改的情况通报如下："
                ),
            ),
            "closing": request.POST.get(
                "closing", _("请被通报单位立即整改，于5个工作日内将整改情况报市根治欠薪办。")
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def circular_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request, staff=True)
    circular = reads.circular_detail(user=user, pk=pk)
    return render(
        request,
        "projects/circular_detail.html",
        {
            "circular": circular,
            "can_issue": permissions.can_issue_circulars(user),
            "corrections": reads.circular_list(user=user).filter(supersedes=circular),
            "today": timezone.localdate(),
        },
    )


@login_required
def circular_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The document as issued (or a draft, marked so), laid out for A4 paper."""
    user = request_user(request, staff=True)
    return render(
        request,
        "projects/circular_print.html",
        {"circular": reads.circular_detail(user=user, pk=pk)},
    )


def _circular_action(request: HttpRequest, pk: int, act: Any, done: str) -> HttpResponse:
    user = request_user(request, staff=True)
    circular = reads.circular_detail(user=user, pk=pk)
    try:
        result = act(circular, user)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    except (Conflict, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", None) or str(exc))
    else:
        messages.success(request, done)
        if result is None:
            return redirect("circular-list")
        return redirect("circular-page", pk=result.pk)
    return redirect("circular-page", pk=circular.pk)


@login_required
@require_POST
def circular_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _circular_action(
        request,
        pk,
        lambda c, u: services.circular_update(
            circular=c,
            user=u,
            title=request.POST.get("title", ""),
            preamble=request.POST.get("preamble", ""),
            closing=request.POST.get("closing", ""),
        ),
        _("已保存"),
    )


@login_required
@require_POST
def circular_issue(request: HttpRequest, pk: int) -> HttpResponse:
    def issue(circular: Any, user: User) -> Any:
        raw = request.POST.get("issued_on", "")
        try:
            day = forms.DateField().clean(raw) if raw else None
        except forms.ValidationError:
            raise ValidationError({"issued_on": [_("印发日期格式应为 YYYY-MM-DD")]}) from None
        return services.circular_issue(circular=circular, user=user, issued_on=day)

    return _circular_action(request, pk, issue, _("已印发"))


@login_required
@require_POST
def circular_discard(request: HttpRequest, pk: int) -> HttpResponse:
    return _circular_action(
        request, pk, lambda c, u: services.circular_discard(circular=c, user=u), _("已删除草稿")
    )


@login_required
@require_POST
def circular_correct(request: HttpRequest, pk: int) -> HttpResponse:
    return _circular_action(
        request,
        pk,
        lambda c, u: services.circular_correct(circular=c, user=u),
        _("已拟制更正通报草稿"),
    )


# --- Interviews -----------------------------------------------------------------------------


class InterviewForm(StyledForm):
    kind = forms.ChoiceField(label=gettext_lazy("约谈对象"), choices=InterviewKind.choices)
    county = forms.ModelChoiceField(label=gettext_lazy("县（区）"), queryset=County.objects.none())
    department = forms.ModelChoiceField(
        label=gettext_lazy("部门"), queryset=Department.objects.none(), required=False
    )
    employer_code = forms.CharField(
        label=gettext_lazy("用人单位统一社会信用代码"), max_length=18, required=False
    )
    held_on = forms.DateField(label=gettext_lazy("约谈日期"), widget=DATE)
    attendees = forms.CharField(label=gettext_lazy("被约谈人"), max_length=200, required=False)
    matter = forms.CharField(
        label=gettext_lazy("约谈事项"), widget=forms.Textarea(attrs={"rows": 3})
    )
    working_days = forms.IntegerField(
        label=gettext_lazy("限期（工作日）"), min_value=1, max_value=30, required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        county_field: Any = self.fields["county"]
        county_field.queryset = for_user(County.objects.order_by("code"), user)
        department_field: Any = self.fields["department"]
        department_field.queryset = for_user(
            Department.objects.filter(county__isnull=False).select_related("county"), user
        ).order_by("county__code", "kind")

    def clean_employer_code(self) -> Any:
        code = self.cleaned_data["employer_code"].strip().upper()
        if not code:
            return None
        found = selectors.employer_list(user=self.user).filter(credit_code=code).first()
        if found is None:
            raise forms.ValidationError(_("未找到该用人单位"))
        return found


def _linked(request: HttpRequest, user: User) -> dict[str, Any]:
    """The warning, case and project the interview is about (?warning= …), in scope or 404."""
    source = request.POST if request.method == "POST" else request.GET
    linked: dict[str, Any] = {}
    for name, qs in (
        ("warning", Warning.objects.select_related("project")),
        ("case", Case.objects.all()),
        ("project", Project.objects.all()),
    ):
        pk = _int(source.get(name))
        if pk is not None:
            linked[name] = get_for_user_or_404(qs, user, pk=pk)
    return linked


@login_required
def interview_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request, staff=True)
    state = request.GET.get("state", "")
    qs = reads.interview_list(user=user)
    if state in InterviewState.values:
        qs = qs.filter(state=state)
    return render(
        request,
        "projects/interview_list.html",
        {
            "page": offset_page(request, qs, 50),
            "state": state,
            "states": InterviewState.choices,
            "can_interview": permissions.can_interview(user),
        },
    )


@login_required
def interview_new(request: HttpRequest) -> HttpResponse:
    user = request_user(request, staff=True)
    if not permissions.can_interview(user):
        raise PermissionDenied(_("您不能登记约谈"))
    linked = _linked(request, user)
    anchor = linked.get("warning") or linked.get("case") or linked.get("project")
    initial: dict[str, Any] = {"held_on": timezone.localdate(), "kind": InterviewKind.EMPLOYER}
    if anchor is not None:
        initial.update(county=anchor.county_id, department=anchor.department_id)
    form = InterviewForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            interview = services.interview_create(
                user=user,
                kind=data["kind"],
                county=data["county"],
                department=data["department"],
                employer=data["employer_code"],
                held_on=data["held_on"],
                attendees=data["attendees"],
                matter=data["matter"],
                working_days=data["working_days"],
                warning=linked.get("warning"),
                case=linked.get("case"),
                project=linked.get("project") or getattr(linked.get("warning"), "project", None),
            )
        except ValidationError as exc:
            for text in exc.messages:
                form.add_error(None, text)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("已登记约谈，限期%(n)s个工作日") % {"n": interview.working_days}
            )
            return redirect("interview-page", pk=interview.pk)
    return render(
        request,
        "projects/interview_form.html",
        {"form": form, "linked": linked},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def interview_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request, staff=True)
    interview = reads.interview_detail(user=user, pk=pk)
    return render(
        request,
        "projects/interview_detail.html",
        {
            "interview": interview,
            "clock": reads.interview_clock(interview=interview),
            "can_record": permissions.can_interview(user)
            and interview.state == InterviewState.OPEN,
            # A linked case is named only to those who may open it.
            "case_visible": interview.case_id is not None
            and Case.objects.visible_to(user).filter(pk=interview.case_id).exists(),
        },
    )


@login_required
@require_POST
def interview_result(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request, staff=True)
    interview = reads.interview_detail(user=user, pk=pk)
    if request.POST.get("resolved") not in ("yes", "no"):
        messages.error(request, _("请选择是否已解决"))
        return redirect("interview-page", pk=pk)
    try:
        services.interview_record_result(
            interview=interview,
            user=user,
            resolved=request.POST["resolved"] == "yes",
            result=request.POST.get("result", ""),
        )
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    except (Conflict, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", None) or str(exc))
    else:
        messages.success(request, _("已登记约谈结果"))
    return redirect("interview-page", pk=pk)
