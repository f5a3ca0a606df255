"""Phone and ID numbers encrypted at rest: the format, wrong keys, rotation, blind-index
search, duplicates and tracking through the indexes, the migration's rewrite of plain rows."""

from __future__ import annotations

import base64
import os
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import FieldError
from django.core.management import CommandError, call_command
from django.db.models import TextField, Value
from django.db.models.functions import Cast
from django.test import override_settings

from arrears import encrypted_rows, encryption
from arrears.fields import index_value
from arrears.models import AuditEvent, User
from complaints.intake import selectors, services
from complaints.models import Channel, Complaint, DuplicateLink
from projects.models import Employer
from tests.complaints.conftest import City, complaint_data
from tests.factories import UserFactory

DEV = "dev:YXJyZWFycy1kZXZlbG9wbWVudC1maWVsZC1rZXktMDE="


def _key(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


def _stored(model: Any, pk: Any, field: str) -> str:
    """What the column holds, not what the field gives back."""
    return str(
        model._base_manager.filter(pk=pk)
        .annotate(raw=Cast(field, TextField()))
        .values_list("raw", flat=True)
        .get()
    )


def _create(city: City, **overrides: Any) -> Complaint:
    return services.complaint_create(
        data=complaint_data(**overrides), channel=Channel.SERVICE_WINDOW, received_by=city.duty
    )


def test_round_trip_in_the_versioned_format() -> None:
    # given / when
    first, second = encryption.encrypt("13812345678"), encryption.encrypt("13812345678")
    # then: versioned, under the current key, a fresh nonce each time
    assert first.startswith("enc1$dev$") and first != second
    assert encryption.decrypt(first) == encryption.decrypt(second) == "13812345678"
    assert "13812345678" not in first


def test_a_wrong_or_missing_key_fails_loudly() -> None:
    stored = encryption.encrypt("11010519491231002X")
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=_key("other")),
        pytest.raises(encryption.DecryptionError, match="no key 'dev'"),
    ):
        encryption.decrypt(stored)
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=_key("dev")),  # same id, another key
        pytest.raises(encryption.DecryptionError, match="does not decrypt"),
    ):
        encryption.decrypt(stored)
    tampered = stored[:-6] + ("AAAA" if stored[-6:-2] != "AAAA" else "BBBB") + stored[-2:]
    with pytest.raises(encryption.DecryptionError):
        encryption.decrypt(tampered)
    with pytest.raises(encryption.DecryptionError):
        encryption.decrypt("13812345678")  # a plain value is not quietly passed through


def test_reading_a_row_with_the_wrong_key_raises(city: City) -> None:
    complaint = _create(city)
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=_key("dev")),
        pytest.raises(encryption.DecryptionError),
    ):
        Complaint.objects.get(pk=complaint.pk)


def test_the_columns_hold_ciphertext_and_the_model_the_number(city: City) -> None:
    complaint = _create(city, employer_phone="0571-8888666")
    for field in ("complainant_phone", "complainant_id_number", "employer_phone"):
        assert _stored(Complaint, complaint.pk, field).startswith("enc1$dev$")
    fresh = Complaint.objects.get(pk=complaint.pk)
    assert fresh.complainant_phone == "13812345678"
    assert fresh.complainant_id_number == "11010519491231002X"
    assert fresh.employer_phone == "0571-8888666"
    user = UserFactory.create(phone="+86 139 1234 5678")
    assert _stored(User, user.pk, "phone").startswith("enc1$")
    assert User.objects.get(pk=user.pk).phone == "13912345678"


def test_a_blank_value_stays_blank_and_has_no_index(city: City) -> None:
    complaint = _create(city, complainant_id_number="")
    assert _stored(Complaint, complaint.pk, "complainant_id_number") == ""
    assert Complaint.objects.get(pk=complaint.pk).complainant_id_index == ""
    assert Complaint.objects.filter(complainant_id_number="").filter(pk=complaint.pk).exists()


def test_comparing_an_encrypted_column_is_refused(db: Any) -> None:
    with pytest.raises(FieldError, match="blind index"):
        list(Complaint.objects.filter(complainant_phone="13812345678"))
    with pytest.raises(FieldError, match="blind index"):
        list(Employer.objects.filter(phone__icontains="1381"))


def test_staff_find_a_person_by_exact_phone_or_id_in_their_scope(city: City) -> None:
    # given: one complaint in county a, another person's elsewhere
    mine = _create(city, county_code="369902")
    _create(
        city,
        county_code="369903",
        complainant_phone="13900000000",
        complainant_id_number="",
        employer_name="别的公司",
        employer_credit_code="",
    )
    # when / then: typed however, found through the index; never by a part of it
    typed_forms = ("13812345678", "+86 138-1234-5678", "11010519491231002x", "１３８" + "12345678")
    for typed in typed_forms:
        found = selectors.complaints_of_person(user=city.office, identifier=typed)
        assert list(found) == [mine], typed
    assert not selectors.complaints_of_person(user=city.office, identifier="5678").exists()
    assert not selectors.complaints_of_person(user=city.office, identifier="").exists()
    assert not selectors.complaints_of_person(
        user=city.official_b, identifier="13812345678"
    ).exists()


def test_duplicates_are_still_found_by_phone(city: City) -> None:
    # given: the same worker twice, about differently named employers
    first = _create(city, employer_name="甲公司", employer_credit_code="")
    # when
    second = _create(
        city,
        employer_name="乙公司",
        employer_credit_code="",
        complainant_phone="+86 138 1234 5678",
    )
    # then
    links = list(DuplicateLink.objects.filter(complaint=second))
    assert [link.duplicate_of_id for link in links] == [first.pk]
    assert links[0].reasons == ["complainant_phone"]
    other = _create(
        city, employer_name="丙公司", employer_credit_code="", complainant_phone="13700000000"
    )
    assert not DuplicateLink.objects.filter(complaint=other).exists()


def test_tracking_needs_the_last_four_digits(city: City) -> None:
    complaint = _create(city)
    number = complaint.tracking_no
    assert selectors.track(tracking_no=number, phone_last4="5678") == complaint
    assert selectors.track(tracking_no=number.lower(), phone_last4="5678") == complaint
    assert selectors.track(tracking_no=number, phone_last4="5679") is None
    assert selectors.track(tracking_no="XXXXXXXXXX", phone_last4="5678") is None
    # the stored check is a keyed hash, not the digits
    assert "5678" not in complaint.tracking_check
    assert complaint.tracking_check == index_value("last4", number, "5678")


def test_the_audit_trail_has_masked_numbers_and_no_index(city: City) -> None:
    complaint = _create(city)
    event = AuditEvent.objects.filter(object_id=str(complaint.pk), action="create").latest("pk")
    changes = event.changes
    assert changes["complainant_phone"] == [None, "138****5678"]
    assert changes["complainant_id_number"] == [None, "110105********002X"]
    assert "complainant_phone_index" not in changes and "tracking_check" not in changes


def test_rotation_re_encrypts_and_the_old_key_can_go(city: City) -> None:
    # given: rows under the development key, and a new key put first in the ring
    complaint = _create(city)
    user = UserFactory.create(phone="13512345678")
    new = _key("k2")
    out = StringIO()
    with override_settings(FIELD_ENCRYPTION_KEYS=f"{new},{DEV}"):
        with pytest.raises(CommandError):
            call_command("rotate_field_keys", "--status", stdout=out)
        # when
        call_command("rotate_field_keys", "--batch-size", "1", stdout=out)
        # then: every column under k2, with progress printed; a second run has nothing to do
        assert _stored(Complaint, complaint.pk, "complainant_phone").startswith("enc1$k2$")
        assert _stored(User, user.pk, "phone").startswith("enc1$k2$")
        assert "complaints.Complaint: 1 rows re-encrypted" in out.getvalue()
        assert "1/1 re-encrypted" in out.getvalue()
        again = StringIO()
        call_command("rotate_field_keys", stdout=again)
        assert "complaints.Complaint: 0 rows re-encrypted" in again.getvalue()
        call_command("rotate_field_keys", "--status", stdout=StringIO())
    with override_settings(FIELD_ENCRYPTION_KEYS=new):  # the old key removed
        fresh = Complaint.objects.get(pk=complaint.pk)
        assert fresh.complainant_phone == "13812345678"
        assert User.objects.get(pk=user.pk).phone == "13512345678"
        # and the blind indexes did not change: search still finds it
        assert selectors.complaints_of_person(user=city.office, identifier="13812345678")


def test_reindex_follows_a_new_blind_index_key(city: City) -> None:
    complaint = _create(city)
    new_index_key = base64.b64encode(os.urandom(32)).decode()
    with override_settings(FIELD_BLIND_INDEX_KEY=new_index_key):
        assert not selectors.complaints_of_person(user=city.office, identifier="13812345678")
        call_command("rotate_field_keys", "--reindex", stdout=StringIO())
        assert list(selectors.complaints_of_person(user=city.office, identifier="13812345678")) == [
            complaint
        ]
        assert selectors.track(tracking_no=complaint.tracking_no, phone_last4="5678")


def test_the_migration_rewrite_encrypts_plain_rows_and_back(city: City) -> None:
    # given: a row as it was before issue 12 (plain values, no indexes)
    complaint = _create(city)
    Complaint._base_manager.filter(pk=complaint.pk).update(
        complainant_phone=Value("13812345678", output_field=TextField()),
        complainant_id_number=Value("11010519491231002X", output_field=TextField()),
        complainant_phone_index="",
        complainant_id_index="",
        tracking_check="",
    )
    # when
    encrypted_rows.encrypt_existing(Complaint)
    encrypted_rows.encrypt_existing(Complaint)  # idempotent: nothing encrypted twice
    # then
    assert _stored(Complaint, complaint.pk, "complainant_phone").startswith("enc1$dev$")
    fresh = Complaint.objects.get(pk=complaint.pk)
    assert fresh.complainant_phone == "13812345678"
    assert fresh.complainant_phone_index == index_value("phone", "13812345678")
    assert selectors.track(tracking_no=complaint.tracking_no, phone_last4="5678") == fresh
    # and back
    encrypted_rows.decrypt_existing(Complaint)
    assert _stored(Complaint, complaint.pk, "complainant_phone") == "13812345678"
    assert _stored(Complaint, complaint.pk, "complainant_id_number") == "11010519491231002X"


def test_saving_a_source_without_its_index_is_refused(city: City) -> None:
    complaint = Complaint.objects.get(pk=_create(city).pk)
    complaint.complainant_phone = "13700000000"
    with pytest.raises(FieldError, match="include the index"):
        complaint.save(update_fields=["complainant_phone"])
    complaint.save(update_fields=["complainant_phone", "complainant_phone_index", "tracking_check"])
    assert selectors.complaints_of_person(user=city.office, identifier="13700000000")
