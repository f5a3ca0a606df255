"""The referral API for integration clients: keys, idempotency, batches, status feedback."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from arrears import config
from arrears import services as arrears_services
from complaints.intake import services
from complaints.models import ApiKey, Complaint
from tests.complaints.conftest import City, complaint_data
from tests.races import run_at_once, succeeded


def _payload(external_id: str = "12345-2026-000001", **overrides: Any) -> dict[str, Any]:
    data = complaint_data(**overrides)
    data = {k: (str(v) if v is not None and not isinstance(v, int) else v) for k, v in data.items()}
    return {"external_id": external_id, **data}


def _api(key: str | None) -> APIClient:
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_create_then_replay_then_conflict(city: City) -> None:
    api = _api(city.key)
    first = api.post("/api/v1/referrals/", _payload(), format="json")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["external_id"] == "12345-2026-000001"
    assert body["status"] == "pending_dispatch"
    assert [e["kind"] for e in body["timeline"]] == ["received", "dispatch"]
    # the same reference and content: 200 with the original result
    replay = api.post("/api/v1/referrals/", _payload(), format="json")
    assert replay.status_code == 200
    assert replay.json()["tracking_no"] == body["tracking_no"]
    # amounts written differently are the same content
    same = api.post("/api/v1/referrals/", _payload(amount_owed="86400"), format="json")
    assert same.status_code == 200
    # the same reference with other content: 409
    conflict = api.post("/api/v1/referrals/", _payload(workers_owed=13), format="json")
    assert conflict.status_code == 409
    assert conflict.json()["referral"]["tracking_no"] == body["tracking_no"]
    assert Complaint.objects.count() == 1


def test_bad_referral_is_a_400_with_field_errors_in_chinese_or_english(
    city: City,
) -> None:
    api = _api(city.key)
    bad = _payload(complainant_id_number="110105194912310021", workers_owed=0)
    r = api.post("/api/v1/referrals/", bad, format="json")
    assert r.status_code == 400
    assert "workers_owed" in r.json()
    r = api.post(
        "/api/v1/referrals/", _payload(complainant_id_number="110105194912310021"), format="json"
    )
    assert r.status_code == 422  # well-formed, refused by the service's identifier check
    assert "校验位" in r.json()["complainant_id_number"][0]
    r = api.post(
        "/api/v1/referrals/",
        _payload(complainant_id_number="110105194912310021"),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "check" in r.json()["complainant_id_number"][0].lower()
    assert Complaint.objects.count() == 0


def test_keys_are_required_hashed_and_revocable(city: City) -> None:
    assert _api(None).post("/api/v1/referrals/", _payload(), format="json").status_code in (
        401,
        403,
    )
    assert _api("ak_deadbeef_nope").get("/api/v1/referrals/").status_code == 401
    key = ApiKey.objects.get(client=city.client)
    assert city.key not in key.key_hash and len(key.key_hash) == 64
    key.revoked_at = key.created_at
    key.save()
    assert _api(city.key).get("/api/v1/referrals/").status_code == 401
    # a staff session cannot use the client endpoints
    staff = APIClient()
    staff.force_authenticate(city.office)
    assert staff.get("/api/v1/referrals/").status_code in (401, 403)


def test_reference_with_slashes_round_trips_and_is_private_to_its_client(
    city: City,
) -> None:
    reference = "GD/12345/2026-11/000042?x=1#y"
    api = _api(city.key)
    assert api.post("/api/v1/referrals/", _payload(reference), format="json").status_code == 201

    url = f"/api/v1/referrals/{quote(reference, safe='/')}/"
    r = api.get(url)
    assert r.status_code == 200
    assert r.json()["external_id"] == reference
    assert _api(city.other_key).get(url).status_code == 404
    assert _api(city.key).get("/api/v1/referrals/no-such-ref/").status_code == 404


def test_status_feedback_follows_the_complaint(city: City) -> None:
    api = _api(city.key)
    api.post(
        "/api/v1/referrals/",
        _payload("R-1", county_code="369902", industry_code="housing"),
        format="json",
    )
    complaint = Complaint.objects.get(external_id="R-1")
    services.complaint_sign(complaint=complaint, user=city.housing_a)
    body = api.get("/api/v1/referrals/R-1/").json()
    assert body["status"] == "signed"
    assert body["unit"] == city.a_housing.name
    assert [e["kind"] for e in body["timeline"]] == ["received", "routed", "signed"]
    assert all("张三" not in e["text"] for e in body["timeline"])


def test_list_is_filtered_and_cursor_paginated(city: City) -> None:
    api = _api(city.key)
    for i in range(3):
        api.post(
            "/api/v1/referrals/",
            _payload(f"L-{i}", complainant_phone=f"1380000000{i}"),
            format="json",
        )
    _api(city.other_key).post("/api/v1/referrals/", _payload("other"), format="json")
    page = api.get("/api/v1/referrals/", {"page_size": 2}).json()
    assert [r["external_id"] for r in page["results"]] == ["L-2", "L-1"]
    assert "cursor=" in page["next"]
    rest = api.get(page["next"]).json()
    assert [r["external_id"] for r in rest["results"]] == ["L-0"]
    assert api.get("/api/v1/referrals/", {"status": "signed"}).json()["results"] == []


def test_batch_saves_the_valid_ones_and_reports_each(city: City) -> None:
    api = _api(city.key)
    api.post("/api/v1/referrals/", _payload("B-0"), format="json")
    items = [
        _payload("B-0"),  # replay
        _payload("B-1", complainant_phone="13800000011"),
        _payload("B-2", employer_credit_code="914403001922038217"),  # bad check character
        _payload("B-0", workers_owed=99),  # conflicting reuse
        {"external_id": "B-3"},  # missing everything
        _payload("B-4", complainant_phone="13800000014"),
    ]
    r = api.post("/api/v1/referrals/batch/", {"referrals": items}, format="json")
    assert r.status_code == 200
    body = r.json()
    assert [x["outcome"] for x in body["results"]] == [
        "replayed",
        "created",
        "rejected",
        "rejected",
        "rejected",
        "created",
    ]
    assert (body["created"], body["replayed"], body["rejected"]) == (2, 1, 3)
    assert "employer_credit_code" in body["results"][2]["errors"]
    assert "external_id" in body["results"][3]["errors"]
    assert set(Complaint.objects.values_list("external_id", flat=True)) == {"B-0", "B-1", "B-4"}


def test_batch_limit(city: City) -> None:
    r = _api(city.key).post(
        "/api/v1/referrals/batch/",
        {"referrals": [{"external_id": str(i)} for i in range(501)]},
        format="json",
    )
    assert r.status_code == 400
    assert Complaint.objects.count() == 0


def test_each_client_is_throttled_on_its_own(city: City) -> None:
    client = city.client
    client.rate = "3/min"
    client.save()
    api = _api(city.key)
    codes = [api.get("/api/v1/referrals/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert _api(city.other_key).get("/api/v1/referrals/").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_create_exactly_one_complaint(city: City) -> None:
    def send() -> int:
        api = _api(city.key)
        return api.post("/api/v1/referrals/", _payload("RACE-1"), format="json").status_code

    codes = succeeded(run_at_once(send, 4))
    assert sorted(codes) == [200, 200, 200, 201]
    assert Complaint.objects.filter(external_id="RACE-1").count() == 1


def test_far_past_dates_are_400_not_500(city: City) -> None:
    api = _api(city.key)
    for value in ("0001-01-01T00:00:00", "0001-01-02T00:00:00+08:00", "1900-01-01T00:00:00Z"):
        r = api.post("/api/v1/referrals/", _payload(f"D-{value}", received_at=value), format="json")
        # Well-formed dates the system does not take: refused (422), neither malformed nor a 500.
        assert r.status_code == 422, (value, r.content)
        assert "received_at" in r.json()
    r = api.post("/api/v1/referrals/", _payload("D-p", period_start="0001-01-01"), format="json")
    assert r.status_code == 422
    batch = api.post(
        "/api/v1/referrals/batch/",
        {
            "referrals": [
                _payload("D-b1", received_at="0001-01-02T00:00:00+08:00"),
                1,
                "x",
                None,
                _payload("D-b2", complainant_phone="13800000077"),
            ]
        },
        format="json",
    )
    assert batch.status_code == 200
    assert [x["outcome"] for x in batch.json()["results"]] == [
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "created",
    ]
    for url in ("/api/v1/referrals/",):
        assert api.get(url, {"received_after": "0001-01-01"}).status_code == 422
    staff = APIClient()
    staff.force_authenticate(city.office)
    assert staff.get("/api/v1/complaints/", {"received_after": "0001-01-01"}).status_code == 422


def test_reference_keeps_its_spaces_and_same_content_replays_after_normalising(
    city: City,
) -> None:
    api = _api(city.key)
    assert api.post("/api/v1/referrals/", _payload("  pad  "), format="json").status_code == 201
    assert api.get(f"/api/v1/referrals/{quote('  pad  ')}/").status_code == 200
    assert api.get("/api/v1/referrals/pad/").status_code == 404
    # the same phone and credit code written differently are the same content
    again = _payload(
        "  pad  ",
        complainant_phone="138 1234 5678",
        employer_credit_code="914403001922038216".lower(),
    )
    assert api.post("/api/v1/referrals/", again, format="json").status_code == 200


def test_evidence_for_a_referral_all_or_nothing(city: City) -> None:
    """A referring system sends the contract and pay slips after the referral."""

    api = _api(city.key)
    # given: a referral submitted
    assert api.post("/api/v1/referrals/", _payload("REF/2026/7"), format="json").status_code == 201
    complaint = Complaint.objects.get(external_id="REF/2026/7")

    def upload(*files: Any, external_id: str = "REF/2026/7", key: str | None = None) -> Any:
        client = _api(key or city.key)
        return client.post(
            "/api/v1/referral-evidence/",
            {"external_id": external_id, "evidence": list(files)},
            format="multipart",
        )

    def pdf(name: str = "合同.pdf") -> Any:
        return SimpleUploadedFile(name, b"%PDF-1.4 test", content_type="application/pdf")

    # when: one good file and one that only claims to be a PDF
    fake = SimpleUploadedFile("工资条.pdf", b"MZ not a pdf", content_type="application/pdf")
    refused = upload(pdf(), fake)
    # then: refused in Chinese, nothing saved
    assert refused.status_code == 422
    assert "文件内容与类型不符" in refused.json()["evidence"][0]
    assert complaint.attachments.count() == 0
    # when: two good files
    saved = upload(pdf(), pdf("考勤表.pdf"))
    assert saved.status_code == 201
    assert [f["name"] for f in saved.json()] == ["合同.pdf", "考勤表.pdf"]
    assert saved.json()[0]["content_type"] == "application/pdf"
    assert complaint.attachments.count() == 2
    # another client's reference, an unknown one, and no reference at all
    assert upload(pdf(), key=city.other_key).status_code == 404
    assert upload(pdf(), external_id="nope").status_code == 404
    assert upload(pdf(), external_id="").status_code == 400
    assert upload(external_id="REF/2026/7").status_code == 422  # no files: the service refuses


def test_evidence_count_includes_what_is_held(city: City) -> None:
    arrears_services.config_set(key="complaints.max_files", value=2)
    config.forget()
    api = _api(city.key)
    assert api.post("/api/v1/referrals/", _payload("REF-8"), format="json").status_code == 201

    def pdf(name: str) -> Any:
        return SimpleUploadedFile(name, b"%PDF-1.4 x", content_type="application/pdf")

    first = api.post(
        "/api/v1/referral-evidence/",
        {"external_id": "REF-8", "evidence": [pdf("a.pdf"), pdf("b.pdf")]},
        format="multipart",
    )
    assert first.status_code == 201
    again = api.post(
        "/api/v1/referral-evidence/",
        {"external_id": "REF-8", "evidence": [pdf("c.pdf")]},
        format="multipart",
    )
    assert again.status_code == 422
    assert "已有 2 个" in again.json()["evidence"][0]
