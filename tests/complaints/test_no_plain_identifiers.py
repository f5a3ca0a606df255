"""The database dump holds no plain ID or phone number (issue 12, PIPL): complaints, users and
employers written through the services and the public form, reveals, duplicate detection, an
SMS copy and an export job, then `pg_dump` of the whole test database — tables, the audit
trail, timelines, sessions — and the log output of all of it."""

from __future__ import annotations

import logging
import os
import subprocess

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.utils import timezone

from arrears import services as arrears_services
from arrears.models import Job, JobState, MessageDelivery
from complaints.intake import selectors, services
from complaints.models import Channel, Complaint, DuplicateLink, RevealLog
from projects.models import Employer
from tests.complaints.conftest import City, complaint_data
from tests.complaints.test_pages import FORM
from tests.factories import UserFactory

# Valid numbers found nowhere else in the test database.
WORKER_ID = "320102198803151232"
WORKER_PHONE = "13912873465"
PUBLIC_ID_17 = "44030519920704567"  # the check character is computed
PUBLIC_PHONE = "15820736491"
STAFF_PHONE = "18676543219"
EMPLOYER_PHONE = "0571-86543219"
EMPLOYER_MOBILE = "13687650123"


def _valid_id(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def _forms(value: str) -> set[str]:
    """The number as stored before, digits only, and spaced as people write it."""
    digits = "".join(ch for ch in value if ch.isdigit())
    forms = {value, digits}
    if len(digits) == 11 and digits.startswith("1"):
        forms.add(f"{digits[:3]} {digits[3:7]} {digits[7:]}")
        forms.add(f"{digits[:3]}-{digits[3:7]}-{digits[7:]}")
    return forms


def _dump() -> str:
    settings = connection.settings_dict
    command = ["pg_dump", "--no-owner", "--dbname", settings["NAME"]]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings.get(key):
            command += [option, str(settings[key])]
    env = {**os.environ, "PGPASSWORD": str(settings.get("PASSWORD") or "")}
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)  # noqa: S603
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.postgres
# "stream": the export job reads its rows on a connection of its own (arrears/streaming.py).
@pytest.mark.django_db(transaction=True, databases=["default", "stream"])
def test_a_database_dump_has_no_plain_identifier(
    city: City, caplog: pytest.LogCaptureFixture
) -> None:
    public_id = _valid_id(PUBLIC_ID_17)
    caplog.set_level(logging.DEBUG)
    # given: a complaint through the service, a repeat of it (duplicate detection), one
    # through the public form, a user and employers with phones
    first = services.complaint_create(
        data=complaint_data(
            complainant_phone=WORKER_PHONE,
            complainant_id_number=WORKER_ID,
            employer_phone=EMPLOYER_PHONE,
            county_code="369902",
            industry_code="housing",
        ),
        channel=Channel.SERVICE_WINDOW,
        received_by=city.duty,
    )
    repeat = services.complaint_create(
        data=complaint_data(
            complainant_phone=f"+86 {WORKER_PHONE[:3]} {WORKER_PHONE[3:7]} {WORKER_PHONE[7:]}",
            complainant_id_number=WORKER_ID,
            employer_name="另一家劳务公司",
            employer_credit_code="",
            county_code="369902",
            industry_code="housing",
        ),
        channel=Channel.HOTLINE_12345,
    )
    assert DuplicateLink.objects.filter(complaint=repeat, duplicate_of=first).exists()
    response = Client().post(
        "/complain/",
        {**FORM, "complainant_phone": PUBLIC_PHONE, "complainant_id_number": public_id},
    )
    assert response.status_code == 302
    public = Complaint.objects.exclude(pk__in=[first.pk, repeat.pk]).get()
    staff = UserFactory.create(phone=STAFF_PHONE, email="staff@example.org")
    Employer.objects.create(
        name="江城劳务有限公司", credit_code="91440300MA5F2J8R1B", phone=EMPLOYER_MOBILE
    )
    # an SMS copy of a notification (its address is the user's phone)
    arrears_services.notification_send(recipients=[staff], kind="test", title="测试", sms=True)
    assert MessageDelivery.objects.filter(channel="sms").exists()
    # reveals, through the service and through the page (the session holds no number)
    inspector = city.housing_a
    inspector.user_permissions.add(Permission.objects.get(codename="reveal_personal_data"))
    inspector = type(inspector).objects.get(pk=inspector.pk)
    for field in ("complainant_phone", "complainant_id_number"):
        value = services.complaint_reveal(complaint=first, user=inspector, field=field)
        assert value in (WORKER_PHONE, WORKER_ID)
    page = Client()
    page.force_login(inspector)
    page.post(f"/complaints/{first.tracking_no}/reveal/", {"field": "complainant_phone"})
    assert RevealLog.objects.count() == 3
    # search, tracking, and a complaint export run as a background job
    found = selectors.complaints_of_person(user=city.office, identifier=public_id)
    assert list(found) == [public]
    assert selectors.track(tracking_no=public.tracking_no, phone_last4=PUBLIC_PHONE[-4:])
    arrears_services.config_set(key="jobs.inline_rows", value=0)
    office = Client()
    office.force_login(city.office)
    month = timezone.localdate().strftime("%Y-%m")
    exported = office.get(f"/reports/rows.csv?subset=received&period={month}")
    assert exported.status_code == 302
    job = Job.objects.latest("pk")
    assert job.state == JobState.DONE, job.error
    download = office.get(f"/jobs/{job.pk}/download/")
    exported_file = b"".join(download.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert public.tracking_no[:5] in exported_file.replace("-", "")

    # when
    dump = _dump()

    # then: the rows are there, encrypted, and no form of any number anywhere
    assert "complaints_complaint" in dump and "enc1$dev$" in dump
    numbers = [
        WORKER_ID,
        WORKER_PHONE,
        public_id,
        PUBLIC_PHONE,
        STAFF_PHONE,
        EMPLOYER_PHONE,
        EMPLOYER_MOBILE,
    ]
    for number in numbers:
        for form in _forms(number):
            assert form not in dump, f"{form} in the database dump"
            assert form not in caplog.text, f"{form} in the log output"
            assert form not in exported_file, f"{form} in the export"
    # and the masked forms are where they belong: the audit trail
    assert f"{WORKER_PHONE[:3]}****{WORKER_PHONE[-4:]}" in dump
