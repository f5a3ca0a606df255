"""The password policy (arrears/passwords.py and AUTH_PASSWORD_VALIDATORS): length, kinds,
common passwords, the username, the last five, expiry after 90 days, argon2."""

from __future__ import annotations

import datetime
import random
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from arrears import demo
from arrears.models import PasswordHistory, Role, User, UserSession
from arrears.passwords import character_kinds
from config.settings import base
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CITY = ZoneInfo("Asia/Shanghai")
T0 = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=CITY)


def _codes(password: str, user: Any = None) -> set[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return {e.code for e in exc.error_list if e.code}
    return set()


@pytest.mark.parametrize(
    ("password", "kinds"),
    [("abcdefghij", 1), ("abcdeFGHIJ", 2), ("abcdeFGH12", 3), ("abcD12#$ef", 4), ("密码abcDEF", 3)],
)
def test_character_kinds(password: str, kinds: int) -> None:
    assert character_kinds(password) == kinds


@pytest.mark.parametrize(
    ("password", "refused_for"),
    [
        ("Kq7#mZ2pLx", set()),  # 10 characters of four kinds
        ("kq7#mz2plx", set()),  # three kinds are enough: lower, digit, symbol
        ("Kq7mZ2pLxw", set()),  # upper, lower, digit
        ("Kq7#mZ2pL", {"password_too_short"}),  # 9 characters
        ("kqxmzwplxv", {"password_too_few_kinds"}),  # one kind
        ("kq7mz2plxw", {"password_too_few_kinds"}),  # two kinds
        ("KQ7MZ2PLXW", {"password_too_few_kinds"}),
        ("Password12", {"password_too_common"}),  # three kinds, but in the common list
        ("1qaz2wsx3edC", {"password_too_common"}),
    ],
)
def test_length_kinds_and_common_passwords(password: str, refused_for: set[str]) -> None:
    assert _codes(password) == refused_for


def test_not_like_the_username(db: Any) -> None:
    user = UserFactory.create(username="zhangwei2026", display_name="张伟")
    assert "password_too_similar" in _codes("Zhangwei2026", user)
    assert "password_too_similar" in _codes("zhangwei2026!", user)
    assert _codes("Kq7#mZ2pLx", user) == set()


def test_minimum_length_is_configurable(settings: Any) -> None:
    settings.AUTH_PASSWORD_VALIDATORS = [
        {
            "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
            "OPTIONS": {"min_length": 12},
        }
    ]
    assert _codes("Kq7#mZ2pLxw") == {"password_too_short"}
    assert _codes("Kq7#mZ2pLxwe") == set()


def test_none_of_the_last_five_but_the_sixth_again(db: Any) -> None:
    # given five passwords set one after another (the fifth is the current one)
    user = UserFactory.create()
    passwords = [f"Kq7#mZ2pL{n}" for n in range(1, 7)]
    for password in passwords[:5]:
        validate_password(password, user)
        user.set_password(password)
        user.save()
    assert PasswordHistory.objects.filter(user=user).count() == 5
    # then each of them is refused
    for password in passwords[:5]:
        assert _codes(password, user) == {"password_reused"}
    # when a sixth is set, the first is six passwords back and may be used again
    user.set_password(passwords[5])
    user.save()
    assert _codes(passwords[0], user) == set()
    assert _codes(passwords[1], user) == {"password_reused"}
    # only five hashes are kept
    assert PasswordHistory.objects.filter(user=user).count() == 5


def test_the_current_password_counts_even_before_any_history(db: Any) -> None:
    user = UserFactory.create()  # the factory writes the hash directly: no history yet
    assert not PasswordHistory.objects.filter(user=user).exists()
    assert _codes("pw-for-tests", user) >= {"password_reused"}


def test_argon2_hashes_new_passwords_and_the_history_reads_them(settings: Any, db: Any) -> None:
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS
    user = UserFactory.create()
    user.set_password("Kq7#mZ2pL1")
    user.save()
    assert user.password.startswith("argon2$argon2id$")
    assert PasswordHistory.objects.get(user=user).password.startswith("argon2$")
    assert _codes("Kq7#mZ2pL1", user) == {"password_reused"}
    # an older PBKDF2 hash still signs in, and is upgraded to argon2 when it does

    User.objects.filter(pk=user.pk).update(
        password=make_password("Kq7#mZ2pL2", hasher="pbkdf2_sha256")
    )
    user.refresh_from_db()
    assert user.check_password("Kq7#mZ2pL2")
    user.refresh_from_db()
    assert user.password.startswith("argon2$")


# --- The change page ---------------------------------------------------------------------------


def _change(client: Client, old: str, new: str, again: str | None = None) -> Any:
    return client.post(
        "/accounts/password/",
        {"old_password": old, "new_password1": new, "new_password2": again or new},
    )


def test_the_change_page_explains_each_refusal_in_chinese(db: Any) -> None:
    user = UserFactory.create(username="wangfang")
    client = Client()
    client.force_login(user)
    page = client.get("/accounts/password/").content.decode()
    assert "修改密码" in page and "至少 3 种" in page and 'data-testid="navbar"' in page
    page = _change(client, "pw-for-tests", "wangfang12").content.decode()
    assert "密码须包含小写字母、大写字母、数字、符号中的至少 3 种" in page
    page = _change(client, "pw-for-tests", "pw-for-tests").content.decode()
    assert "不能使用最近 5 次用过的密码" in page
    user.refresh_from_db()
    assert user.check_password("pw-for-tests")


def test_a_password_change_ends_every_other_session(db: Any) -> None:
    # given the user signed in on two browsers
    user = UserFactory.create(role=Role.INSPECTOR)
    here, there = Client(), Client()
    for client in (here, there):
        assert (
            client.post(
                "/accounts/login/", {"username": user.username, "password": "pw-for-tests"}
            ).status_code
            == 302
        )
    assert UserSession.objects.filter(user=user).count() == 2
    with time_machine.travel(T0, tick=False):
        # when the password is changed on one
        response = _change(here, "pw-for-tests", "Kq7#mZ2pL1")
        assert response.status_code == 302 and response["Location"] == "/accounts/password/done/"
        # then the other is signed out, this one goes on under a new key, listed alone
        assert there.get("/").status_code == 302
        assert here.get("/").status_code == 200
    row = UserSession.objects.get(user=user)
    assert row.session_key == here.session.session_key
    user.refresh_from_db()
    assert user.password_changed_at == T0


# --- Expiry ------------------------------------------------------------------------------------


@pytest.fixture
def changed_at_t0(db: Any) -> User:
    user = UserFactory.create(role=Role.INSPECTOR)
    User.objects.filter(pk=user.pk).update(password_changed_at=T0)
    user.refresh_from_db()
    return user


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_after_ninety_days_every_page_sends_to_the_change_page(changed_at_t0: User) -> None:
    with time_machine.travel(T0 + datetime.timedelta(days=90, seconds=-1), tick=False):
        assert _client_for(changed_at_t0).get("/").status_code == 200
    with time_machine.travel(T0 + datetime.timedelta(days=90), tick=False):
        client = _client_for(changed_at_t0)
        response = client.get("/cases/")
        assert response.status_code == 302 and response["Location"] == "/accounts/password/"
        page = client.get("/accounts/password/").content.decode()
        assert "您的密码已超过 90 天未修改，请先修改密码。" in page
        # htmx requests are sent by a full navigation, the API answers JSON
        response = client.get("/inbox/", HTTP_HX_REQUEST="true")
        assert response.status_code == 204 and response["HX-Redirect"] == "/accounts/password/"
        response = client.get("/api/v1/counties/")
        assert response.status_code == 403 and "请先修改密码" in response.json()["detail"]
        # leaving is allowed
        assert client.post("/accounts/logout/").status_code == 302


def test_a_new_password_lets_the_user_on(changed_at_t0: User) -> None:
    with time_machine.travel(T0 + datetime.timedelta(days=120), tick=False):
        client = _client_for(changed_at_t0)
        assert client.get("/").status_code == 302
        assert _change(client, "pw-for-tests", "Kq7#mZ2pL1").status_code == 302
        assert client.get("/").status_code == 200


def test_the_period_is_configurable(changed_at_t0: User, settings: Any) -> None:
    settings.PASSWORD_MAX_AGE_DAYS = 30
    with time_machine.travel(T0 + datetime.timedelta(days=31), tick=False):
        assert _client_for(changed_at_t0).get("/").status_code == 302
    settings.PASSWORD_MAX_AGE_DAYS = 0  # never
    with time_machine.travel(T0 + datetime.timedelta(days=3650), tick=False):
        assert _client_for(changed_at_t0).get("/").status_code == 200


def test_demo_users_are_exempt_in_the_demo_only(changed_at_t0: User, settings: Any) -> None:
    User.objects.filter(pk=changed_at_t0.pk).update(password_expiry_exempt=True)
    changed_at_t0.refresh_from_db()
    with time_machine.travel(T0 + datetime.timedelta(days=365), tick=False):
        settings.ARREARS_DEMO = True
        assert _client_for(changed_at_t0).get("/").status_code == 200
        # production settings turn ARREARS_DEMO off: the same row is not exempt there
        settings.ARREARS_DEMO = False
        assert _client_for(changed_at_t0).get("/").status_code == 302


@pytest.mark.parametrize("demo_mode", [True, False])
def test_the_demo_seed_marks_its_users_only_in_the_demo(
    settings: Any, db: Any, demo_mode: bool
) -> None:
    settings.ARREARS_DEMO = demo_mode
    rng = random.Random(1)
    org = demo.seed_organisation(rng)
    demo.seed_users(rng, org["counties"])
    people = User.objects.exclude(role=Role.INTEGRATION_CLIENT)
    assert people.exists()
    assert all(u.password_expiry_exempt is demo_mode for u in people)
    # the published password was written as a hash, without the validators or the history
    assert people.first().check_password(demo.DEMO_PASSWORD)
    assert not PasswordHistory.objects.exists()
