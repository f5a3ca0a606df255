"""The intake service: validation, routing by each rule, sign/return/dispatch, duplicates,
masking and reveal logging."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from arrears.models import AuditEvent
from complaints.intake import duplicates
from complaints.intake import services as intake_services
from complaints.intake.services import TRACKING_ALPHABET
from complaints.models import (
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
    DuplicateLink,
    RevealLog,
    RoutingKeyword,
)
from projects.models import Employer
from tests.complaints.conftest import City, complaint_data
from tests.factories import UserFactory

# Reads the clock: also run on a year's last minute and the next one's first (make test-dates).
pytestmark = pytest.mark.dates


def _create(**overrides: Any) -> Complaint:
    return intake_services.complaint_create(data=complaint_data(**overrides), channel="web_form")


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"complainant_id_number": "11010519491231002Y"}, "complainant_id_number", "身份证"),
        ({"complainant_id_number": "110105194912310021"}, "complainant_id_number", "校验位"),
        ({"employer_credit_code": "914403001922038217"}, "employer_credit_code", "校验位"),
        ({"employer_credit_code": "91440300192203821I"}, "employer_credit_code", "非法字符"),
        ({"complainant_phone": "12812345678"}, "complainant_phone", ""),
        ({"complainant_phone": "12345"}, "complainant_phone", ""),
        ({"workers_owed": 0}, "workers_owed", "至少"),
        ({"amount_owed": Decimal("-1")}, "amount_owed", "负数"),
        ({"amount_owed": Decimal("1000000000")}, "amount_owed", "范围"),
        ({"amount_owed": "abc"}, "amount_owed", "金额"),
        ({"period_end": dt.date(2099, 1, 1)}, "period_end", "晚于今天"),
        (
            {"period_start": dt.date(2026, 9, 1), "period_end": dt.date(2026, 8, 1)},
            "period_end",
            "早于",
        ),
        ({"county_code": "999999"}, "county_code", "未知"),
        ({"employer_name": ""}, "employer_name", ""),
        ({"facts": ""}, "facts", ""),
    ],
)
def test_bad_input_is_refused_with_a_chinese_message_and_nothing_saved(
    city: City, overrides: dict[str, Any], field: str, fragment: str
) -> None:
    with pytest.raises(ValidationError) as info:
        _create(**overrides)
    errors = info.value.message_dict
    assert field in errors, errors
    assert fragment in " ".join(errors[field])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in " ".join(errors[field]))
    assert Complaint.objects.count() == 0
    assert ComplaintEvent.objects.count() == 0


def test_valid_complaint_gets_an_unguessable_tracking_number(city: City) -> None:
    numbers = {_create(complainant_phone=f"1391234{i:04d}").tracking_no for i in range(20)}
    assert len(numbers) == 20
    for number in numbers:
        assert len(number) == 10 and set(number) <= set(TRACKING_ALPHABET)


def test_identifiers_are_normalised(city: City) -> None:
    complaint = _create(
        complainant_phone="+86 138-1234-5678",
        complainant_id_number="11010519491231002x",
        employer_credit_code="9144030071526726xg",
    )
    assert complaint.complainant_phone == "13812345678"
    assert complaint.complainant_id_number == "11010519491231002X"
    assert complaint.employer_credit_code == "9144030071526726XG"


def test_evidence_files_are_checked_by_type_size_and_content(city: City) -> None:
    good = SimpleUploadedFile("合同.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    complaint = intake_services.complaint_create(
        data=complaint_data(), channel="web_form", files=[good]
    )
    assert [a.original_name for a in complaint.attachments.all()] == ["合同.pdf"]
    fake = SimpleUploadedFile("工资条.png", b"not a png", content_type="image/png")
    exe = SimpleUploadedFile("x.exe", b"MZ", content_type="application/octet-stream")
    for bad in (fake, exe):
        with pytest.raises(ValidationError) as info:
            intake_services.complaint_create(
                data=complaint_data(complainant_phone="13900000000"),
                channel="web_form",
                files=[bad],
            )
        assert "evidence" in info.value.message_dict
    assert Complaint.objects.count() == 1


# --- routing --------------------------------------------------------------------------------


def test_routing_by_explicit_county_and_industry(city: City) -> None:
    complaint = _create(county_code="369903", industry_code="transport")
    assert (complaint.county, complaint.department) == (city.b, city.b_transport)
    assert complaint.status == ComplaintStatus.PENDING_SIGNATURE
    assert complaint.responsible_department == city.b_transport


def test_routing_by_matched_project(city: City) -> None:
    complaint = _create(project_name="东湖花园二期")
    assert complaint.project == city.project
    assert (complaint.county, complaint.department) == (city.a, city.a_housing)


def test_routing_by_address_and_by_keyword_rule(city: City) -> None:
    by_name = _create(project_address="西江区滨江大道工地")
    assert (by_name.county, by_name.department) == (city.b, city.b_hrss)
    RoutingKeyword.objects.create(keyword="龙湾镇", county=city.a)
    by_rule = _create(project_address="龙湾镇安置房工地", complainant_phone="13900000001")
    assert by_rule.county == city.a


def test_unroutable_goes_to_the_dispatch_queue(city: City) -> None:
    complaint = _create(project_address="不知道在哪里")
    assert complaint.status == ComplaintStatus.PENDING_DISPATCH
    assert complaint.department is None
    kinds = list(complaint.events.values_list("kind", flat=True))
    assert kinds == ["received", "dispatch", "sms"]  # the complainant is texted the number


def test_ambiguous_address_is_not_guessed(city: City) -> None:
    complaint = _create(project_address="东湖区和西江区交界处")
    assert complaint.status == ComplaintStatus.PENDING_DISPATCH


# --- sign, return, dispatch ---------------------------------------------------------------


def test_sign_makes_the_unit_responsible(city: City) -> None:
    complaint = _create(county_code="369902", industry_code="housing")
    signed = intake_services.complaint_sign(complaint=complaint, user=city.housing_a)
    assert signed.status == ComplaintStatus.SIGNED
    assert signed.signed_by == city.housing_a
    with pytest.raises(ValidationError):
        intake_services.complaint_sign(complaint=complaint, user=city.housing_a)


def test_other_units_cannot_sign(city: City) -> None:
    complaint = _create(county_code="369902", industry_code="housing")
    with pytest.raises(PermissionDenied):
        intake_services.complaint_sign(complaint=complaint, user=city.hrss_a)
    with pytest.raises(PermissionDenied):
        intake_services.complaint_sign(complaint=complaint, user=city.official_b)


def test_return_needs_a_reason_and_keeps_the_first_unit_responsible(city: City) -> None:
    complaint = _create(county_code="369902", industry_code="housing")
    with pytest.raises(ValidationError):
        intake_services.complaint_return(complaint=complaint, user=city.housing_a, reason="  ")
    returned = intake_services.complaint_return(
        complaint=complaint, user=city.housing_a, reason="系统内无此项目，非本单位监管"
    )
    assert returned.status == ComplaintStatus.PENDING_DISPATCH
    assert returned.department is None
    assert returned.responsible_department == city.a_housing
    event = returned.events.get(kind="returned")
    assert (event.actor, event.note) == (city.housing_a, "系统内无此项目，非本单位监管")
    # the dispatcher sends it on; until the new unit signs, the first stays responsible
    with pytest.raises(PermissionDenied):
        intake_services.complaint_dispatch(
            complaint=returned, user=city.official_a, department=city.a_hrss
        )
    dispatched = intake_services.complaint_dispatch(
        complaint=returned, user=city.office, department=city.a_hrss
    )
    assert dispatched.responsible_department == city.a_housing
    signed = intake_services.complaint_sign(complaint=dispatched, user=city.hrss_a)
    assert signed.responsible_department == city.a_hrss
    kinds = list(signed.events.values_list("kind", flat=True))
    assert kinds == ["received", "routed", "sms", "returned", "routed", "signed", "sms"]


# --- duplicates -----------------------------------------------------------------------------


def test_same_employer_in_overlapping_period_is_flagged_and_can_be_merged(
    city: City,
) -> None:
    first = _create(county_code="369902", complainant_phone="13800000001")
    second = _create(
        county_code="369902",
        complainant_phone="13800000002",
        complainant_name="李四",
        period_start=dt.date(2026, 9, 1),
    )
    link = DuplicateLink.objects.get(complaint=second)
    assert link.duplicate_of == first
    assert set(link.reasons) == {"employer_credit_code", "employer_name"}
    duplicates.duplicate_merge(link=link, user=city.official_a)
    second.refresh_from_db()
    assert (second.status, second.merged_into) == (ComplaintStatus.MERGED, first)
    # both records and both channels are kept
    assert Complaint.objects.count() == 2
    with pytest.raises(ValidationError):
        duplicates.duplicate_merge(link=link, user=city.official_a)


def test_no_flag_for_other_periods_or_outside_the_window(city: City) -> None:
    _create(
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 3, 31),
        received_at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
    )
    _create(complainant_phone="13800000009")  # Jul–Sep 2026: no overlap with Jan–Mar 2025
    assert DuplicateLink.objects.count() == 0


def test_dismissed_flag_stays_dismissed(city: City) -> None:
    _create(county_code="369902")
    second = _create(county_code="369902")
    link = DuplicateLink.objects.get(complaint=second)
    duplicates.duplicate_dismiss(link=link, user=city.office)
    link.refresh_from_db()
    assert link.state == "dismissed"
    second.refresh_from_db()
    assert second.status == ComplaintStatus.PENDING_SIGNATURE


def test_merge_needs_both_in_scope(city: City) -> None:
    _create(county_code="369903")
    second = _create(county_code="369902")
    link = DuplicateLink.objects.get(complaint=second)
    with pytest.raises(PermissionDenied):
        duplicates.duplicate_merge(link=link, user=city.official_a)


# --- personal data --------------------------------------------------------------------------


def test_reveal_needs_permission_and_is_logged(city: City) -> None:
    complaint = _create(county_code="369902", industry_code="housing")
    inspector = city.housing_a
    with pytest.raises(PermissionDenied):
        intake_services.complaint_reveal(
            complaint=complaint, user=inspector, field="complainant_phone"
        )
    inspector.user_permissions.add(Permission.objects.get(codename="reveal_personal_data"))
    inspector = type(inspector).objects.get(pk=inspector.pk)  # drop the permission cache
    value = intake_services.complaint_reveal(
        complaint=complaint, user=inspector, field="complainant_id_number", ip="10.0.0.8"
    )
    assert value == "11010519491231002X"
    log = RevealLog.objects.get()
    assert (log.user, log.complaint, log.field, log.ip) == (
        inspector,
        complaint,
        "complainant_id_number",
        "10.0.0.8",
    )
    with pytest.raises(ValidationError):
        intake_services.complaint_reveal(complaint=complaint, user=inspector, field="facts")


def test_audit_trail_masks_the_complainant(city: City) -> None:
    complaint = _create()
    stored = str(
        list(
            AuditEvent.objects.filter(object_id=str(complaint.pk)).values_list("changes", flat=True)
        )
    )
    assert "13812345678" not in stored and "11010519491231002X" not in stored
    assert "138****5678" in stored


def test_only_the_receiving_unit_signs_or_returns(city: City) -> None:
    complaint = _create(county_code="369902", industry_code="housing")
    leader = UserFactory.create(role="city_leader")
    for user in (leader, city.official_a, city.office):  # all can see it
        with pytest.raises(PermissionDenied):
            intake_services.complaint_sign(complaint=complaint, user=user)
        with pytest.raises(PermissionDenied):
            intake_services.complaint_return(complaint=complaint, user=user, reason="x")
    # and leaders do not merge
    second = _create(county_code="369902", industry_code="housing")
    link = DuplicateLink.objects.get(complaint=second)
    with pytest.raises(PermissionDenied):
        duplicates.duplicate_merge(link=link, user=leader)


def test_merged_before_signing_joins_the_case_and_is_not_merged_twice(
    city: City,
) -> None:
    first = _create(county_code="369902", industry_code="housing", complainant_phone="13800000001")
    second = _create(
        county_code="369902",
        industry_code="housing",
        complainant_phone="13800000002",
        workers_owed=4,
    )
    third = _create(county_code="369902", industry_code="housing", complainant_phone="13800000003")
    duplicates.duplicate_merge(
        link=DuplicateLink.objects.get(complaint=second, duplicate_of=first),
        user=city.official_a,
    )
    # second is already merged: its other flag (with third) cannot move it
    other = DuplicateLink.objects.filter(complaint=third).first()
    assert other is not None
    sibling = DuplicateLink.objects.create(complaint=second, duplicate_of=third, reasons=[])
    with pytest.raises(ValidationError):
        duplicates.duplicate_merge(link=sibling, user=city.official_a)
    intake_services.complaint_sign(complaint=first, user=city.housing_a)
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.case == first.case
    assert first.case is not None and first.case.workers_owed == 12 + 4


def test_complaints_link_to_registered_employers(city: City) -> None:
    registered = Employer.objects.create(
        name="江城建工集团有限公司", credit_code="914403001922038216"
    )
    by_code = _create()
    assert by_code.employer == registered
    by_name = _create(employer_credit_code="", complainant_phone="13800000055")
    assert by_name.employer == registered
    unknown = _create(
        employer_name="无名劳务", employer_credit_code="", complainant_phone="13800000056"
    )
    assert unknown.employer is None
    assert set(registered.complaints.all()) == {by_code, by_name}
