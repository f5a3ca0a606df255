"""Pages of the intake side: the public complaint form and tracking page, the duty/window
entry form, the dispatch queue, the intake inbox, the complaint page, the delivery log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from arrears import config, ratelimit
from arrears.errors import Conflict
from arrears.models import User
from arrears.paging import offset_page
from arrears.permissions import is_city_office
from arrears.ratelimit import client_ip, hit
from arrears.request_user import request_user
from arrears.sorting import sort_queryset
from complaints.cases import services as case_services
from complaints.intake import duplicates, explain, selectors
from complaints.intake import services as intake_services
from complaints.intake.filters import ComplaintFilter
from complaints.intake.forms import (
    ComplaintForm,
    DispatchForm,
    RateForm,
    ReturnForm,
    StaffComplaintForm,
    TrackForm,
)
from complaints.intake.services import REVEALABLE
from complaints.integration import callbacks
from complaints.limitation import limitation_warning
from complaints.models import Channel, ComplaintStatus, DuplicateLink
from complaints.permissions import can_decide_duplicates, can_sign_or_return
from complaints.tracking import TRACKING_LENGTH, format_tracking_no, normalize_tracking_no


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "complaints/too_many.html", status=429)


def public_complain(request: HttpRequest) -> HttpResponse:
    """一键投诉: no login, phone-sized, answers with a tracking number. Success redirects to
    the confirmation (POST/redirect/GET), and the form's one-time token makes a second submit
    of the same page (double click, back and resubmit) show the first complaint's number."""
    form = ComplaintForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        # Only complaints actually filed count: a typo does not use up the allowance.
        key, limit = f"complain:{client_ip(request)}", config.get("complaints.public_form_per_hour")
        if not ratelimit.allowed(key, limit=limit, window_seconds=3600):
            return _too_many(request)
        if form.is_valid():
            try:
                complaint = intake_services.complaint_create(
                    data=form.data_for_service(),
                    channel=Channel.WEB_FORM,
                    files=form.cleaned_data["evidence"],
                    form_token=form.cleaned_data["form_token"],
                )
            except ValidationError as exc:
                form.absorb(exc)
            else:
                hit(key, limit=limit, window_seconds=3600)
                # The confirmation shows the number kept in this browser's session only: the
                # URL carries nothing another person could reuse.
                request.session[PUBLIC_DONE_KEY] = complaint.tracking_no
                return redirect("public-complain-done")
    return render(request, "complaints/public_form.html", {"form": form})


PUBLIC_DONE_KEY = "complaints:filed"


def public_complain_done(request: HttpRequest) -> HttpResponse:
    tracking_no = request.session.get(PUBLIC_DONE_KEY)
    if not tracking_no:
        return redirect("public-complain")
    return render(
        request, "complaints/public_done.html", {"tracking_no": format_tracking_no(tracking_no)}
    )


def public_track(request: HttpRequest) -> HttpResponse:
    """全程跟踪: tracking number + the phone's last four digits → the public timeline only."""
    # The SMS links here with the number filled in (?no=…); the phone's last four digits are
    # still asked for.
    form = TrackForm(request.POST or None, initial={"tracking_no": request.GET.get("no", "")[:20]})
    context: dict[str, Any] = {"form": form}
    if request.method == "POST":
        limit = config.get("complaints.tracking_per_15min")
        if not hit(f"track:{client_ip(request)}", limit=limit, window_seconds=900):
            return _too_many(request)
        if form.is_valid():
            complaint = selectors.track(
                tracking_no=normalize_tracking_no(form.cleaned_data["tracking_no"]),
                phone_last4=form.cleaned_data["phone_last4"],
            )
            if complaint is None:
                context["not_found"] = True
            else:
                context.update(
                    {
                        "complaint": complaint,
                        "status": callbacks.public_status(complaint),
                        "events": selectors.public_events(complaint=complaint),
                    }
                )
    return render(request, "complaints/track.html", context)


def public_rate(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """满意度评价, the link of the closing SMS: the phone's last four digits as on the tracking
    page, then 1–5 once per complaint, only once its case is closed. It shows no personal
    data, and an unknown number and a wrong phone answer alike; its attempts count against
    the tracking page's limit (one budget per address), so it is no second way to guess."""
    number = normalize_tracking_no(tracking_no)
    if len(number) != TRACKING_LENGTH:
        raise Http404
    if request.GET.get("done") == "1":
        return render(request, "complaints/rate.html", {"done": True})
    form = RateForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "tracking_no": format_tracking_no(number)}
    if request.method == "POST":
        limit = config.get("complaints.tracking_per_15min")
        if not hit(f"track:{client_ip(request)}", limit=limit, window_seconds=900):
            return _too_many(request)
        if form.is_valid():
            complaint = selectors.track(
                tracking_no=number, phone_last4=form.cleaned_data["phone_last4"]
            )
            if complaint is None:
                context["not_found"] = True
            else:
                try:
                    case_services.complaint_rate(
                        complaint=complaint, satisfaction=form.cleaned_data["satisfaction"]
                    )
                except Conflict as exc:
                    context["refused"] = exc.message
                else:
                    return redirect(f"{reverse('public-rate', args=[number])}?done=1")
        status = 400 if form.errors else 200
        return render(request, "complaints/rate.html", context, status=status)
    return render(request, "complaints/rate.html", context)


@login_required
def staff_new(request: HttpRequest) -> HttpResponse:
    """The duty line and service window: the same validation, the officer on record (首问)."""
    user = request_user(request, staff=True)
    form = StaffComplaintForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = intake_services.complaint_create(
                data=form.data_for_service(),
                channel=form.cleaned_data["channel"],
                received_by=user,
                files=form.cleaned_data["evidence"],
                form_token=form.cleaned_data["form_token"],
            )
        except ValidationError as exc:
            form.absorb(exc)
        else:
            messages.success(
                request,
                _("已登记，查询码 %(t)s") % {"t": format_tracking_no(complaint.tracking_no)},
            )
            if selectors.complaint_list(user=user).filter(pk=complaint.pk).exists():
                return redirect("complaint-detail", tracking_no=complaint.tracking_no)
            return redirect("complaint-new")
    return render(request, "complaints/staff_form.html", {"form": form})


# The complaint lists' sortable columns (arrears.sorting whitelists them); newest first by
# default, as before, and the oldest first one click away.
COMPLAINT_SORTS = {
    "received": ("received_at",),
    "employer": ("employer_name",),
    "owed": ("amount_owed",),
    "workers": ("workers_owed",),
}


@login_required
def dispatch_queue(request: HttpRequest) -> HttpResponse:
    user = request_user(request, staff=True)
    filters = ComplaintFilter(request.GET, queryset=selectors.dispatch_queue(user=user))
    qs, sorting = sort_queryset(request, filters.qs, COMPLAINT_SORTS, default="-received")
    page = offset_page(request, qs, 50)
    context = {
        "page": page,
        "filters": filters,
        "can_dispatch": is_city_office(user),
        "sorting": sorting,
    }
    return render(request, "complaints/dispatch.html", context)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = request_user(request, staff=True)
    filters = ComplaintFilter(request.GET, queryset=selectors.intake_inbox(user=user))
    qs, sorting = sort_queryset(request, filters.qs, COMPLAINT_SORTS, default="-received")
    page = offset_page(request, qs, 50)
    duplicates = selectors.open_duplicate_links(user=user)[:50]
    context = {"page": page, "filters": filters, "duplicates": duplicates, "sorting": sorting}
    return render(request, "complaints/inbox.html", context)


@login_required
def complaint_detail(request: HttpRequest, tracking_no: str) -> HttpResponse:
    user = request_user(request, staff=True)
    complaint = selectors.complaint_detail(user=user, tracking_no=tracking_no)
    duplicates = selectors.duplicate_links(complaint=complaint, user=user)
    # Each button is shown only to whom the service would let through, by the same rule
    # (complaints.permissions): nobody is offered an action that ends in a refusal.
    waiting = complaint.status == ComplaintStatus.PENDING_SIGNATURE
    in_queue = complaint.status == ComplaintStatus.PENDING_DISPATCH
    return render(
        request,
        "complaints/detail.html",
        {
            "complaint": complaint,
            "tracking_display": format_tracking_no(complaint.tracking_no),
            "limitation_warning": limitation_warning(complaint),
            "duplicates": [(d, explain.duplicate_reasons(d.reasons)) for d in duplicates],
            "timeline": [
                (e, explain.event_note(e))
                for e in complaint.events.select_related("actor", "department__county")
            ],
            "can_reveal": user.has_perm("complaints.reveal_personal_data"),
            "revealed": _revealed(request, complaint),
            "return_form": ReturnForm(),
            "dispatch_form": DispatchForm(user=user),
            "can_sign": waiting and can_sign_or_return(user, complaint),
            "can_dispatch": in_queue and is_city_office(user),
            "can_decide_duplicates": can_decide_duplicates(user),
        },
    )


def _act(request: HttpRequest, tracking_no: str, action: Any) -> HttpResponse:
    user = request_user(request, staff=True)
    complaint = selectors.complaint_detail(user=user, tracking_no=tracking_no)
    try:
        message = action(complaint, user)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    except PermissionDenied as exc:
        # Not this user's to do (a stale page, a hand-made POST): say why on the complaint's
        # page rather than a bare error page. The service's reason when it gave one.
        messages.error(request, str(exc) or _("您不能对该投诉执行此操作"))
    else:
        if message:
            messages.success(request, message)
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect("complaint-detail", tracking_no=complaint.tracking_no)


@login_required
@require_POST
def complaint_sign(request: HttpRequest, tracking_no: str) -> HttpResponse:
    def sign(complaint: Any, user: User) -> str:
        intake_services.complaint_sign(complaint=complaint, user=user)
        return _("已签收")

    return _act(request, tracking_no, sign)


@login_required
@require_POST
def complaint_return(request: HttpRequest, tracking_no: str) -> HttpResponse:
    def give_back(complaint: Any, user: User) -> str:
        intake_services.complaint_return(
            complaint=complaint, user=user, reason=request.POST.get("reason", "")
        )
        return _("已退回市根治欠薪办")

    return _act(request, tracking_no, give_back)


@login_required
@require_POST
def complaint_dispatch(request: HttpRequest, tracking_no: str) -> HttpResponse:
    form = DispatchForm(request.POST, user=request_user(request, staff=True))

    def dispatch(complaint: Any, user: User) -> str:
        if not form.is_valid():
            raise ValidationError(_("请选择承办单位"))
        intake_services.complaint_dispatch(
            complaint=complaint, user=user, department=form.cleaned_data["department"]
        )
        return _("已分派")

    return _act(request, tracking_no, dispatch)


def _revealed(request: HttpRequest, complaint: Any) -> dict[str, str] | None:
    """The value revealed (and logged) by the reveal just before, read from the complaint."""
    revealed = request.session.pop(f"revealed:{complaint.pk}", None)
    field = revealed.get("field") if isinstance(revealed, dict) else None
    if field not in REVEALABLE:
        return None
    return {"field": field, "value": str(getattr(complaint, field))}


@login_required
@require_POST
def complaint_reveal(request: HttpRequest, tracking_no: str) -> HttpResponse:
    def reveal(complaint: Any, user: User) -> str:
        field = request.POST.get("field", "")
        intake_services.complaint_reveal(
            complaint=complaint, user=user, field=field, ip=client_ip(request)
        )
        # Shown once on the next page, never put in a URL or a log; the session (a database
        # row) keeps only which field was revealed, not the number.
        request.session[f"revealed:{complaint.pk}"] = {"field": field}
        return ""

    return _act(request, tracking_no, reveal)


@login_required
@require_POST
def duplicate_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    user = request_user(request, staff=True)
    link = get_object_or_404(DuplicateLink.objects.select_related("complaint"), pk=pk)
    # The link is visible through its complaint's scope.
    complaint = selectors.complaint_detail(user=user, tracking_no=link.complaint.tracking_no)

    def decide(_complaint: Any, acting: User) -> str:
        if decision == "merge":
            duplicates.duplicate_merge(link=link, user=acting)
            return _("已合并办理")
        duplicates.duplicate_dismiss(link=link, user=acting)
        return _("已排除重复")

    if decision not in {"merge", "dismiss"}:
        raise Http404
    return _act(request, complaint.tracking_no, decide)


@login_required
def delivery_log(request: HttpRequest) -> HttpResponse:
    user = request_user(request, staff=True)
    page = offset_page(request, selectors.deliveries(user=user), 50)
    return render(request, "complaints/deliveries.html", {"page": page})


@login_required
@require_POST
def delivery_resend(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request, staff=True)
    delivery = get_object_or_404(selectors.deliveries(user=user), pk=pk)
    try:
        callbacks.callback_resend(delivery=delivery)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("已重新排队投递"))
    return redirect("delivery-log")


@login_required
def evidence_download(request: HttpRequest, tracking_no: str, pk: int) -> FileResponse:
    """A complaint's evidence file, for the staff who may see the complaint."""
    user = request_user(request, staff=True)
    complaint = selectors.complaint_detail(user=user, tracking_no=tracking_no)
    attachment = get_object_or_404(complaint.attachments.all(), pk=pk)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
