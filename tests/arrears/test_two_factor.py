"""Two-factor sign-in: enrolment (QR code as SVG, confirmed with a computed TOTP), sign-in with
the app, a recovery code (once) and SMS, wrong codes, the unverified session held at the step,
required vs optional roles, the security administrator's reset, the demo shortcut."""

from __future__ import annotations

import datetime
import importlib.util
import re
from pathlib import Path
from typing import Any, ClassVar

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from arrears import config
from arrears.demo import DEMO_TOTP_KEY
from arrears.models import ConfigValue, Role, SecurityEvent, SmsDevice
from arrears.sms import BaseSmsBackend
from arrears.two_factor import policy
from tests.factories import UserFactory

PASSWORD = "pw-for-tests"
VERIFY = reverse("two-factor-verify")
ENROL = reverse("two-factor-enrol")


class CapturingSms(BaseSmsBackend):
    sent: ClassVar[list[tuple[str, str]]] = []

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))


@pytest.fixture
def real_sessions(settings: Any) -> None:
    """Sessions as in production: no test-client trust, no demo shortcut."""
    settings.TWO_FACTOR_TRUST_TEST_LOGINS = False
    settings.ARREARS_DEMO = False


@pytest.fixture
def sms(settings: Any) -> type[CapturingSms]:
    settings.SMS_BACKEND = "tests.arrears.test_two_factor.CapturingSms"
    CapturingSms.sent = []
    # The hourly counters live in the cache (Redis in CI), which outlives a test's rollback.
    cache.clear()
    return CapturingSms


def code_for(device: TOTPDevice) -> str:
    """The code the authenticator app shows, by django-otp's own TOTP."""
    device.refresh_from_db()
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{value:0{device.digits}d}"


def sign_in(client: Client, user: Any) -> Any:
    """The password step through the real login page."""
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return response


def totp_device(user: Any, **kwargs: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True, **kwargs)


def verified_client(user: Any) -> Client:
    """A session verified by the user's own device, as after the verify step."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session.save()
    return client


def recovery_codes(user: Any, codes: list[str]) -> StaticDevice:
    device = StaticDevice.objects.create(user=user, name="codes")
    for code in codes:
        device.token_set.create(token=code)
    return device


# --- Who must use it ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attrs", "required"),
    [
        ({"role": Role.CITY_OFFICE}, True),
        ({"role": Role.CITY_LEADER}, True),
        ({"role": Role.SYSTEM_ADMIN}, True),
        ({"role": Role.SECURITY_ADMIN}, True),
        ({"role": Role.AUDIT_ADMIN}, True),
        ({"role": Role.INSPECTOR, "is_superuser": True}, True),
        ({"role": Role.DUTY_OFFICER, "is_staff": True}, True),
        ({"role": Role.INSPECTOR}, False),
        ({"role": Role.DUTY_OFFICER}, False),
        ({"role": Role.INTEGRATION_CLIENT}, False),
    ],
)
def test_roles_that_must_use_two_factor(db: Any, attrs: dict[str, Any], required: bool) -> None:
    assert policy.required_for(UserFactory.create(**attrs)) is required


def test_reveal_permission_and_configured_roles_make_it_required(two_counties: Any) -> None:
    # given an inspector and a county official, neither required by role
    inspector = two_counties.inspector_a
    official = two_counties.official_a
    assert not policy.required_for(inspector) and not policy.required_for(official)
    # when the inspector may reveal full ID numbers and county officials are configured
    inspector.user_permissions.add(Permission.objects.get(codename="reveal_personal_data"))
    ConfigValue.objects.create(key="auth.two_factor_roles", value="county_official, duty_officer")

    config.forget()
    # then both need it (the permission cache is per object: load the inspector again)
    assert policy.required_for(type(inspector).objects.get(pk=inspector.pk))
    assert policy.required_for(official)


# --- Held at the step until verified ----------------------------------------------------------


def test_required_user_without_device_is_held_at_enrolment(db: Any, real_sessions: None) -> None:
    user = UserFactory.create(city_office=True)
    client = Client()
    sign_in(client, user)
    # every page leads to enrolment, keeping where the user was going
    response = client.get("/inbox/")
    assert response.status_code == 302
    assert response["Location"] == f"{ENROL}?next=%2Finbox%2F"
    assert client.get(reverse("home"))["Location"].startswith(ENROL)
    # a partial page (htmx) is told to load the step as a whole page
    response = client.get("/inbox/", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"].startswith(ENROL)
    # the API answers JSON, not a login page
    response = client.get("/api/v1/complaints/")
    assert response.status_code == 403
    assert response.json()["code"] == "two_factor_required"
    # the steps themselves, health, language and logout stay open
    assert client.get(ENROL).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200
    assert client.post(reverse("set_language"), {"language": "en"}).status_code == 302
    assert client.post(reverse("logout")).status_code == 302
    assert client.get("/inbox/")["Location"].startswith(reverse("login"))


def test_user_with_device_is_held_at_verify_and_cannot_enrol_another(
    db: Any, real_sessions: None
) -> None:
    user = UserFactory.create(role=Role.CITY_LEADER)
    totp_device(user)
    client = Client()
    sign_in(client, user)
    assert client.get("/inbox/")["Location"] == f"{VERIFY}?next=%2Finbox%2F"
    # a stolen password alone must not add the thief's own device
    assert client.get(ENROL)["Location"].startswith(VERIFY)
    assert client.get(reverse("two-factor-enrol-sms"))["Location"].startswith(VERIFY)
    assert client.get(reverse("two-factor"))["Location"].startswith(VERIFY)
    assert not TOTPDevice.objects.filter(user=user, confirmed=False).exists()


def test_optional_user_without_device_goes_straight_in(
    two_counties: Any, real_sessions: None
) -> None:
    client = Client()
    sign_in(client, two_counties.official_a)
    assert client.get(reverse("home")).status_code == 200


def test_optional_user_with_a_device_must_use_it(two_counties: Any, real_sessions: None) -> None:
    official = two_counties.official_a
    totp_device(official)
    client = Client()
    sign_in(client, official)
    assert client.get(reverse("home"))["Location"].startswith(VERIFY)


def test_force_login_sessions_count_as_verified_in_test_settings(db: Any) -> None:
    """The arrangement every other test relies on (TWO_FACTOR_TRUST_TEST_LOGINS)."""
    client = Client()
    client.force_login(UserFactory.create(city_office=True))
    assert client.get(reverse("home")).status_code == 200


def test_a_real_login_is_not_trusted_even_in_test_settings(db: Any) -> None:
    client = Client()
    sign_in(client, UserFactory.create(city_office=True))
    assert client.get(reverse("home"))["Location"].startswith(ENROL)


# --- Enrolment --------------------------------------------------------------------------------


def test_enrolment_with_an_authenticator_app(db: Any, real_sessions: None) -> None:
    # given a city-office user signed in with the password only
    user = UserFactory.create(city_office=True)
    client = Client()
    sign_in(client, user)
    # when they open the enrolment page
    page = client.get(f"{ENROL}?next=/inbox/").content.decode()
    # then the QR code is drawn here as SVG, with no script or event handler in the page
    assert re.search(r'<svg [^>]*class="two-factor-qr"', page)
    main = page[page.index("<main") : page.index("</main>")]  # this page's own part
    assert not re.search(r"<script", main), "inline script"
    assert not re.search(r"\son[a-z]+=", main), "inline event handler"
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.get(ENROL).status_code == 200  # a reload keeps the same secret
    assert TOTPDevice.objects.filter(user=user).count() == 1
    # a wrong code does not confirm it
    response = client.post(ENROL, {"code": "000000", "next": "/inbox/"})
    assert response.status_code == 200 and "验证码不正确" in response.content.decode()
    device.refresh_from_db()
    device.throttle_reset()
    assert not device.confirmed
    # the code the app shows does, and the first enrolment gives ten recovery codes, once
    response = client.post(ENROL, {"code": code_for(device), "next": "/inbox/"})
    assert response["Location"] == reverse("two-factor-recovery-codes") + "?next=%2Finbox%2F"
    page = client.get(response["Location"]).content.decode()
    codes = re.findall(r'<li class="list-group-item">([a-z2-7]{8})</li>', page)
    assert len(codes) == 10
    assert sorted(codes) == sorted(StaticToken.objects.values_list("token", flat=True))
    assert client.get(response["Location"])["Location"] == reverse("two-factor")
    # and the session is verified
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/inbox/").status_code == 200


def test_enrolment_with_sms(db: Any, real_sessions: None, sms: type[CapturingSms]) -> None:
    user = UserFactory.create(role=Role.SECURITY_ADMIN)
    client = Client()
    sign_in(client, user)
    response = client.post(reverse("two-factor-enrol-sms"), {"phone": "138 1234 5678"})
    assert response["Location"].startswith(reverse("two-factor-enrol-sms-confirm"))
    phone, text = sms.sent[-1]
    assert phone == "13812345678"
    code = re.search(r"\d{6}", text).group(0)  # type: ignore[union-attr]
    response = client.post(reverse("two-factor-enrol-sms-confirm"), {"code": code})
    assert response["Location"].startswith(reverse("two-factor-recovery-codes"))
    assert SmsDevice.objects.get(user=user).confirmed
    assert client.get(reverse("home")).status_code == 200


# --- Sign-in ----------------------------------------------------------------------------------


def test_sign_in_with_the_authenticator_app(db: Any, real_sessions: None) -> None:
    user = UserFactory.create(city_office=True)
    device = totp_device(user)
    client = Client()
    sign_in(client, user)
    page = client.get(f"{VERIFY}?next=/inbox/").content.decode()
    assert "输入动态验证码" in page
    response = client.post(
        VERIFY, {"device": device.persistent_id, "code": code_for(device), "next": "/inbox/"}
    )
    assert response["Location"] == "/inbox/"
    assert client.get("/inbox/").status_code == 200
    # an address outside the site is not followed
    client.post(reverse("logout"))
    sign_in(client, user)
    with time_machine.travel(datetime.timedelta(seconds=60)):
        response = client.post(
            VERIFY,
            {"device": device.persistent_id, "code": code_for(device), "next": "https://x.test/"},
        )
    assert response["Location"] == reverse("home")


def test_wrong_codes_are_refused_and_slow_down_guessing(db: Any, real_sessions: None) -> None:
    user = UserFactory.create(city_office=True)
    device = totp_device(user)
    client = Client()
    sign_in(client, user)
    right = code_for(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"device": device.persistent_id, "code": wrong})
    assert response.status_code == 200 and "验证码不正确或已过期" in response.content.decode()

    refused = SecurityEvent.objects.get(kind="two_factor_verify_failed")
    assert (refused.object_id, refused.result) == (str(user.pk), "failure")
    # right after a failure even the right code waits (django-otp's doubling delay)
    response = client.post(VERIFY, {"device": device.persistent_id, "code": right})
    assert "尝试次数过多" in response.content.decode()
    assert client.get(reverse("home"))["Location"].startswith(VERIFY)
    # a code the app showed long ago, a device of someone else, an empty code: refused too
    other = totp_device(UserFactory.create(city_office=True))
    with time_machine.travel(datetime.timedelta(seconds=5)):
        for data in (
            {"device": other.persistent_id, "code": code_for(other)},
            {"device": device.persistent_id, "code": ""},
        ):
            assert client.post(VERIFY, data).status_code == 200
        assert client.get(reverse("home"))["Location"].startswith(VERIFY)


def test_a_recovery_code_works_once(db: Any, real_sessions: None) -> None:
    user = UserFactory.create(role=Role.AUDIT_ADMIN)
    totp_device(user)
    codes = recovery_codes(user, ["abcdefgh", "ijklmnop"])
    client = Client()
    sign_in(client, user)
    # typed as people type them: upper case, with a hyphen
    response = client.post(
        VERIFY, {"device": codes.persistent_id, "code": "ABCD-EFGH", "next": "/inbox/"}
    )
    assert response["Location"] == "/inbox/"
    assert list(codes.token_set.values_list("token", flat=True)) == ["ijklmnop"]
    client.post(reverse("logout"))
    sign_in(client, user)
    with time_machine.travel(datetime.timedelta(seconds=5)):
        response = client.post(VERIFY, {"device": codes.persistent_id, "code": "abcdefgh"})
        assert "验证码不正确或已过期" in response.content.decode()
        assert client.get(reverse("home"))["Location"].startswith(VERIFY)


def test_sign_in_with_an_sms_code(db: Any, real_sessions: None, sms: type[CapturingSms]) -> None:
    user = UserFactory.create(city_office=True, language="en")
    device = SmsDevice.objects.create(user=user, name="sms", phone="13912345678")
    client = Client()
    sign_in(client, user)
    response = client.post(
        reverse("two-factor-sms-send"), {"device_pk": device.pk, "next": "/inbox/"}
    )
    assert response["Location"].startswith(VERIFY)
    assert len(sms.sent) == 1
    phone, text = sms.sent[0]
    assert phone == "13912345678"
    code = re.search(r"\d{6}", text).group(0)  # type: ignore[union-attr]
    # a second code cannot be asked for at once (cooldown), so the phone is not flooded
    client.post(reverse("two-factor-sms-send"), {"device_pk": device.pk})
    assert len(sms.sent) == 1
    response = client.post(VERIFY, {"device": device.persistent_id, "code": code, "next": "/"})
    assert response["Location"] == "/"
    assert client.get(reverse("home")).status_code == 200
    # the code was spent
    device.refresh_from_db()
    assert device.token is None


def test_an_sms_code_expires(db: Any, real_sessions: None, sms: type[CapturingSms]) -> None:
    user = UserFactory.create(city_office=True)
    device = SmsDevice.objects.create(user=user, name="sms", phone="13912345678")
    client = Client()
    sign_in(client, user)
    client.post(reverse("two-factor-sms-send"), {"device_pk": device.pk})
    code = re.search(r"\d{6}", sms.sent[0][1]).group(0)  # type: ignore[union-attr]
    with time_machine.travel(datetime.timedelta(minutes=6)):
        client.post(VERIFY, {"device": device.persistent_id, "code": code})
        assert client.get(reverse("home"))["Location"].startswith(VERIFY)


def test_sms_codes_are_limited_per_hour(
    db: Any, settings: Any, real_sessions: None, sms: type[CapturingSms]
) -> None:
    settings.TWO_FACTOR_SMS_COOLDOWN_SECONDS = 0
    settings.TWO_FACTOR_SMS_PER_HOUR = 2
    user = UserFactory.create(city_office=True)
    device = SmsDevice.objects.create(user=user, name="sms", phone="13912345678")
    client = Client()
    sign_in(client, user)
    for _ in range(4):
        client.post(reverse("two-factor-sms-send"), {"device_pk": device.pk})
    assert len(sms.sent) == 2


# --- The user's own page ----------------------------------------------------------------------


def test_the_last_device_stays_when_two_factor_is_required(db: Any) -> None:
    user = UserFactory.create(city_office=True)
    device = totp_device(user)
    client = Client()
    client.force_login(user)
    page = client.get(reverse("two-factor")).content.decode()
    assert "唯一的验证方式，不能删除" in page
    client.post(reverse("two-factor-device-remove"), {"device": device.persistent_id})
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    # with a second device, either may go
    SmsDevice.objects.create(user=user, name="sms", phone="13912345678")
    client.post(reverse("two-factor-device-remove"), {"device": device.persistent_id})
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


def test_an_optional_user_may_stop_using_two_factor(two_counties: Any) -> None:
    official = two_counties.official_a
    device = totp_device(official)
    recovery_codes(official, ["abcdefgh"])
    client = Client()
    client.force_login(official)
    client.post(reverse("two-factor-device-remove"), {"device": device.persistent_id})
    assert not TOTPDevice.objects.filter(user=official).exists()
    assert not StaticDevice.objects.filter(user=official).exists()


def test_regenerated_recovery_codes_replace_the_old_ones(db: Any) -> None:
    user = UserFactory.create(city_office=True)
    totp_device(user)
    recovery_codes(user, ["abcdefgh"])
    client = Client()
    client.force_login(user)
    response = client.post(reverse("two-factor-recovery-regenerate"))
    page = client.get(response["Location"]).content.decode()
    codes = re.findall(r'<li class="list-group-item">([a-z2-7]{8})</li>', page)
    assert len(codes) == 10 and "abcdefgh" not in codes
    assert not StaticToken.objects.filter(token="abcdefgh").exists()


# --- The security administrator's reset -------------------------------------------------------


def test_the_security_administrator_resets_a_users_two_factor(db: Any, real_sessions: None) -> None:
    # given a city-office user signed in with their app
    user = UserFactory.create(city_office=True)
    device = totp_device(user)
    recovery_codes(user, ["abcdefgh"])
    theirs = Client()
    sign_in(theirs, user)
    theirs.post(VERIFY, {"device": device.persistent_id, "code": code_for(device)})
    assert theirs.get(reverse("home")).status_code == 200
    # when the security administrator, verified by their own app, resets it
    admin = UserFactory.create(role=Role.SECURITY_ADMIN)
    client = verified_client(admin)
    assert user.username in client.get(reverse("two-factor-users")).content.decode()
    response = client.post(reverse("two-factor-reset", args=[user.pk]))
    assert response.status_code == 302
    # then the user has no device and their open session must enrol again
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    assert theirs.get(reverse("home"))["Location"].startswith(ENROL)
    # recorded as a security event naming who did it, beside the enrolment and the refused code

    reset = SecurityEvent.objects.get(kind="two_factor_reset")
    assert (reset.actor_id, reset.object_id) == (admin.pk, str(user.pk))
    # and nobody resets their own
    client.post(reverse("two-factor-reset", args=[admin.pk]))
    assert TOTPDevice.objects.filter(user=admin).exists()


@pytest.mark.parametrize(
    "attrs",
    [
        {"city_office": True},
        {"role": Role.SYSTEM_ADMIN},
        {"role": Role.AUDIT_ADMIN},
        {"role": Role.CITY_OFFICE, "is_superuser": True, "is_staff": True},
        {"role": Role.INSPECTOR},
    ],
)
def test_only_the_security_administrator_may_reset(db: Any, attrs: dict[str, Any]) -> None:
    victim = UserFactory.create(city_office=True)
    totp_device(victim)
    client = Client()
    client.force_login(UserFactory.create(**attrs))
    assert client.get(reverse("two-factor-users")).status_code == 404
    assert client.post(reverse("two-factor-reset", args=[victim.pk])).status_code == 404
    assert TOTPDevice.objects.filter(user=victim).exists()


# --- The demo -------------------------------------------------------------------------------


def test_demo_users_pass_with_the_published_secret_only_in_the_demo(
    db: Any, settings: Any, real_sessions: None
) -> None:
    demo_user = UserFactory.create(city_office=True)
    totp_device(demo_user, key=DEMO_TOTP_KEY)
    own_secret = UserFactory.create(city_office=True)
    totp_device(own_secret)
    settings.ARREARS_DEMO = True
    for user, page in ((demo_user, 200), (own_secret, 302)):
        client = Client()
        sign_in(client, user)
        assert client.get(reverse("home")).status_code == page
    # production settings: the demo user types a code like anyone
    settings.ARREARS_DEMO = False
    client = Client()
    sign_in(client, demo_user)
    assert client.get(reverse("home"))["Location"].startswith(VERIFY)


def test_the_smoke_scripts_compute_codes_for_the_demo_secret() -> None:
    path = Path(__file__).resolve().parents[2] / "scripts" / "smoke_prod_browser.py"
    spec = importlib.util.spec_from_file_location("smoke_prod_browser", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.DEMO_TOTP_KEY == DEMO_TOTP_KEY
    assert module.demo_code() == f"{totp(bytes.fromhex(DEMO_TOTP_KEY)):06d}"
    path = path.with_name("smoke_prod_export.py")
    text = path.read_text()
    assert f'DEMO_TOTP_KEY = "{DEMO_TOTP_KEY}"' in text


def test_production_settings_never_exempt_anyone() -> None:
    text = (Path(__file__).resolve().parents[2] / "config/settings/production.py").read_text()
    assert "ARREARS_DEMO = False" in text
    assert "TWO_FACTOR_TRUST_TEST_LOGINS = False" in text
