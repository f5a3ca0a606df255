"""Error pages (Chinese first, English when chosen, request id and a way back), JSON errors
under /api/, request ids on responses and log lines, ADMINS mail and the error hook."""

from __future__ import annotations

import copy
import io
import json
import logging
import re
from typing import Any, cast

import pytest
from celery import shared_task
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import path
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from rest_framework.test import APIClient

from arrears import error_pages, logs
from config import urls as project_urls
from tests.conftest import TwoCounties
from tests.factories import UserFactory

logger = logging.getLogger(__name__)


# --- A URLconf of the project plus views that fail on purpose -------------------------------


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


def _bad(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("bad")


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def _form(request: HttpRequest) -> HttpResponse:
    # A plain Django view: CSRF-protected by the middleware, unlike DRF's (csrf_exempt) views.
    return HttpResponse("ok")


def _log(request: HttpRequest) -> HttpResponse:
    logger.warning("written while serving")
    return HttpResponse("ok")


urlpatterns = [
    path("boom/", _boom),
    path("api/boom/", _boom),
    path("bad/", _bad),
    path("api/bad/", _bad),
    path("forbidden/", _forbidden),
    path("api/form/", _form),
    path("log/", _log),
    *project_urls.urlpatterns,
]
handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500

with_test_urls = pytest.mark.urls(__name__)


def _client(language: str | None = None, user: Any = None, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.raise_request_exception = False
    if language:
        # What the language switch in the navigation bar leaves behind.
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if user is not None:
        client.force_login(user)
    return client


def _in(language: str, msgid: str) -> str:
    with translation.override(language):
        return gettext(msgid)


def _assert_page(response: Any, status: int, title: str, language: str) -> str:
    assert response.status_code == status
    body = response.content.decode()
    assert 'data-testid="error-page"' in body
    assert f'<html lang="{language}">' in body
    assert _in(language, title) in body
    assert _in(language, "返回首页") in body
    # the request id shown is the one on the response header
    request_id = response["X-Request-ID"]
    assert f'data-testid="request-id">{request_id}<' in body
    return body


# --- Pages ---------------------------------------------------------------------------------

PAGES = [
    ("/bad/", 400, "请求有误"),
    ("/forbidden/", 403, "没有权限"),
    ("/no/such/page/", 404, "页面不存在"),
    ("/boom/", 500, "服务器内部错误"),
]


@with_test_urls
@pytest.mark.django_db
@pytest.mark.parametrize(("url", "status", "title"), PAGES)
def test_error_pages_are_chinese_by_default(url: str, status: int, title: str) -> None:
    body = _assert_page(_client().get(url), status, title, "zh-hans")
    assert "根治欠薪案件管理系统" in body  # the site's layout


@with_test_urls
@pytest.mark.django_db
@pytest.mark.parametrize(("url", "status", "title"), PAGES)
def test_error_pages_follow_the_chosen_language(url: str, status: int, title: str) -> None:
    body = _assert_page(_client("en").get(url), status, title, "en")
    assert "Wage Arrears Case Management System" in body
    assert "根治欠薪案件管理系统" not in body


@pytest.mark.django_db
def test_real_404_and_403_pages_keep_the_navigation(two_counties: TwoCounties) -> None:
    # given a county inspector
    client = _client(user=two_counties.inspector_a)
    # when they open another county's page, and then try to edit the calendar
    missing = client.get(f"/org/counties/{two_counties.b.code}/")
    forbidden = client.post("/calendar/2026/day/", {"date": "2026-12-31", "kind": "holiday"})
    # then both answer in the layout, with their menu
    for response, status, title in ((missing, 404, "页面不存在"), (forbidden, 403, "没有权限")):
        body = _assert_page(response, status, title, "zh-hans")
        assert 'data-testid="inbox-link"' in body


@pytest.mark.django_db
def test_a_way_back_to_the_previous_page_only_on_this_site() -> None:
    client = _client()
    own = client.get("/no/such/", HTTP_REFERER="http://testserver/cases/")
    assert 'href="http://testserver/cases/"' in own.content.decode()
    foreign = client.get("/no/such/", HTTP_REFERER="http://evil.example/")
    assert "evil.example" not in foreign.content.decode()
    assert _in("zh-hans", "返回上一页") not in foreign.content.decode()


@with_test_urls
@pytest.mark.django_db
def test_the_500_page_needs_no_database(django_assert_num_queries: Any) -> None:
    # given a signed-in user (whose menu would need the database), a view that fails
    client = _client(user=UserFactory.create())
    client.get("/boom/")  # the session and user are loaded by the middleware, before the view
    # when the error page itself is rendered for such a request, it makes no query: with the
    # database down, the page still answers

    request = RequestFactory().get("/boom/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        response = error_pages.server_error(request)
    # (the request id header is the middleware's, which this direct call skips)
    assert response.status_code == 500
    assert "服务器内部错误" in response.content.decode()


@with_test_urls
@pytest.mark.django_db
def test_the_500_page_survives_a_broken_template(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str) -> Any:
        raise RuntimeError("template storage gone")

    monkeypatch.setattr(error_pages.loader, "get_template", broken)
    response = _client().get("/boom/")
    assert response.status_code == 500
    assert response["X-Request-ID"] in response.content.decode()
    assert "服务器内部错误" in response.content.decode()


@pytest.mark.django_db
def test_csrf_failure_page(two_counties: TwoCounties) -> None:
    client = _client(user=two_counties.city_office, enforce_csrf_checks=True)
    response = client.post("/inbox/mark-read/")
    _assert_page(response, 403, "页面已过期", "zh-hans")


# --- JSON under /api/ -----------------------------------------------------------------------


def _api_error(response: Any, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    body = response.json()
    assert set(body) == {"detail"}
    assert isinstance(body["detail"], str)
    return str(body["detail"])


@pytest.mark.django_db
def test_unknown_api_urls_answer_json_404() -> None:
    assert _api_error(_client().get("/api/v1/no-such-thing/"), 404) == "未找到。"
    assert _api_error(_client("en").get("/api/v1/no-such-thing/"), 404) == "Not found."
    # …whatever the method: nothing resolves, so no CSRF check or login redirect first
    _api_error(_client(enforce_csrf_checks=True).post("/api/nothing/"), 404)


@pytest.mark.django_db
def test_wrong_methods_answer_json_405(two_counties: TwoCounties) -> None:
    api = APIClient()
    api.force_authenticate(two_counties.official_a)
    # a viewset route and a plain API view
    for method, response in (
        ("DELETE", api.delete("/api/v1/counties/")),
        ("POST", api.post("/api/v1/me/")),
    ):
        assert method in _api_error(response, 405)
        assert response["Allow"]


@with_test_urls
@pytest.mark.django_db
def test_api_failures_answer_json() -> None:
    assert _api_error(_client().get("/api/boom/"), 500) == "服务器出现了错误。"
    assert _api_error(_client("en").get("/api/boom/"), 500) == "A server error occurred."
    _api_error(_client().get("/api/bad/"), 400)


@with_test_urls
@pytest.mark.django_db
def test_api_csrf_failures_answer_json() -> None:
    detail = _api_error(_client(enforce_csrf_checks=True).post("/api/form/"), 403)
    assert detail.startswith("CSRF")


# --- Request ids ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_proxys_request_id_is_kept_when_sane() -> None:
    client = Client()
    assert client.get("/healthz", HTTP_X_REQUEST_ID="nginx-0f9a8b7c6d5e")["X-Request-ID"] == (
        "nginx-0f9a8b7c6d5e"
    )
    for insane in ("short", "x" * 200, "has space 123456", "a\tb123456789", "<script>12345"):
        replaced = client.get("/healthz", HTTP_X_REQUEST_ID=insane)["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", replaced)
    # each request gets its own
    assert client.get("/healthz")["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


def _formatters() -> dict[str, dict[str, Any]]:
    return cast(dict[str, dict[str, Any]], settings.LOGGING["formatters"])


def _json_handler() -> tuple[logging.Handler, io.StringIO]:
    """A handler built from the settings' JSON formatter, as LOG_FORMAT=json configures it."""
    options = copy.deepcopy(_formatters()["json"])
    formatter = import_string(options.pop("()"))(**options)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(logs.RequestIdFilter())
    return handler, stream


@with_test_urls
@pytest.mark.django_db
def test_json_log_lines_carry_the_request_id() -> None:
    handler, stream = _json_handler()
    logger.addHandler(handler)
    try:
        response = _client().get("/log/", HTTP_X_REQUEST_ID="req-1234567890")
    finally:
        logger.removeHandler(handler)
    assert response["X-Request-ID"] == "req-1234567890"
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["request_id"] == "req-1234567890"
    assert line["message"] == "written while serving"
    assert line["level"] == "WARNING"
    assert line["logger"] == __name__
    assert "time" in line


@pytest.mark.django_db
def test_djangos_own_4xx_log_lines_carry_the_request_id() -> None:
    # Django logs "Not Found" after the middleware chain has returned
    handler, stream = _json_handler()
    django_request = logging.getLogger("django.request")
    django_request.addHandler(handler)
    try:
        response = _client().get("/no/such/page/")
    finally:
        django_request.removeHandler(handler)
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["message"] == "Not Found: /no/such/page/"
    assert line["request_id"] == response["X-Request-ID"]
    # …and once the response is closed the id is forgotten
    assert logs.current_request_id() == logs.NO_REQUEST


def test_log_lines_outside_requests_say_so() -> None:
    handler, stream = _json_handler()
    logger.addHandler(handler)
    try:
        logger.warning("at start-up")
    finally:
        logger.removeHandler(handler)
    assert json.loads(stream.getvalue())["request_id"] == logs.NO_REQUEST


def test_plain_log_lines_carry_the_request_id() -> None:
    formatter = logging.Formatter(_formatters()["plain"]["format"])
    record = logging.LogRecord(__name__, logging.INFO, __file__, 1, "hello", None, None)
    token = logs.request_id.set("abc-1234567890")
    try:
        logs.RequestIdFilter().filter(record)
    finally:
        logs.request_id.reset(token)
    assert "[abc-1234567890]" in formatter.format(record)


@shared_task(name="tests.arrears.which_request_id")
def _which_request_id() -> str:
    return logs.current_request_id()


def test_celery_tasks_log_under_their_task_id() -> None:
    result = _which_request_id.apply()
    assert result.get() == result.id
    assert logs.current_request_id() == logs.NO_REQUEST


# --- ADMINS and the error hook --------------------------------------------------------------


def test_admins_from_the_environment() -> None:
    assert logs.admins_from_env("Wang Fang <wang@example.org>, ops@example.org") == [
        ("Wang Fang", "wang@example.org"),
        ("ops@example.org", "ops@example.org"),
    ]
    assert logs.admins_from_env("") == []


@with_test_urls
@pytest.mark.django_db
def test_500s_are_mailed_to_admins(settings: Any) -> None:
    settings.ADMINS = [("Ops", "ops@example.org")]
    response = _client().get("/boom/")
    assert response.status_code == 500
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ops@example.org"]
    assert "/boom/" in mail.outbox[0].subject


reported: list[tuple[Any, Any]] = []


def record_error(request: Any, exc_info: Any) -> None:
    reported.append((request, exc_info))


@with_test_urls
@pytest.mark.django_db
def test_the_error_hook_gets_the_request_and_the_exception(settings: Any) -> None:
    reported.clear()
    settings.ERROR_HOOK = f"{__name__}.record_error"
    try:
        _client().get("/boom/")
        assert len(reported) == 1
        request, exc_info = reported[0]
        assert request.path == "/boom/"
        assert exc_info[0] is RuntimeError
        # outside a request (a task, a command): no request
        try:
            raise ValueError("in a task")
        except ValueError:
            logging.getLogger("celery.app.trace").exception("task failed")
        assert reported[1][0] is None
        assert reported[1][1][0] is ValueError
    finally:
        settings.ERROR_HOOK = ""
        reported.clear()


@with_test_urls
@pytest.mark.django_db
def test_a_broken_error_hook_does_not_break_the_500_page(settings: Any) -> None:
    settings.ERROR_HOOK = "no.such.module.hook"
    try:
        response = _client().get("/boom/")
    finally:
        settings.ERROR_HOOK = ""
    _assert_page(response, 500, "服务器内部错误", "zh-hans")


@with_test_urls
@pytest.mark.django_db
def test_no_error_hook_by_default() -> None:
    reported.clear()
    assert settings.ERROR_HOOK == ""
    _client().get("/boom/")
    assert reported == []
