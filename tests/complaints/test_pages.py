"""The intake pages: public form and tracking (no login, rate-limited), duty entry, inbox
actions, reveal."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.timezone import localtime
from rest_framework.test import APIClient

from complaints.models import Complaint, RevealLog
from tests.complaints.conftest import City

FORM = {
    "complainant_name": "王五",
    "complainant_phone": "13912345678",
    "complainant_id_number": "",
    "employer_name": "某某劳务有限公司",
    "employer_credit_code": "",
    "project_name": "东湖花园二期",
    "project_address": "",
    "county_code": "",
    "workers_owed": "3",
    "amount_owed": "15000.50",
    "period_start": "2026-08-01",
    "period_end": "2026-10-31",
    "facts": "三个月工资没发。",
    "request": "",
}


def _tracking(html: str) -> str:
    match = re.search(r'data-testid="tracking-no">([A-Z0-9-]+)<', html)
    assert match, html
    return match.group(1)


def test_public_form_files_a_complaint_and_tracking_finds_it(city: City) -> None:
    web = Client()
    evidence = SimpleUploadedFile("考勤.jpg", b"\xff\xd8\xff\xe0 fake jpeg", "image/jpeg")
    response = web.post("/complain/", {**FORM, "evidence": [evidence]})
    assert response.status_code == 302 and response["Location"] == "/complain/done/"
    response = web.get("/complain/done/")
    tracking = _tracking(response.content.decode())
    complaint = Complaint.objects.get()
    assert complaint.channel == "web_form"
    assert complaint.project == city.project  # matched by name → routed to 东湖 housing
    assert complaint.attachments.count() == 1
    # tracking: number (any case, with or without the dash) + last four digits
    found = web.post(
        "/track/", {"tracking_no": tracking.lower().replace("-", ""), "phone_last4": "5678"}
    )
    html = found.content.decode()
    assert 'data-testid="track-result"' in html
    assert city.a_housing.name in html
    # nothing personal on the public page
    assert "王五" not in html and "13912345678" not in html and "15000" not in html


def test_wrong_phone_and_unknown_number_answer_alike(city: City) -> None:
    web = Client()
    tracking = _tracking(web.post("/complain/", FORM, follow=True).content.decode())
    wrong = web.post("/track/", {"tracking_no": tracking, "phone_last4": "0000"})
    unknown = web.post("/track/", {"tracking_no": "ZZZZZ-ZZZZZ", "phone_last4": "5678"})
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert 'data-testid="not-found"' in response.content.decode()
        assert 'data-testid="track-result"' not in response.content.decode()


def test_tracking_is_rate_limited_per_address(city: City) -> None:
    web = Client()
    codes = [
        web.post(
            "/track/", {"tracking_no": "ZZZZZZZZZZ", "phone_last4": "1234"}, REMOTE_ADDR="10.1.1.1"
        ).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [200] * 10 and codes[10] == 429
    other = web.post(
        "/track/", {"tracking_no": "ZZZZZZZZZZ", "phone_last4": "1234"}, REMOTE_ADDR="10.1.1.2"
    )
    assert other.status_code == 200


def test_public_form_is_rate_limited(city: City) -> None:
    web = Client()
    codes = [
        web.post(
            "/complain/", {**FORM, "complainant_phone": f"1391234{i:04d}"}, REMOTE_ADDR="10.2.2.2"
        ).status_code
        for i in range(6)
    ]
    assert codes == [302] * 5 + [429]  # filed: redirected to the confirmation
    assert Complaint.objects.count() == 5


def test_public_form_shows_field_errors_and_saves_nothing(city: City) -> None:
    response = Client().post(
        "/complain/", {**FORM, "complainant_id_number": "110105194912310021", "workers_owed": "0"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="error-workers_owed"' in html
    assert Complaint.objects.count() == 0
    response = Client().post("/complain/", {**FORM, "complainant_id_number": "110105194912310021"})
    html = response.content.decode()
    assert 'data-testid="error-complainant_id_number"' in html and "校验位" in html
    assert Complaint.objects.count() == 0


def test_duty_officer_entry_records_the_receiving_officer(city: City) -> None:
    duty = Client()
    duty.force_login(city.duty)
    response = duty.post(
        "/intake/new/",
        {
            **FORM,
            "channel": "duty_phone",
            "complainant_address": "",
            "employer_address": "",
            "received_at": "2026-11-27T21:30",
        },
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.channel, complaint.received_by) == ("duty_phone", city.duty)
    assert localtime(complaint.received_at).isoformat() == "2026-11-27T21:30:00+08:00"


def test_inbox_sign_and_return_through_pages(city: City) -> None:
    web = Client()
    web.post("/complain/", FORM)
    web.post("/complain/", {**FORM, "complainant_phone": "13900000002"})
    first, second = Complaint.objects.order_by("pk")
    inspector = Client()
    inspector.force_login(city.housing_a)
    inbox = inspector.get("/intake/inbox/").content.decode()
    assert first.tracking_no in inbox and second.tracking_no in inbox
    inspector.post(f"/complaints/{first.tracking_no}/sign/")
    inspector.post(f"/complaints/{second.tracking_no}/return/", {"reason": "非住建领域"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "signed" and second.status == "pending_dispatch"
    office = Client()
    office.force_login(city.office)
    assert second.tracking_no in office.get("/intake/dispatch/").content.decode()
    office.post(f"/complaints/{second.tracking_no}/dispatch/", {"department": city.a_hrss.pk})
    second.refresh_from_db()
    assert (second.status, second.department) == ("pending_signature", city.a_hrss)


def test_pages_mask_identifiers_and_reveal_is_logged(city: City) -> None:
    Client().post("/complain/", {**FORM, "complainant_id_number": "11010519491231002X"})
    complaint = Complaint.objects.get()
    inspector = Client()
    inspector.force_login(city.housing_a)
    html = inspector.get(f"/complaints/{complaint.tracking_no}/").content.decode()
    assert "139****5678" in html and "13912345678" not in html
    assert "110105********002X" in html and "11010519491231002X" not in html
    # without the permission, no reveal: refused with the reason on the complaint's page
    refused = inspector.post(
        f"/complaints/{complaint.tracking_no}/reveal/", {"field": "complainant_phone"}, follow=True
    )
    assert refused.status_code == 200 and "您没有查看完整个人信息的权限" in refused.content.decode()
    assert "13912345678" not in refused.content.decode() and not RevealLog.objects.exists()
    city.housing_a.user_permissions.add(Permission.objects.get(codename="reveal_personal_data"))
    response = inspector.post(
        f"/complaints/{complaint.tracking_no}/reveal/", {"field": "complainant_phone"}, follow=True
    )
    assert "13912345678" in response.content.decode()
    assert RevealLog.objects.filter(user=city.housing_a, field="complainant_phone").count() == 1
    # shown once: the next view is masked again
    html = inspector.get(f"/complaints/{complaint.tracking_no}/").content.decode()
    assert "13912345678" not in html


def test_api_lists_mask_identifiers(city: City) -> None:
    Client().post("/complain/", {**FORM, "complainant_id_number": "11010519491231002X"})
    api = APIClient()
    api.force_authenticate(city.official_a)
    row = api.get("/api/v1/complaints/").json()["results"][0]
    assert row["complainant_phone"] == "139****5678"
    assert row["complainant_id_number"] == "110105********002X"


def test_inbox_filters_and_signs_from_the_list(city: City) -> None:
    web = Client()
    web.post("/complain/", FORM)
    web.post("/complain/", {**FORM, "complainant_phone": "13900000002", "employer_name": "另一家"})
    inspector = Client()
    inspector.force_login(city.housing_a)
    first, second = Complaint.objects.order_by("pk")
    filtered = inspector.get("/intake/inbox/", {"employer": "另一家"}).content.decode()
    assert f'row-{second.tracking_no}"' in filtered
    assert f'row-{first.tracking_no}"' not in filtered
    response = inspector.post(
        f"/complaints/{second.tracking_no}/sign/", {"next": "/intake/inbox/?employer=另一家"}
    )
    assert unquote(response["Location"]) == "/intake/inbox/?employer=另一家"
    second.refresh_from_db()
    assert second.status == "signed"
    # an outside "next" is ignored
    response = inspector.post(f"/complaints/{first.tracking_no}/sign/", {"next": "//evil.example/"})
    assert response["Location"] == f"/complaints/{first.tracking_no}/"


def test_typos_do_not_use_up_the_allowance_and_proxies_are_seen_through(
    city: City, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    web = Client()
    # five people behind the same intranet proxy, each with a typo first
    for i in range(5):
        citizen = f"10.9.0.{i}"
        bad = web.post(
            "/complain/",
            {**FORM, "workers_owed": "0"},
            HTTP_X_FORWARDED_FOR=citizen,
            REMOTE_ADDR="10.0.0.1",
        )
        assert bad.status_code == 200
        good = web.post(
            "/complain/",
            {**FORM, "complainant_phone": f"1391111{i:04d}"},
            HTTP_X_FORWARDED_FOR=citizen,
            REMOTE_ADDR="10.0.0.1",
        )
        assert good.status_code == 302  # filed: on to the confirmation
    # a forged left-most entry does not buy a new allowance: the proxy's entry counts
    for i in range(5):
        web.post(
            "/complain/",
            {**FORM, "complainant_phone": f"1392222{i:04d}"},
            HTTP_X_FORWARDED_FOR=f"1.2.3.{i}, 10.9.0.99",
            REMOTE_ADDR="10.0.0.1",
        )
    blocked = web.post(
        "/complain/",
        {**FORM, "complainant_phone": "13933330000"},
        HTTP_X_FORWARDED_FOR="8.8.8.8, 10.9.0.99",
        REMOTE_ADDR="10.0.0.1",
    )
    assert blocked.status_code == 429


def test_far_past_dates_on_pages_are_errors_not_500(city: City) -> None:
    duty = Client()
    duty.force_login(city.duty)
    response = duty.post(
        "/intake/new/",
        {
            **FORM,
            "channel": "duty_phone",
            "complainant_address": "",
            "employer_address": "",
            "received_at": "0001-01-02T00:00",
        },
    )
    assert response.status_code == 200
    assert 'data-testid="form-errors"' in response.content.decode()
    for url in ("/intake/inbox/", "/intake/dispatch/"):
        assert duty.get(url, {"received_after": "0001-01-01"}).status_code == 200
    assert Client().post("/complain/", {**FORM, "period_start": "0001-01-01"}).status_code == 200
    assert Complaint.objects.count() == 0
