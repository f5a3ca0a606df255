"""The campaign action that draws its inspection list by risk (双随机)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from arrears.request_user import request_user
from projects import permissions, selectors, services


@login_required
@require_POST
def campaign_draw(request: HttpRequest, pk: int) -> HttpResponse:
    """Draw (or draw again) the campaign's inspection list; the page then shows it."""
    user = request_user(request, staff=True)
    # Another city's campaign is a 404 (its page is too); then the role.
    campaign = selectors.campaign_detail(pk=pk, user=user)
    if not permissions.can_manage_campaigns(user):
        raise PermissionDenied(_("只有根治欠薪办可以抽取检查名单"))
    size_text = request.POST.get("size", "").strip()
    percent_text = request.POST.get("random_percent", "").strip()
    if not size_text.isdigit() or (percent_text and not percent_text.isdigit()):
        messages.error(request, _("抽取项目数和随机比例应为整数"))
        return redirect("campaign-page", pk=campaign.pk)
    try:
        draw = services.campaign_draw(
            campaign=campaign,
            user=user,
            size=int(size_text),
            random_percent=int(percent_text) if percent_text else None,
        )
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("已抽取检查名单：%(n)s 个项目") % {"n": draw.entries.count()})
    return redirect("campaign-page", pk=campaign.pk)
