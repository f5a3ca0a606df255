"""The two-factor pages: the verify step after the password, enrolment (authenticator app or
SMS), the recovery codes shown once, the user's own "两步验证" page and the security
administrator's reset."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.models import Device

from arrears.identifiers import mask_phone
from arrears.models import User
from arrears.models.two_factor import SmsDevice
from arrears.two_factor import policy, qr, selectors, services
from arrears.two_factor.forms import CodeForm, PhoneForm, VerifyForm, choice_label
from arrears.two_factor.middleware import forget_optional

# Recovery codes on their way to the one page that shows them (popped there: shown once).
NEW_CODES_SESSION_KEY = "two_factor_new_codes"


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def _with_next(name: str, next_url: str, **params: str) -> str:
    return reverse(name) + "?" + urlencode({"next": next_url, **params})


def _may_enrol(request: HttpRequest) -> bool:
    """Adding a device needs a verified session, or no device yet (the first enrolment):
    otherwise a stolen password alone could add the thief's phone."""
    user: Any = request.user
    return bool(user.is_verified() or not selectors.has_confirmed_device(user))


def _signed_in_with(request: HttpRequest, device: Device) -> HttpResponse:
    """The end of an enrolment: the session is verified by the new device, and a first
    enrolment also gets its recovery codes, shown once on the next page."""
    otp_login(request, device)
    forget_optional(request)
    next_url = _next(request)
    codes = services.recovery_codes_if_none(user=request.user)
    if codes:
        request.session[NEW_CODES_SESSION_KEY] = codes
        return HttpResponseRedirect(_with_next("two-factor-recovery-codes", next_url))
    messages.success(request, _("验证方式已添加。"))
    return HttpResponseRedirect(next_url)


@never_cache
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    next_url = _next(request)
    if user.is_verified():
        return HttpResponseRedirect(next_url)
    choices = selectors.verify_choices(user)
    if not choices:
        step = "two-factor-enrol" if policy.required_for(user) else None
        return HttpResponseRedirect(_with_next(step, next_url) if step else next_url)
    by_id = {c.persistent_id: c for c in choices}
    selected = request.POST.get("device") or request.GET.get("device") or ""
    if selected not in by_id:
        selected = choices[0].persistent_id
    if request.method == "POST":
        form = VerifyForm(choices, request.POST)
        if form.is_valid():
            result = services.verify(
                user=user, device_id=form.cleaned_data["device"], code=form.cleaned_data["code"]
            )
            if result.device is not None:
                otp_login(request, result.device)
                forget_optional(request)
                if services.device_kind(result.device) == "static":
                    left = selectors.recovery_codes_left(user)
                    messages.warning(
                        request,
                        _("已使用一个恢复码，还剩 %(n)s 个。请在“两步验证”页面生成新的恢复码。")
                        % {"n": left},
                    )
                return HttpResponseRedirect(next_url)
            if result.locked_until is not None:
                when = formats.time_format(timezone.localtime(result.locked_until), "H:i:s")
                form.add_error(None, _("尝试次数过多，请在 %(time)s 之后再试。") % {"time": when})
            else:
                form.add_error("code", _("验证码不正确或已过期，请重新输入。"))
    else:
        form = VerifyForm(choices, initial={"device": selected})
    return render(
        request,
        "arrears/two_factor/verify.html",
        {
            "form": form,
            "next": next_url,
            "choices": [(c, choice_label(c)) for c in choices],
            "selected": by_id[selected],
        },
    )


@require_POST
@login_required
def sms_send(request: HttpRequest) -> HttpResponse:
    """Text a code for the verify step (or again during an SMS enrolment)."""
    device = get_object_or_404(SmsDevice, pk=request.POST.get("device_pk") or 0, user=request.user)
    if not device.confirmed and not _may_enrol(request):
        raise Http404
    result = services.sms_code_send(device=device)
    (messages.success if result.sent else messages.warning)(request, str(result.message))
    next_url = _next(request)
    if device.confirmed:
        return HttpResponseRedirect(
            _with_next("two-factor-verify", next_url, device=device.persistent_id)
        )
    return HttpResponseRedirect(_with_next("two-factor-enrol-sms-confirm", next_url))


@never_cache
@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: scan the QR code, confirm with the first code it shows."""
    next_url = _next(request)
    if not _may_enrol(request):
        return HttpResponseRedirect(_with_next("two-factor-verify", next_url))
    device = services.totp_device_pending(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.totp_device_confirm(device=device, code=form.cleaned_data["code"]):
            return _signed_in_with(request, device)
        form.add_error("code", _("验证码不正确，请确认手机时间准确后重新输入。"))
    first = not selectors.has_confirmed_device(request.user)
    return render(
        request,
        "arrears/two_factor/enrol.html",
        {
            "form": form,
            "next": next_url,
            "first": first,
            "required": policy.required_for(request.user),
            "qr": qr.qr_svg(device, title=_("用身份验证器应用扫描此二维码")),
            "secret": qr.secret_for_typing(device),
        },
    )


@never_cache
@login_required
def enrol_sms(request: HttpRequest) -> HttpResponse:
    next_url = _next(request)
    if not _may_enrol(request):
        return HttpResponseRedirect(_with_next("two-factor-verify", next_url))
    user: Any = request.user
    form = PhoneForm(request.POST or None, initial={"phone": user.phone})
    if request.method == "POST" and form.is_valid():
        try:
            _device, result = services.sms_device_start(user=user, phone=form.cleaned_data["phone"])
        except ValidationError as exc:
            form.add_error("phone", exc)
        else:
            (messages.success if result.sent else messages.warning)(request, str(result.message))
            return HttpResponseRedirect(_with_next("two-factor-enrol-sms-confirm", next_url))
    return render(request, "arrears/two_factor/enrol_sms.html", {"form": form, "next": next_url})


@never_cache
@login_required
def enrol_sms_confirm(request: HttpRequest) -> HttpResponse:
    next_url = _next(request)
    if not _may_enrol(request):
        return HttpResponseRedirect(_with_next("two-factor-verify", next_url))
    device = SmsDevice.objects.filter(user=request.user, confirmed=False).order_by("-pk").first()
    if device is None:
        return HttpResponseRedirect(_with_next("two-factor-enrol-sms", next_url))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.sms_device_confirm(device=device, code=form.cleaned_data["code"]):
            return _signed_in_with(request, device)
        form.add_error("code", _("验证码不正确或已过期，请重新输入。"))
    return render(
        request,
        "arrears/two_factor/enrol_sms_confirm.html",
        {"form": form, "next": next_url, "device": device, "phone": mask_phone(device.phone)},
    )


@never_cache
@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    codes = request.session.pop(NEW_CODES_SESSION_KEY, None)
    if not codes:
        # Shown once: a reload or a second tab finds nothing, and is sent to the overview.
        return HttpResponseRedirect(reverse("two-factor"))
    return render(
        request,
        "arrears/two_factor/recovery_codes.html",
        {"codes": codes, "next": _next(request)},
    )


@never_cache
@login_required
def manage(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    devices = [
        {
            "device": d,
            "kind": services.device_kind(d),
            "label": choice_label(
                selectors.VerifyChoice(d.persistent_id, services.device_kind(d), d)
            ),
            "removable": services.may_remove(user=user, device=d),
        }
        for d in selectors.primary_devices(user)
    ]
    return render(
        request,
        "arrears/two_factor/manage.html",
        {
            "devices": devices,
            "required": policy.required_for(user),
            "codes_left": selectors.recovery_codes_left(user),
            "has_codes": selectors.recovery_device(user) is not None,
            "here": reverse("two-factor"),
        },
    )


@require_POST
@login_required
def recovery_regenerate(request: HttpRequest) -> HttpResponse:
    if not selectors.primary_devices(request.user):
        messages.warning(request, _("请先添加身份验证器应用或短信验证方式。"))
        return HttpResponseRedirect(reverse("two-factor"))
    request.session[NEW_CODES_SESSION_KEY] = services.recovery_codes_issue(user=request.user)
    return HttpResponseRedirect(_with_next("two-factor-recovery-codes", reverse("two-factor")))


@require_POST
@login_required
def device_remove(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("device", "")
    device = next(
        (d for d in selectors.primary_devices(request.user) if d.persistent_id == wanted), None
    )
    if device is None:
        raise Http404
    try:
        services.device_remove(user=request.user, device=device)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("验证方式已删除。"))
    return HttpResponseRedirect(reverse("two-factor"))


def _security_admin(request: HttpRequest) -> None:
    # 404 rather than 403: nobody else learns the page exists (as for out-of-scope records).
    if not policy.can_reset(request.user):
        raise Http404


@never_cache
@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    _security_admin(request)
    query = request.GET.get("q", "").strip()[:50]
    return render(
        request,
        "arrears/two_factor/users.html",
        {"users": selectors.users_for_reset(query), "q": query},
    )


@require_POST
@login_required
def user_reset(request: HttpRequest, pk: int) -> HttpResponse:
    _security_admin(request)
    target = get_object_or_404(User, pk=pk)
    try:
        services.two_factor_reset(actor=request.user, user=target)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("已重置 %(user)s 的两步验证，该用户下次登录时需要重新设置。") % {"user": target},
        )
    return HttpResponseRedirect(reverse("two-factor-users"))
