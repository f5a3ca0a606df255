"""Integration clients' API keys: expiry, rotation with an overlap, revocation, an address
allowlist, recorded use, the security administrator's admin actions, and the documented
401/403 answers. The clock is set by time_machine, so nothing depends on today's date."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from arrears import config
from arrears.models import ConfigValue, Role, SecurityEvent
from complaints.integration.api_keys import api_key_issue, api_key_revoke, api_key_rotate
from complaints.models import ApiKey, IntegrationClient
from complaints.models.integration import validate_networks
from tests.factories import UserFactory

T0 = datetime.datetime(2031, 6, 2, 9, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def client_(db: Any) -> IntegrationClient:
    machine = UserFactory.create(role=Role.INTEGRATION_CLIENT, username="hotline")
    return IntegrationClient.objects.create(user=machine, name="12345热线", channel="hotline_12345")


@pytest.fixture
def clock(time_machine: Any) -> Any:
    time_machine.move_to(T0, tick=False)
    return time_machine


def _call(key: str, **extra: Any) -> Any:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return api.get("/api/v1/referrals/", **extra)


def _key_row(key: str) -> ApiKey:
    return ApiKey.objects.get(prefix=key.split("_")[1])


def test_a_key_expires_after_the_configured_days(client_: IntegrationClient, clock: Any) -> None:
    key = api_key_issue(client=client_)
    assert _key_row(key).expires_at == T0 + 365 * DAY
    clock.move_to(T0 + 365 * DAY - datetime.timedelta(seconds=1), tick=False)
    assert _call(key).status_code == 200
    clock.move_to(T0 + 365 * DAY, tick=False)
    response = _call(key)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "接口密钥已于 2032-06-01 17:00 过期，请使用新签发的密钥"}
    assert response["WWW-Authenticate"] == "Api-Key"


def test_key_life_is_configurable(client_: IntegrationClient, clock: Any) -> None:
    ConfigValue.objects.create(key="complaints.api_key_days", value="30")

    config.forget()
    key = api_key_issue(client=client_)
    assert _key_row(key).expires_at == T0 + 30 * DAY


def test_rotation_keeps_the_old_key_until_the_overlap_ends(
    client_: IntegrationClient, clock: Any
) -> None:
    # given a key in use
    old_key = api_key_issue(client=client_)
    clock.move_to(T0 + 100 * DAY, tick=False)
    # when it is rotated
    new_key, old = api_key_rotate(key=_key_row(old_key))
    # then both work during the overlap (7 days by default), and both are listed
    assert old.expires_at == T0 + 107 * DAY
    assert _key_row(new_key).expires_at == T0 + 465 * DAY
    assert set(client_.keys.values_list("prefix", flat=True)) == {
        old.prefix,
        _key_row(new_key).prefix,
    }
    clock.move_to(T0 + 107 * DAY - datetime.timedelta(seconds=1), tick=False)
    assert _call(old_key).status_code == 200
    assert _call(new_key).status_code == 200
    # and after it only the new key does
    clock.move_to(T0 + 107 * DAY, tick=False)
    assert _call(old_key).status_code == 401
    assert "过期" in _call(old_key).json()["detail"]
    assert _call(new_key).status_code == 200


def test_rotation_never_extends_a_key_and_refuses_an_expired_one(
    client_: IntegrationClient, clock: Any
) -> None:
    key = api_key_issue(client=client_, days=3)
    _, old = api_key_rotate(key=_key_row(key), overlap_days=7)
    assert old.expires_at == T0 + 3 * DAY  # its own earlier end stands
    clock.move_to(T0 + 4 * DAY, tick=False)
    with pytest.raises(ValidationError):
        api_key_rotate(key=old)


def test_revocation_is_immediate_and_recorded(client_: IntegrationClient, clock: Any) -> None:
    secadmin = UserFactory.create(role=Role.SECURITY_ADMIN, username="secadmin")
    key = api_key_issue(client=client_)
    assert _call(key).status_code == 200
    clock.move_to(T0 + DAY, tick=False)
    assert api_key_revoke(key=_key_row(key), actor=secadmin)
    assert not api_key_revoke(key=_key_row(key), actor=secadmin)  # the first one stands
    row = _key_row(key)
    assert (row.revoked_at, row.revoked_by) == (T0 + DAY, secadmin)
    response = _call(key)
    assert response.status_code == 401
    assert response.json() == {"detail": "接口密钥已于 2031-06-03 17:00 吊销，请使用新签发的密钥"}


def test_wrong_keys_say_nothing_about_real_ones(client_: IntegrationClient, clock: Any) -> None:
    key = api_key_issue(client=client_)
    api_key_revoke(key=_key_row(key))
    # the right prefix with a wrong secret: "invalid", not "revoked"
    forged = key[:-4] + "AAAA"
    assert _call(forged).json() == {"detail": "接口密钥无效"}
    assert _call("ak_nothing").status_code == 401


def test_allowlist_of_client_addresses(
    client_: IntegrationClient, clock: Any, settings: Any
) -> None:
    key = api_key_issue(client=client_)
    client_.allowed_networks = "10.12.0.0/16\n192.168.5.7"
    client_.save()
    assert _call(key, REMOTE_ADDR="10.12.3.4").status_code == 200
    assert _call(key, REMOTE_ADDR="192.168.5.7").status_code == 200
    refused = _call(key, REMOTE_ADDR="10.13.0.1")
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "不允许从地址 10.13.0.1 调用本接口（不在本客户端的允许地址列表中）"
    }
    # Behind one trusted proxy the address is the one it appended, not what the caller wrote.
    settings.TRUSTED_PROXY_COUNT = 1
    forwarded = {"REMOTE_ADDR": "10.99.0.1"}
    assert _call(key, HTTP_X_FORWARDED_FOR="10.12.9.9", **forwarded).status_code == 200
    spoofed = _call(key, HTTP_X_FORWARDED_FOR="10.12.9.9, 172.16.0.8", **forwarded)
    assert spoofed.status_code == 403
    # An empty list allows any address.
    client_.allowed_networks = ""
    client_.save()
    assert _call(key, REMOTE_ADDR="172.16.0.8").status_code == 200


@pytest.mark.parametrize("text", ["10.0.0.0/33", "abc", "10.0.0.0/8, 300.1.1.1"])
def test_allowlist_entries_are_validated(text: str) -> None:
    with pytest.raises(ValidationError):
        validate_networks(text)


def test_use_is_recorded_once_a_minute(client_: IntegrationClient, clock: Any) -> None:
    key = api_key_issue(client=client_)
    assert _call(key, REMOTE_ADDR="10.1.1.1").status_code == 200
    row = _key_row(key)
    assert (row.last_used_at, row.last_used_ip) == (T0, "10.1.1.1")
    clock.move_to(T0 + datetime.timedelta(seconds=59), tick=False)
    _call(key, REMOTE_ADDR="10.1.1.2")
    row = _key_row(key)
    assert (row.last_used_at, row.last_used_ip) == (T0, "10.1.1.1")  # no write yet
    clock.move_to(T0 + datetime.timedelta(seconds=61), tick=False)
    _call(key, REMOTE_ADDR="10.1.1.2")
    row = _key_row(key)
    assert row.last_used_ip == "10.1.1.2"
    assert row.last_used_at == T0 + datetime.timedelta(seconds=61)


# --- The security administrator's admin actions ----------------------------------------------


def _admin(role: str) -> Client:
    web = Client()
    web.force_login(UserFactory.create(role=role, is_staff=True))
    return web


def test_security_admin_issues_rotates_and_revokes_in_the_admin(
    client_: IntegrationClient, clock: Any
) -> None:
    web = _admin(Role.SECURITY_ADMIN)
    # issue: the key is shown once, in the message
    page = web.post(
        "/admin/complaints/integrationclient/",
        {"action": "issue_key", "_selected_action": [client_.pk]},
        follow=True,
    ).content.decode()
    first = client_.keys.get()
    assert f"ak_{first.prefix}_" in page
    assert first.created_by is not None and first.created_by.role == Role.SECURITY_ADMIN
    # rotate: a new key shown once, the old one until the overlap ends, both listed
    page = web.post(
        "/admin/complaints/apikey/",
        {"action": "rotate", "_selected_action": [first.pk]},
        follow=True,
    ).content.decode()
    second = client_.keys.exclude(pk=first.pk).get()
    assert f"ak_{second.prefix}_" in page and "2031-06-09 17:00" in page
    listing = web.get("/admin/complaints/apikey/").content.decode()
    assert first.prefix in listing and second.prefix in listing
    # the client's page lists both too, with their state
    client_page = web.get(f"/admin/complaints/integrationclient/{client_.pk}/change/")
    assert second.prefix in client_page.content.decode()
    # revoke
    web.post(
        "/admin/complaints/apikey/",
        {"action": "revoke", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert not client_.keys.filter(revoked_at__isnull=True).exists()


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN, Role.CITY_OFFICE])
def test_other_roles_cannot_touch_keys(client_: IntegrationClient, role: str) -> None:
    key = api_key_issue(client=client_)
    web = _admin(role)
    assert web.get("/admin/complaints/apikey/").status_code == 403
    response = web.post(
        "/admin/complaints/apikey/",
        {"action": "revoke", "_selected_action": [_key_row(key).pk]},
    )
    assert response.status_code == 403
    response = web.post(
        "/admin/complaints/integrationclient/",
        {"action": "issue_key", "_selected_action": [client_.pk]},
    )
    assert response.status_code == 403
    assert client_.keys.count() == 1 and _key_row(key).revoked_at is None


def test_the_answers_are_in_the_openapi_schema() -> None:
    schema = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text()
    )
    for path in ("/api/v1/referrals/", "/api/v1/referrals/batch/"):
        for operation in schema["paths"][path].values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            assert "过期" in responses["401"]["description"]
            assert "允许地址列表" in responses["403"]["description"]
            assert responses["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }
    assert "401" in schema["components"]["securitySchemes"]["apiKeyAuth"]["description"]


def test_issue_use_and_revocation_are_security_events(
    client_: IntegrationClient, clock: Any
) -> None:
    admin = UserFactory.create(role=Role.SECURITY_ADMIN)
    key = api_key_issue(client=client_, actor=admin)
    prefix = key.split("_")[1]
    assert _call(key).status_code == 200
    assert _call(key).status_code == 200  # the same minute: one use recorded, not two
    api_key_revoke(key=_key_row(key), actor=admin)
    events = list(SecurityEvent.objects.order_by("seq").values_list("kind", "actor_id", "detail"))
    kinds = [kind for kind, _user, _detail in events]
    assert kinds.count("api_key_issued") == 1 and kinds.count("api_key_revoked") == 1
    assert kinds.count("api_key_used") == 1
    for kind, user_id, detail in events:
        assert key not in str(detail)  # never the secret
        if kind in ("api_key_issued", "api_key_revoked"):
            assert user_id == admin.pk and detail["prefix"] == prefix
