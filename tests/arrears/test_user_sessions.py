"""Session limits and the lists of sessions (arrears/user_sessions.py): 30 idle minutes, 8 hours
in all, "my sessions" with ending the others, the security administrator ending a user's."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client

from arrears.models import Role, User, UserSession
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CITY = ZoneInfo("Asia/Shanghai")
T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=CITY)
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def user(db: Any) -> User:
    user = UserFactory.create(username="zhaolei", role=Role.INSPECTOR)
    User.objects.filter(pk=user.pk).update(password_changed_at=T0)
    return user


def _signed_in_client(user: User, **extra: Any) -> Client:
    client = Client(**extra)
    response = client.post(
        "/accounts/login/", {"username": user.username, "password": "pw-for-tests"}
    )
    assert response.status_code == 302
    return client


def _at(offset: datetime.timedelta) -> Any:
    return time_machine.travel(T0 + offset, tick=False)


def test_thirty_idle_minutes_sign_the_user_out_with_a_message(user: User) -> None:
    with _at(0 * MINUTE):
        client = _signed_in_client(user)
    with _at(29 * MINUTE):
        assert client.get("/").status_code == 200  # activity: the idle clock starts again
    with _at(58 * MINUTE):
        assert client.get("/").status_code == 200
    with _at(88 * MINUTE):
        response = client.get("/cases/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/cases/")
        page = client.get(response["Location"]).content.decode()
        assert "您已 30 分钟未操作，为保障安全已自动退出，请重新登录。" in page
    assert not UserSession.objects.filter(user=user).exists()


def test_eight_hours_in_all_sign_the_user_out_however_active(user: User) -> None:
    with _at(0 * MINUTE):
        client = _signed_in_client(user)
    for minutes in range(20, 8 * 60, 20):
        with _at(minutes * MINUTE):
            assert client.get("/").status_code == 200
    with _at(8 * 60 * MINUTE):
        response = client.get("/")
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
        assert "本次登录已超过 8 小时，为保障安全已自动退出，请重新登录。" in page


def test_limits_are_configurable(user: User, settings: Any) -> None:
    settings.SESSION_IDLE_MINUTES = 5
    with _at(0 * MINUTE):
        client = _signed_in_client(user)
    with _at(4 * MINUTE):
        assert client.get("/").status_code == 200
    with _at(10 * MINUTE):
        assert client.get("/").status_code == 302


def test_polling_does_not_keep_a_session_alive(user: User) -> None:
    with _at(0 * MINUTE):
        client = _signed_in_client(user)
    for minutes in range(5, 30, 5):
        with _at(minutes * MINUTE):
            client.get("/jobs/", HTTP_HX_REQUEST="true")
    with _at(31 * MINUTE):
        assert client.get("/").status_code == 302


def test_the_api_answers_a_timed_out_session_as_signed_out(user: User) -> None:
    with _at(0 * MINUTE):
        client = _signed_in_client(user)
    with _at(31 * MINUTE):
        assert client.get("/api/v1/counties/").status_code in (401, 403)


def test_activity_is_written_at_most_once_a_minute(user: User) -> None:
    with _at(0 * MINUTE):
        client = _signed_in_client(user)
    row = UserSession.objects.get(user=user)
    with _at(30 * datetime.timedelta(seconds=1)):
        client.get("/")
    row.refresh_from_db()
    assert row.last_seen_at == T0
    with _at(61 * datetime.timedelta(seconds=1)):
        client.get("/")
    row.refresh_from_db()
    assert row.last_seen_at == T0 + datetime.timedelta(seconds=61)


def test_my_sessions_lists_them_and_ends_the_others(user: User) -> None:
    with _at(0 * MINUTE):
        here = _signed_in_client(user, REMOTE_ADDR="10.0.0.5", HTTP_USER_AGENT="Edge/140")
        there = _signed_in_client(user, REMOTE_ADDR="10.0.0.6", HTTP_USER_AGENT="Firefox/140")
        third = _signed_in_client(user, REMOTE_ADDR="10.0.0.7")
        # given three sessions, this one marked and none showing its key
        page = here.get("/accounts/sessions/").content.decode()
        assert page.count('data-testid="session-row"') == 3
        assert page.count('data-testid="session-current"') == 1
        assert "10.0.0.6" in page and "Firefox/140" in page
        for key in UserSession.objects.values_list("session_key", flat=True):
            assert key not in page
        # when one other session is ended, only it is signed out
        row = UserSession.objects.get(ip_address="10.0.0.6")
        assert here.post("/accounts/sessions/end/", {"session": row.pk}).status_code == 302
        assert there.get("/").status_code == 302
        assert third.get("/").status_code == 200
        # and "end the others" leaves this one alone
        assert here.post("/accounts/sessions/end-others/").status_code == 302
        assert third.get("/").status_code == 302
        assert here.get("/").status_code == 200
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [
        here.session.session_key
    ]
    assert Session.objects.filter(session_key=here.session.session_key).exists()


def test_nobody_ends_someone_elses_session(user: User) -> None:
    with _at(0 * MINUTE):
        victim = _signed_in_client(user)
        other = _signed_in_client(UserFactory.create(role=Role.INSPECTOR))
        row = UserSession.objects.get(user=user)
        assert other.post("/accounts/sessions/end/", {"session": row.pk}).status_code == 404
        assert victim.get("/").status_code == 200


def test_the_security_administrator_ends_a_users_sessions(user: User) -> None:
    with _at(0 * MINUTE):
        first, second = _signed_in_client(user), _signed_in_client(user)
        admin = Client()
        admin.force_login(UserFactory.create(role=Role.SECURITY_ADMIN))
        page = admin.get("/security/sessions/").content.decode()
        assert 'data-testid="user-sessions-zhaolei"' in page
        assert admin.post("/security/sessions/end/", {"user": user.pk}).status_code == 302
        assert first.get("/").status_code == 302 and second.get("/").status_code == 302
    assert not UserSession.objects.filter(user=user).exists()


def test_sessions_from_before_the_limits_are_listed_on_their_next_request(user: User) -> None:
    client = Client()
    client.force_login(user)
    # as if signed in before this feature
    UserSession.objects.all().delete()
    session = client.session
    for key in ("arrears_session_started", "arrears_session_seen"):
        del session[key]
    session.save()
    with _at(MINUTE):
        assert client.get("/").status_code == 200
    assert UserSession.objects.filter(user=user, session_key=client.session.session_key).exists()
