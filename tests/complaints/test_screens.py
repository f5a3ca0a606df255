"""The intake screens as each role meets them: only the actions a user may take are offered
(and a refused one says why on the page), routing explained in words in both languages, the
duty officer's entry form, the public form reporting every error at once."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from arrears.models import Role
from complaints.intake import explain
from complaints.intake.forms import ComplaintForm, StaffComplaintForm
from complaints.intake.services import complaint_create
from complaints.models import Complaint, ComplaintEvent, EventKind
from tests.complaints.conftest import City, complaint_data
from tests.factories import UserFactory

# The codes the services store; none of them may reach a reader.
RAW_CODES = re.compile(
    r"\b(address|project_address|employer_address|complainant_address|county|dispatch|"
    r"employer_name|employer_credit_code|complainant_phone|project|custom)\b"
)


def _visible_text(html: str) -> str:
    """The page's text as a reader sees it: no tags, attributes, scripts or styles."""
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def _client(user: Any, language: str = "zh-hans") -> Client:
    web = Client(headers={"accept-language": language})
    web.force_login(user)
    return web


def _complaint(**overrides: Any) -> Complaint:
    return complaint_create(data=complaint_data(**overrides), channel="web_form")


# --- Only the actions a user may take ------------------------------------------------------


def test_duty_officer_is_not_offered_signing_and_a_post_is_refused_in_words(
    city: City,
) -> None:
    # given a complaint waiting for the 东湖 human-resources unit, which the duty officer
    # (city human-resources staff) may see but not sign for
    complaint = _complaint(county_code="369902")
    assert complaint.department == city.a_hrss
    duty = _client(city.duty)
    # when
    page = duty.get(f"/complaints/{complaint.tracking_no}/").content.decode()
    # then
    assert 'data-testid="sign"' not in page and 'data-testid="return"' not in page
    refused = duty.post(f"/complaints/{complaint.tracking_no}/sign/", follow=True)
    assert refused.status_code == 200
    assert "只有承办单位的工作人员可以签收" in refused.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == "pending_signature"


def test_the_receiving_unit_is_offered_sign_and_return(city: City) -> None:
    complaint = _complaint(county_code="369902")
    page = _client(city.hrss_a).get(f"/complaints/{complaint.tracking_no}/").content.decode()
    assert 'data-testid="sign"' in page and 'data-testid="return"' in page
    assert 'data-testid="dispatch"' not in page


def test_dispatch_is_offered_to_the_city_office_only_while_in_the_queue(
    city: City,
) -> None:
    queued = _complaint()  # no county, no project, no address: the dispatch queue
    assert queued.status == "pending_dispatch"
    office = _client(city.office).get(f"/complaints/{queued.tracking_no}/").content.decode()
    assert 'data-testid="dispatch"' in office and 'data-testid="sign"' not in office
    routed = _complaint(county_code="369902", complainant_phone="13900000009")
    office = _client(city.office).get(f"/complaints/{routed.tracking_no}/").content.decode()
    assert 'data-testid="dispatch"' not in office


def test_duplicate_decisions_only_for_those_who_may_decide(city: City) -> None:
    _complaint(county_code="369902")
    second = _complaint(county_code="369902")  # same employer and phone: flagged
    clerk = UserFactory.create(role=Role.DUTY_OFFICER, county=city.a, department=city.a_hrss)
    url = f"/complaints/{second.tracking_no}/"
    assert 'data-testid="merge"' in _client(city.hrss_a).get(url).content.decode()
    assert 'data-testid="merge"' not in _client(clerk).get(url).content.decode()


def test_project_page_offers_inspection_only_to_inspecting_roles(city: City) -> None:
    city.project.department = city.a_housing
    city.project.save(update_fields=["department"])
    url = f"/projects/{city.project.pk}/"
    inspector = _client(city.housing_a).get(url).content.decode()
    official = _client(city.official_a).get(url).content.decode()
    assert (
        'data-testid="inspection-new"' in inspector and 'data-testid="checklist-form"' in inspector
    )
    assert 'data-testid="inspection-new"' not in official
    assert 'data-testid="checklist-form"' not in official
    # a typed link answers on the project page with the reason, not an error page
    refused = _client(city.official_a).get(f"{url}inspections/new/", follow=True)
    assert (
        refused.status_code == 200
        and "只有监察员和主管部门可以登记检查" in refused.content.decode()
    )


# --- Routing in words ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"county_code": "369902"}, "按投诉所填县（区）确定为东湖区"),
        ({"project_name": "东湖花园二期"}, "按登记项目匹配到东湖区"),
        ({"project_address": "西江区滨江路1号"}, "按项目地址匹配到西江区"),
        ({"employer_address": "东湖区某路"}, "按用人单位地址匹配到东湖区"),
        ({"complainant_address": "西江区某村"}, "按投诉人住址匹配到西江区"),
        ({}, "未能按所填县（区）、登记项目或地址确定属地"),
    ],
)
def test_routing_is_explained_in_words(city: City, overrides: dict[str, str], words: str) -> None:
    complaint = _complaint(**overrides)
    event = complaint.events.get(kind__in=[EventKind.ROUTED, EventKind.DISPATCH])
    with translation.override("zh-hans"):
        assert words in explain.event_note(event)
    with translation.override("en"):
        # "county" and "project" are English words: what must not show is the code itself
        # or a code with an underscore.
        english = explain.event_note(event)
        assert english and english != event.note
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", english)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_complaint_page_shows_no_raw_code_in_either_language(city: City, language: str) -> None:
    first = _complaint(project_address="东湖区湖滨路")
    second = _complaint(project_address="东湖区湖滨路")  # flagged as a possible duplicate
    # an event from before the address was told apart by whose it was
    ComplaintEvent.objects.filter(complaint=first, kind=EventKind.ROUTED).update(note="address")
    web = _client(city.office, language)
    for complaint in (first, second):
        page = web.get(f"/complaints/{complaint.tracking_no}/").content.decode()
        # In Chinese any Latin word is suspect; in English "project" is a word, so there the
        # timeline and the duplicate reasons (where the codes used to show) are checked.
        text = _visible_text(page)
        if language == "en":
            parts = re.findall(
                r'(?s)data-testid="(?:timeline|duplicate-reasons)">(.*?)</(?:ul|span)>', page
            )
            assert parts
            text = _visible_text(" ".join(parts))
        found = RAW_CODES.findall(text)
        assert not found, found
    page = web.get(f"/complaints/{second.tracking_no}/").content.decode()
    if language == "zh-hans":
        assert "被投诉单位名称相同" in page and "投诉人手机号码相同" in page
        assert "按项目地址匹配到东湖区" in page


def test_unknown_codes_are_not_shown_raw() -> None:
    assert explain.route_reason("somewhere_new") == str(explain.UNKNOWN_RULE)
    assert "x_y" not in explain.duplicate_reasons(["x_y"])


def test_period_not_given_reads_not_filled(city: City) -> None:
    complaint = _complaint(county_code="369902", period_start=None, period_end=None)
    page = _client(city.hrss_a).get(f"/complaints/{complaint.tracking_no}/").content.decode()
    period = re.search(r'data-testid="period">([^<]*)<', page)
    assert period and period.group(1) == "未填写"


# --- The duty officer's form ----------------------------------------------------------------


def test_staff_form_speaks_to_the_officer_and_defaults_the_time_to_now(
    city: City,
) -> None:
    page = _client(city.duty).get("/intake/new/").content.decode()
    assert "投诉人姓名" in page and "您的姓名" not in page
    value = re.search(r'name="received_at" value="([^"]+)"', page)
    assert value, "the call time has no default"
    shown = dt.datetime.fromisoformat(value.group(1))
    now = timezone.localtime().replace(tzinfo=None)  # Asia/Shanghai wall time
    assert abs((now - shown).total_seconds()) < 120
    # the complainant's address sits with the complainant, before anything about the employer
    order = [m for m in re.findall(r'name="([a-z_]+)"', page) if m != "csrfmiddlewaretoken"]
    assert order.index("complainant_address") == order.index("complainant_id_number") + 1
    assert order.index("complainant_address") < order.index("employer_name")


def test_staff_form_field_order_and_labels() -> None:
    form = StaffComplaintForm()
    names = [f.name for f in form.visible_fields()]
    assert names[:2] == ["channel", "received_at"]
    assert str(form.fields["complainant_name"].label) == "投诉人姓名"
    assert str(ComplaintForm().fields["complainant_name"].label) == "您的姓名"  # unchanged


# --- The public form --------------------------------------------------------------------------

PUBLIC = {
    "complainant_name": "王五",
    "complainant_phone": "13912345678",
    "employer_name": "某某劳务有限公司",
    "workers_owed": "3",
    "amount_owed": "15000",
    "facts": "三个月工资没发。",
}


def test_public_form_reports_every_error_in_one_submit(city: City) -> None:
    # an empty 情况说明 (the form's check) and a wrong ID check digit (the service's check)
    response = Client().post(
        "/complain/",
        {
            **PUBLIC,
            "facts": "",
            "complainant_id_number": "110105194912310021",
            "complainant_phone": "12345",
        },
    )
    html = response.content.decode()
    for field in ("facts", "complainant_id_number", "complainant_phone"):
        assert f'data-testid="error-{field}"' in html, field
        assert f'data-testid="summary-{field}"' in html, field
    # the folded section holding the ID number is open, so its error is not hidden
    assert re.search(r'<details[^>]*open[^>]*data-testid="section-4"', html)
    assert Complaint.objects.count() == 0


def test_public_form_asks_first_what_a_worker_knows(city: City) -> None:
    html = Client().get("/complain/").content.decode()
    order = re.findall(r'name="([a-z_]+)"', html)
    for early in ("complainant_name", "complainant_phone", "employer_name", "amount_owed"):
        assert order.index(early) < order.index("complainant_id_number")
    # the optional details are folded away until needed
    folded = re.search(r'(?s)<details(?![^>]*open)[^>]*data-testid="section-4".*?</details>', html)
    assert folded and 'name="complainant_id_number"' in folded.group(0)
    assert 'name="facts"' not in folded.group(0)
