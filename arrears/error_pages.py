"""The 400/403/404/500 and CSRF-failure responses: a page in the site's layout with the
request id and a way back, or, under /api/, JSON in the shape DRF's errors have
({"detail": "…"}), so an API client never has to parse HTML."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from rest_framework import exceptions

from arrears import logs

logger = logging.getLogger(__name__)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _json(detail: Any, status: int) -> JsonResponse:
    return JsonResponse(
        {"detail": str(detail)}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def _back_url(request: HttpRequest) -> str:
    """The referring page when it is on this site (never send people elsewhere), else ""."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return ""


def _page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    context = {
        "status": status,
        "title": title,
        "message": message,
        "request_id": logs.current_request_id(),
        "back_url": _back_url(request),
    }
    return render(request, "arrears/error.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json(exceptions.ParseError.default_detail, 400)
    return _page(request, 400, _("请求有误"), _("服务器无法处理这个请求，请检查后重试。"))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json(exceptions.PermissionDenied.default_detail, 403)
    return _page(
        request,
        403,
        _("没有权限"),
        _("您没有权限访问此页面。如需开通权限，请联系本单位的系统管理员。"),
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json(exceptions.NotFound.default_detail, 404)
    # Out-of-scope records answer 404 too (arrears/scoping.py): the text must not promise
    # that the record does not exist.
    return _page(
        request,
        404,
        _("页面不存在"),
        _("您要找的页面不存在，或不在您的查看范围内。请检查地址是否正确。"),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _is_api(request):
        return _json(_("CSRF 校验失败：%(reason)s") % {"reason": reason}, 403)
    return _page(
        request,
        403,
        _("页面已过期"),
        _("表单已过期或无法确认来自本系统。请返回上一页，刷新后重新提交。"),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """No request context: the context processors read the database and the session, which
    may be exactly what failed. If even the template fails, a bare page still answers."""
    request_id = logs.current_request_id()
    if _is_api(request):
        return _json(exceptions.APIException.default_detail, 500)
    context = {
        "status": 500,
        "title": _("服务器内部错误"),
        "message": _("系统出现错误，已记录。请稍后重试；如问题持续，请将请求编号告知系统管理员。"),
        "request_id": request_id,
        "back_url": "",
    }
    try:
        body = loader.get_template("arrears/error.html").render(context)
    except Exception:
        logger.exception("The 500 page could not be rendered")
        body = (
            f"<!doctype html><meta charset='utf-8'><title>500</title>"
            f"<h1>{escape(context['title'])}</h1><p>{escape(context['message'])}</p>"
            f"<p>{escape(_('请求编号'))}: <code>{escape(request_id)}</code></p>"
            f"<p><a href='/'>{escape(_('返回首页'))}</a></p>"
        )
    return HttpResponse(body, status=500)
