"""Login failure handling (arrears/lockout.py, django-axes): the account lock, the address lock,
the message on the login page, the security administrator's unlock, every attempt recorded.
Axes is on in the test settings, as in production; the clock is fixed with time-machine."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import Client

from arrears.models import Role, User
from complaints.integration.api_keys import api_key_issue
from complaints.models import IntegrationClient
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CITY = ZoneInfo("Asia/Shanghai")
T0 = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=CITY)
PASSWORD = "pw-for-tests"  # the factory's


def _login(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def inspector(db: Any) -> User:
    return UserFactory.create(username="liming", role=Role.INSPECTOR)


@pytest.fixture
def security_admin(db: Any) -> User:
    return UserFactory.create(username="secadmin", role=Role.SECURITY_ADMIN)


def test_account_is_locked_after_five_failures_and_the_page_says_until_when(
    inspector: User,
) -> None:
    client = Client()
    with time_machine.travel(T0, tick=False):
        # given four failures: each only says the password is wrong
        for _ in range(4):
            response = _login(client, "liming", "wrong-password")
            assert response.status_code == 200
            assert "用户名或密码不正确" in response.content.decode()
        # when the fifth fails
        response = _login(client, "liming", "wrong-password")
        # then the login page, in the site's layout, says the account is locked until 10:15
        page = response.content.decode()
        assert response.status_code == 429
        assert 'data-testid="lockout"' in page and 'data-testid="navbar"' in page
        assert "该账号登录失败次数过多，已被锁定。请于 10:15 后再试" in page
        # and even the right password does not get in while it lasts
        response = _login(client, "liming", PASSWORD)
        assert response.status_code == 429 and not _signed_in(client)

    # the failure during the lock counted too, so the lock runs 15 minutes from it
    with time_machine.travel(T0 + datetime.timedelta(minutes=14, seconds=59), tick=False):
        assert _login(client, "liming", PASSWORD).status_code == 429
    with time_machine.travel(T0 + datetime.timedelta(minutes=30), tick=False):
        assert _login(client, "liming", PASSWORD).status_code == 302
        assert _signed_in(client)


def test_failures_spread_beyond_the_window_do_not_lock(inspector: User) -> None:
    client = Client()
    for n in range(6):
        with time_machine.travel(T0 + n * datetime.timedelta(minutes=16), tick=False):
            assert _login(client, "liming", "wrong-password").status_code == 200
    with time_machine.travel(T0 + 6 * datetime.timedelta(minutes=16), tick=False):
        assert _login(client, "liming", PASSWORD).status_code == 302


def test_limits_and_window_come_from_settings(inspector: User, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=60)
    client = Client()
    with time_machine.travel(T0, tick=False):
        assert _login(client, "liming", "x").status_code == 200
        response = _login(client, "liming", "x")
        assert response.status_code == 429
        assert "请于 11:00 后再试" in response.content.decode()


def test_lock_message_names_the_day_when_it_ends_tomorrow(inspector: User) -> None:
    late = datetime.datetime(2026, 3, 2, 23, 50, tzinfo=CITY)
    with time_machine.travel(late, tick=False):
        client = Client()
        for _ in range(5):
            response = _login(client, "liming", "x")
        assert "请于 2026-03-03 00:05 后再试" in response.content.decode()


def test_address_is_locked_after_more_failures_over_many_accounts(
    inspector: User, settings: Any
) -> None:
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    guesser = Client(REMOTE_ADDR="10.1.2.3")
    with time_machine.travel(T0, tick=False):
        # given failures on seven accounts (none reaches the account limit of five)
        for n in range(7):
            assert _login(guesser, f"user-{n}", "x").status_code == 200
        # when the eighth fails the address is stopped
        response = _login(guesser, "user-7", "x")
        assert response.status_code == 429
        assert "本机所在地址登录失败次数过多" in response.content.decode()
        assert "请于 10:15 后再试" in response.content.decode()
        # then not even an untouched account signs in from it…
        assert _login(guesser, "liming", PASSWORD).status_code == 429
        # …while from another address it does
        other = Client(REMOTE_ADDR="10.9.9.9")
        assert _login(other, "liming", PASSWORD).status_code == 302


def test_the_address_is_the_one_the_trusted_proxies_report(inspector: User, settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    # both behind the same proxy (REMOTE_ADDR); the client's own X-Forwarded-For entry is
    # forged and ignored, the right-most one is the proxy's
    guesser = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7")
    colleague = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.8")
    with time_machine.travel(T0, tick=False):
        for n in range(3):
            _login(guesser, f"user-{n}", "x")
        assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
        assert _login(guesser, "liming", PASSWORD).status_code == 429
        assert _login(colleague, "liming", PASSWORD).status_code == 302


def test_every_attempt_is_recorded(inspector: User) -> None:
    client = Client(REMOTE_ADDR="10.5.5.5", HTTP_USER_AGENT="Firefox/140")
    _login(client, "liming", "x")
    _login(client, "nobody", "x")
    _login(client, "liming", PASSWORD)
    failures = AccessFailureLog.objects.order_by("attempt_time")
    assert [(f.username, f.ip_address) for f in failures] == [
        ("liming", "10.5.5.5"),
        ("nobody", "10.5.5.5"),
    ]
    success = AccessLog.objects.get()
    assert (success.username, success.ip_address, success.user_agent) == (
        "liming",
        "10.5.5.5",
        "Firefox/140",
    )


def test_a_successful_login_clears_only_that_accounts_failures(inspector: User) -> None:
    client = Client(REMOTE_ADDR="10.5.5.5")
    _login(client, "liming", "x")
    _login(client, "someone-else", "x")
    _login(client, "liming", PASSWORD)
    # the address keeps the failure on the other account: a valid account does not wipe an
    # address's record of guessing others
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["someone-else"]


def test_a_lockout_ends_the_accounts_sessions(inspector: User) -> None:
    browser = Client()
    with time_machine.travel(T0, tick=False):
        assert _login(browser, "liming", PASSWORD).status_code == 302
        assert browser.get("/").status_code == 200
        attacker = Client(REMOTE_ADDR="10.6.6.6")
        for _ in range(5):
            _login(attacker, "liming", "x")
        response = browser.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not inspector.browser_sessions.exists()


def test_the_security_administrator_unlocks_an_account(
    inspector: User, security_admin: User
) -> None:
    client = Client()
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            _login(client, "liming", "x")
        admin = Client()
        admin.force_login(security_admin)
        # given the lock is listed with when it would end by itself
        page = admin.get("/security/lockouts/").content.decode()
        assert "<td>liming</td>" in page and "2026-03-02 10:15" in page
        # when it is unlocked
        response = admin.post("/security/lockouts/unlock/", {"kind": "account", "value": "liming"})
        assert response.status_code == 302
        # then the user signs in at once
        assert _login(client, "liming", PASSWORD).status_code == 302
        assert "<td>liming</td>" not in admin.get("/security/lockouts/").content.decode()


def test_the_security_administrator_unlocks_an_address(
    inspector: User, security_admin: User, settings: Any
) -> None:
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    guesser = Client(REMOTE_ADDR="10.7.7.7")
    with time_machine.travel(T0, tick=False):
        for n in range(6):
            _login(guesser, f"user-{n}", "x")
        admin = Client()
        admin.force_login(security_admin)
        assert "10.7.7.7" in admin.get("/security/lockouts/").content.decode()
        admin.post("/security/lockouts/unlock/", {"kind": "address", "value": "10.7.7.7"})
        assert _login(guesser, "liming", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "who",
    [
        {"role": Role.INSPECTOR},
        {"role": Role.CITY_OFFICE, "is_staff": True},
        {"role": Role.SYSTEM_ADMIN, "is_staff": True},
        {"role": Role.AUDIT_ADMIN},
        {"role": Role.CITY_OFFICE, "is_staff": True, "is_superuser": True},
    ],
)
def test_the_lockout_pages_are_404_to_everyone_else(inspector: User, who: dict[str, Any]) -> None:
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            _login(Client(), "liming", "x")
        other = Client()
        other.force_login(UserFactory.create(**who))
        assert other.get("/security/lockouts/").status_code == 404
        response = other.post("/security/lockouts/unlock/", {"kind": "account", "value": "liming"})
        assert response.status_code == 404
        assert other.get("/security/sessions/").status_code == 404
        assert other.post("/security/sessions/end/", {"user": inspector.pk}).status_code == 404
        # the lock is still there
        assert _login(Client(), "liming", PASSWORD).status_code == 429


def test_the_superuser_has_axes_admin_pages(db: Any) -> None:
    root = UserFactory.create(is_staff=True, is_superuser=True, role=Role.CITY_OFFICE)
    client = Client()
    client.force_login(root)
    for page in ("accessattempt", "accessfailurelog", "accesslog"):
        assert client.get(f"/admin/axes/{page}/").status_code == 200


def test_api_key_clients_are_not_locked_out_with_their_address(
    inspector: User, settings: Any
) -> None:
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    machine = UserFactory.create(role=Role.INTEGRATION_CLIENT, username="hotline")
    integration = IntegrationClient.objects.create(
        user=machine, name="12345热线", channel="hotline_12345", rate="1000/min"
    )
    key = api_key_issue(client=integration)
    with time_machine.travel(T0, tick=False):
        guesser = Client(REMOTE_ADDR="10.8.8.8")
        for n in range(3):
            _login(guesser, f"user-{n}", "x")
        assert _login(guesser, "liming", PASSWORD).status_code == 429
        # the same address calling the API with its key is served, and adds no attempt
        before = AccessAttempt.objects.count()
        api = Client(REMOTE_ADDR="10.8.8.8", HTTP_AUTHORIZATION=f"Api-Key {key}")
        assert api.get("/api/v1/referrals/").status_code == 200
        bad = Client(REMOTE_ADDR="10.8.8.8", HTTP_AUTHORIZATION="Api-Key ak_dead_beef")
        assert bad.get("/api/v1/referrals/").status_code == 401
        assert AccessAttempt.objects.count() == before
