"""Security audit (issue 12): every kind of security event is recorded with its actor, address
and result; the trails are chained (a changed or removed row is found), append-only on
PostgreSQL, archived only past their retention; the audit page is the audit administrator's."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import time_machine
from axes import signals
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client, RequestFactory
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from arrears import audit, config, jobs
from arrears.audit import chain
from arrears.audit_admin import maintenance
from arrears.models import (
    AuditEvent,
    AuditVerification,
    ConfigValue,
    County,
    Job,
    JobState,
    Notification,
    Role,
    SecurityEvent,
)
from complaints.intake import services
from complaints.models import CaseEntry, ComplaintEvent
from tests.complaints.conftest import complaint_data
from tests.factories import CityFactory, CountyFactory, UserFactory

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _last(kind: str) -> SecurityEvent:
    return SecurityEvent.objects.filter(kind=kind).order_by("-seq").first()  # type: ignore[return-value]


def _request(ip: str = "10.1.2.3", **meta: Any) -> Any:
    return RequestFactory().get("/", REMOTE_ADDR=ip, **meta)


# --- each kind of event ------------------------------------------------------------------


def test_login_logout_and_failed_login_are_recorded_with_the_proxys_client(
    db: None, settings: Any
) -> None:

    # given one reverse proxy in front: the client is the right-most X-Forwarded-For entry
    settings.TRUSTED_PROXY_COUNT = 1
    user = UserFactory.create(username="clerk")
    request = _request("192.168.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.9.8.7")
    # when
    user_logged_in.send(sender=type(user), request=request, user=user)
    user_logged_out.send(sender=type(user), request=request, user=user)
    user_login_failed.send(
        sender=__name__, credentials={"username": "clerk", "password": "********"}, request=request
    )
    # then
    login, logout, failed = _last("login"), _last("logout"), _last("login_failed")
    assert (login.actor_id, login.actor_label, login.address, login.result) == (
        user.pk,
        "user:clerk",
        "10.9.8.7",
        "success",
    )
    assert (logout.actor_id, logout.address) == (user.pk, "10.9.8.7")
    assert (failed.actor_id, failed.actor_label, failed.result) == (
        None,
        "anonymous:clerk",
        "failure",
    )
    assert failed.address == "10.9.8.7" and "password" not in json.dumps(failed.detail)


def test_a_wrong_password_on_the_login_page_is_recorded(db: None) -> None:
    UserFactory.create(username="clerk")
    Client(REMOTE_ADDR="10.0.0.5").post(
        "/accounts/login/", {"username": "clerk", "password": "wrong-password"}
    )
    failed = _last("login_failed")
    assert failed is not None and failed.address == "10.0.0.5"
    assert failed.detail == {"username": "clerk"}


def test_lockout_signal_of_axes_is_recorded(db: None) -> None:
    if not apps.is_installed("axes"):
        pytest.skip("django-axes is not installed in INSTALLED_APPS")

    signals.user_locked_out.send(
        sender="axes", request=_request(), username="clerk", ip_address="10.7.7.7"
    )
    event = _last("lockout")
    assert (event.address, event.result, event.detail) == (
        "10.7.7.7",
        "denied",
        {"username": "clerk"},
    )


def test_two_factor_devices_added_and_removed_are_recorded(db: None) -> None:
    if not apps.is_installed("django_otp.plugins.otp_totp"):
        pytest.skip("django-otp's TOTP plugin is not installed")

    user = UserFactory.create(username="leader")
    with audit.acting_as(user=user):
        device = TOTPDevice.objects.create(user=user, name="phone")
        device.delete()
    added, removed = _last("otp_device_added"), _last("otp_device_removed")
    assert (added.object_id, added.actor_id) == (str(user.pk), user.pk)
    assert removed.detail["device"] == "otp_totp.totpdevice"


def test_role_and_permission_changes_are_security_events(db: None) -> None:
    admin = UserFactory.create(username="secadmin", role=Role.SECURITY_ADMIN)
    user = UserFactory.create(username="clerk", role=Role.INSPECTOR)
    with audit.acting_as(user=admin):
        user.role = Role.CITY_OFFICE
        user.city = CityFactory.create()
        user.save()
        type(user).objects.filter(pk=user.pk).update(is_active=False)  # a bulk change too
        user.display_name = "张三"  # not a security field
        user.save(update_fields=["display_name"])
    events = list(
        SecurityEvent.objects.filter(kind="role_changed", object_id=str(user.pk)).order_by("seq")
    )
    # The account's creation with its role, then each change of a security field.
    assert events[0].detail["action"] == "create"
    assert events[0].detail["changes"]["role"] == [None, "inspector"]
    events = events[1:]
    assert [e.detail["changes"] for e in events] == [
        {"role": ["inspector", "city_office"]},
        {"is_active": [True, False]},
    ]
    assert {e.actor_label for e in events} == {"user:secadmin"}


def test_configuration_changes_are_security_events(db: None) -> None:
    with audit.acting_as(label="command:test"):
        ConfigValue.objects.create(key="audit.retention_days", value="365")
    event = _last("config_changed")
    assert event.actor_label == "command:test"
    assert event.detail["changes"]["value"] == [None, "365"]


def test_exports_are_recorded_at_start_and_end(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    auditor = UserFactory.create(username="auditor", role=Role.AUDIT_ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_start(owner=auditor, kind="arrears.audit_export", params={"filters": {}})
    job.refresh_from_db()
    assert job.state == JobState.DONE
    states = [
        (e.detail["state"], e.result)
        for e in SecurityEvent.objects.filter(kind="export").order_by("seq")
    ]
    assert states == [("queued", "success"), ("done", "success")]
    assert _last("export").actor_id == auditor.pk


def test_reveals_are_recorded_allowed_or_refused(db: None) -> None:
    # (the office, and so its city, first: a complaint no rule places is the one city's)
    office = UserFactory.create(username="office", city_office=True)
    complaint = services.complaint_create(data=complaint_data(), channel="web_form")
    with pytest.raises(PermissionDenied):
        services.complaint_reveal(
            complaint=complaint, user=office, field="complainant_phone", ip="10.0.0.8"
        )
    office.user_permissions.add(Permission.objects.get(codename="reveal_personal_data"))
    office = type(office).objects.get(pk=office.pk)
    services.complaint_reveal(
        complaint=complaint, user=office, field="complainant_phone", ip="10.0.0.8"
    )
    events = list(SecurityEvent.objects.filter(kind="reveal").order_by("seq"))
    assert [(e.result, e.address, e.object_id) for e in events] == [
        ("denied", "10.0.0.8", str(complaint.pk)),
        ("success", "10.0.0.8", str(complaint.pk)),
    ]
    assert events[1].detail == {"field": "complainant_phone"}


def test_a_refused_api_key_is_recorded_without_its_secret(db: None) -> None:
    client = APIClient(REMOTE_ADDR="10.3.3.3")
    client.credentials(HTTP_AUTHORIZATION="Api-Key ak_deadbeef_not-the-right-secret")
    assert client.post("/api/v1/referrals/", {}, format="json").status_code == 401
    event = _last("api_key_failed")
    assert (event.address, event.result, event.detail["prefix"]) == (
        "10.3.3.3",
        "failure",
        "deadbeef",
    )
    assert "not-the-right-secret" not in json.dumps(event.detail)


def test_timeline_entries_and_complaint_events_are_in_the_change_trail(db: None) -> None:
    complaint = services.complaint_create(data=complaint_data(), channel="web_form")
    event = ComplaintEvent.objects.filter(complaint=complaint).first()
    assert event is not None
    assert AuditEvent.objects.filter(
        content_type__model="complaintevent", object_id=str(event.pk), action="create"
    ).exists()

    assert issubclass(CaseEntry, audit.AuditedModel)


# --- the chain ---------------------------------------------------------------------------


def _write_some(n: int = 5) -> list[County]:
    with audit.acting_as(label="test"):
        counties = [CountyFactory.create() for _ in range(n)]
        audit.security_event(kind="login", result="success", address="10.0.0.1")
    return counties


def test_the_chain_verifies_and_numbers_without_gaps(db: None) -> None:
    _write_some()
    County.objects.update(sort_order=7)  # a bulk update: one batch, one lock
    report = chain.verify()
    assert report.ok, report.problems
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.parametrize("algo", ["sm3", "sha256"])
def test_both_macs_work(db: None, settings: Any, algo: str) -> None:
    settings.AUDIT_HMAC_ALGORITHM = algo
    _write_some(2)
    assert chain.verify().ok
    settings.AUDIT_HMAC_KEY = "another-key-entirely-another-key"
    assert not chain.verify().ok


def test_chain_existing_rows_as_the_migration_does(db: None) -> None:
    _write_some(3)
    # Rows of before the chain, as the migration finds them (before the trigger exists):
    # renumbered from 1 by id.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE arrears_auditevent DISABLE TRIGGER USER")
        assert chain.chain_existing(AuditEvent, "default") == AuditEvent.objects.count()
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE arrears_auditevent ENABLE TRIGGER USER")
    assert chain.verify().ok


def _dba(sql: str, params: list[Any]) -> None:
    """What a database superuser can do: switch the trigger off, write, switch it on."""
    with connection.cursor() as cursor:
        # The test's transaction still holds deferred foreign-key checks; ALTER TABLE needs
        # them run first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE arrears_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE arrears_auditevent ENABLE TRIGGER USER")


@pytest.mark.postgres
def test_the_trigger_refuses_update_and_delete(db: None) -> None:
    _write_some(1)
    for sql in (
        "UPDATE arrears_auditevent SET object_repr = 'x'",
        "DELETE FROM arrears_auditevent",
        "UPDATE arrears_securityevent SET result = 'success'",
        "DELETE FROM arrears_securityevent",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    # The ORM's delete too (and thus the admin's).
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()


@pytest.mark.postgres
def test_verify_finds_an_edited_and_a_deleted_record(db: None, capsys: Any) -> None:
    _write_some(6)
    edited, removed = AuditEvent.objects.order_by("seq").values_list("seq", flat=True)[2:4]
    _dba(
        "UPDATE arrears_auditevent SET object_repr = 'forged' WHERE seq = %s",
        [edited],
    )
    _dba("DELETE FROM arrears_auditevent WHERE seq = %s", [removed])
    with pytest.raises(CommandError) as failed:
        call_command("audit_verify", "--no-alert")
    assert failed.value.returncode == 1
    out = capsys.readouterr().out
    assert f"arrears_auditevent seq {edited}: changed" in out
    assert f"arrears_auditevent seq {removed}: removed" in out
    row = AuditVerification.objects.get()
    assert not row.ok and {p["kind"] for p in row.problems} == {"changed", "removed"}


@pytest.mark.postgres
def test_rows_cut_off_the_end_are_found_against_the_last_verification(db: None) -> None:
    _write_some(4)
    assert maintenance.audit_verify_record(alert=False).ok
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[0]
    _dba("DELETE FROM arrears_auditevent WHERE seq >= %s", [last - 1])
    row = maintenance.audit_verify_record(alert=False)
    assert not row.ok and row.problems[0]["kind"] == "truncated"


def test_a_failed_verification_alerts_the_administrators(db: None) -> None:
    auditor = UserFactory.create(role=Role.AUDIT_ADMIN)
    _write_some(2)
    if connection.vendor == "postgresql":
        _dba("UPDATE arrears_auditevent SET object_repr = 'forged' WHERE seq = 1", [])
    else:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE arrears_auditevent SET object_repr = 'forged' WHERE seq = 1")
    assert not maintenance.audit_verify_record().ok
    assert Notification.objects.filter(recipient=auditor, kind="audit.chain_broken").exists()


# --- retention and archive ---------------------------------------------------------------


def test_archive_refuses_records_inside_the_retention(db: None, tmp_path: Path) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, tzinfo=SHANGHAI), tick=False):
        _write_some(2)
        with pytest.raises(CommandError, match="180"):
            call_command(
                "audit_archive", "--before", "2026-02-01", "--to", str(tmp_path / "a.jsonl.gz")
            )
    assert not (tmp_path / "a.jsonl.gz").exists()
    assert chain.verify().ok


def test_retention_cannot_be_configured_below_six_months() -> None:
    with pytest.raises(Exception, match="180"):
        config.REGISTRY["audit.retention_days"].parse("90")


def test_archive_writes_a_verifiable_file_and_keeps_the_chain(db: None, tmp_path: Path) -> None:
    # given records from January and from September
    with time_machine.travel(dt.datetime(2026, 1, 10, 9, tzinfo=SHANGHAI), tick=False):
        old = _write_some(3)
    with time_machine.travel(dt.datetime(2026, 9, 1, 9, tzinfo=SHANGHAI), tick=False):
        _write_some(2)
        young = AuditEvent.objects.filter(occurred_at__gte=dt.datetime(2026, 9, 1, tzinfo=dt.UTC))
        kept = young.count()
        target = tmp_path / "audit-2026-01.jsonl.gz"
        # when: everything before February (more than 180 days ago) is archived
        call_command("audit_archive", "--before", "2026-02-01", "--to", str(target))
        # then the old rows are in the file, verifiably, and gone from the database
        assert maintenance.verify_archive(target).ok
        call_command("audit_verify", "--archive", str(target))
        with gzip.open(target, "rt") as lines:
            text = lines.read()
        assert all(c.name in text for c in old)
        assert AuditEvent.objects.count() == kept
        assert not AuditEvent.objects.filter(occurred_at__lt=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
        # and the chain in the database now starts at the archive's anchor
        report = chain.verify()
        assert report.ok, report.problems
        assert _last("audit_archived").detail["file"] == str(target)


def test_an_edited_archive_file_does_not_verify(db: None, tmp_path: Path) -> None:
    with time_machine.travel(dt.datetime(2026, 1, 10, 9, tzinfo=SHANGHAI), tick=False):
        _write_some(2)
    with time_machine.travel(dt.datetime(2026, 9, 1, 9, tzinfo=SHANGHAI), tick=False):
        target = tmp_path / "a.jsonl.gz"
        maintenance.audit_archive(before=dt.date(2026, 2, 1), to=target)
    with gzip.open(target, "rt") as lines:
        text = lines.read()
    with gzip.open(target, "wt") as out:
        out.write(
            text.replace('"action":"create"', '"action":"delete"', 1).replace(
                '"action": "create"', '"action": "delete"', 1
            )
        )
    assert not maintenance.verify_archive(target).ok


# --- the audit page ----------------------------------------------------------------------


@pytest.fixture
def auditor(db: None) -> Any:
    return UserFactory.create(username="auditor", role=Role.AUDIT_ADMIN)


def test_the_audit_page_is_404_for_everyone_but_the_auditor(db: None, auditor: Any) -> None:
    for role in (Role.CITY_OFFICE, Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.INSPECTOR):
        web = Client()
        web.force_login(UserFactory.create(role=role, is_staff=True))
        assert web.get("/audit/").status_code == 404
        assert web.post("/audit/export/").status_code == 404
    web = Client()
    web.force_login(auditor)
    assert web.get("/audit/").status_code == 200


def test_a_superuser_may_look_and_is_recorded(db: None) -> None:
    root = UserFactory.create(username="root", is_superuser=True, is_staff=True)
    web = Client()
    web.force_login(root)
    assert web.get("/audit/").status_code == 200
    assert _last("audit_viewed").actor_id == root.pk


def test_the_audit_page_filters(db: None, auditor: Any) -> None:
    audit.security_event(kind="login", result="success", address="10.0.0.1", actor_label="a:x")
    audit.security_event(kind="login_failed", result="failure", address="10.9.9.9")
    with time_machine.travel(dt.datetime(2026, 1, 5, 9, tzinfo=SHANGHAI), tick=False):
        audit.security_event(kind="login_failed", result="failure", address="10.9.9.8")
    web = Client()
    web.force_login(auditor)
    page = web.get("/audit/", {"kind": "login_failed", "address": "10.9.9"})
    rows = page.context["page"].object_list
    assert {e.address for e in rows} == {"10.9.9.9", "10.9.9.8"}
    page = web.get(
        "/audit/", {"kind": "login_failed", "since": "2026-01-05", "until": "2026-01-05"}
    )
    assert [e.address for e in page.context["page"].object_list] == ["10.9.9.8"]
    page = web.get("/audit/", {"result": "success", "actor": "a:x"})
    assert [e.address for e in page.context["page"].object_list] == ["10.0.0.1"]
    changes = web.get("/audit/", {"trail": "changes", "kind": "create"})
    assert changes.status_code == 200
    assert 'data-testid="audit-verification"' in page.content.decode()


def test_the_audit_export_is_a_job_with_the_pages_rows(
    db: None, auditor: Any, django_capture_on_commit_callbacks: Any
) -> None:
    audit.security_event(kind="login_failed", result="failure", address="10.9.9.9")
    audit.security_event(kind="login", result="success", address="10.0.0.1")
    web = Client()
    web.force_login(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post("/audit/export/", {"kind": "login_failed"})
    assert response.status_code == 302
    job = Job.objects.get(kind="arrears.audit_export")
    assert (job.owner, job.state) == (auditor, JobState.DONE)
    text = job.result.open("rb").read().decode("utf-8-sig")
    assert "10.9.9.9" in text and "10.0.0.1" not in text
    assert _last("audit_exported").actor_id == auditor.pk
