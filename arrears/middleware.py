"""Request middleware: gives every request an id; refuses parameters with NUL characters; names
the acting user for the audit trail."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from arrears import audit, logs


class RequestIdMiddleware:
    """Takes the proxy's X-Request-ID when it is a sane token, else makes one; every log line
    written while serving the request carries it, and so does the response. First in
    MIDDLEWARE, so redirects, static files and error pages all get it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        value = logs.sane_request_id(request.headers.get("X-Request-ID")) or logs.new_request_id()
        request.request_id = value  # type: ignore[attr-defined]
        # Not reset on the way out: Django logs 4xx responses ("Not Found: …") after the
        # middleware chain has returned, and a streamed export is written later still. The id
        # is cleared when the response is closed (request_finished, below).
        logs.request_id.set(value)
        response = self.get_response(request)
        response["X-Request-ID"] = value
        return response


def _forget_request_id(**kwargs: object) -> None:
    logs.request_id.set(logs.NO_REQUEST)


request_finished.connect(_forget_request_id, dispatch_uid="arrears.forget_request_id")


class AuditActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = audit.bind_request(request)
        try:
            return self.get_response(request)
        finally:
            audit.reset_actor(token)


class NullCharacterMiddleware:
    """A NUL character is never valid in a parameter, and PostgreSQL refuses it in text: a
    request carrying one gets a 400 here, whichever view or form would have read it (before
    this, a few views that read raw parameters answered 500)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        params = [request.GET]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            try:
                params.append(request.POST)
            except MultiPartParserError:
                # A multipart body without a boundary: malformed, not a server fault (was a 500).
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"detail": _("请求正文格式不正确")},
                        status=400,
                        json_dumps_params={"ensure_ascii": False},
                    )
                return HttpResponse(_("请求正文格式不正确"), status=400, content_type="text/plain")
        for query in params:
            for key, values in query.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    message = _("请求参数中含有无效字符")
                    if request.path.startswith("/api/"):
                        return JsonResponse(
                            {"detail": message},
                            status=400,
                            json_dumps_params={"ensure_ascii": False},
                        )
                    return HttpResponse(
                        message, status=400, content_type="text/plain; charset=utf-8"
                    )
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Permissions-Policy from settings on every response (Django sets the other security
    headers itself; django-csp sets the Content-Security-Policy)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response
