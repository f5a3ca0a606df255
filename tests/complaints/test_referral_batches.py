"""Referrals taken in together (complaints/intake/batch.py): the same complaints, timelines,
duplicate links, notifications, callbacks and audit rows as one at a time, in a number of
queries that does not grow with the batch."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from arrears.models import AuditEvent, Notification
from complaints.models import CallbackDelivery, Complaint, ComplaintEvent, DuplicateLink
from tests.complaints.conftest import City
from tests.complaints.test_referrals_api import _api, _payload


def _referrals(n: int, prefix: str) -> list[dict[str, Any]]:
    """A mix that exercises every check: routed by county code, by project code, by
    address, left for dispatch; repeats of an employer and of a phone (duplicates, also
    within the batch); one refused by the rules, one not of the schema's shape."""
    items = []
    for i in range(n):
        shape = i % 6
        overrides: dict[str, Any] = {
            "complainant_phone": f"1390000{i % 7:04d}",
            "employer_name": f"江城第{i % 4}建筑公司",
            "employer_credit_code": "",
            "complainant_id_number": "",
        }
        if shape == 0:
            overrides["county_code"] = "369902"
        elif shape == 1:
            overrides["project_code"] = "XM-2026-001"
        elif shape == 2:
            overrides["project_address"] = "西江区滨江路1号"
        elif shape == 3:
            overrides["industry_code"] = "transport"
            overrides["county_code"] = "369903"
        elif shape == 4:
            overrides["complainant_id_number"] = "110105194912310021"  # wrong check digit
        items.append(_payload(f"{prefix}-{i}", **overrides))
    items.append({"external_id": f"{prefix}-bad", "workers_owed": "many"})
    return items


def _summary(city: City) -> dict[str, Any]:
    """What intake wrote, by reference rather than by id or tracking number."""
    ref = dict(Complaint.objects.values_list("tracking_no", "external_id"))
    pk_ref = dict(Complaint.objects.values_list("pk", "external_id"))

    def named(text: str) -> str:
        # The SMS shows the number as people read it (two groups of five).
        text = re.sub(r"([0-9A-Z]{5})-([0-9A-Z]{5})", r"\1\2", text)
        text = re.sub(r"[0-9A-Z]{10}", lambda m: ref.get(m.group(0), m.group(0)), text)
        return re.sub(r"incoming:(\d+):", lambda m: f"incoming:{pk_ref[int(m.group(1))]}:", text)

    complaints = sorted(
        Complaint.objects.values_list(
            "external_id", "status", "city_id", "county_id", "department_id", "project_id"
        )
    )
    events = sorted(
        (pk_ref[c], kind, named(note), public_text)
        for c, kind, note, public_text in ComplaintEvent.objects.values_list(
            "complaint_id", "kind", "note", "public_text"
        )
    )
    links = sorted(
        (pk_ref[a], pk_ref[b], tuple(reasons))
        for a, b, reasons in DuplicateLink.objects.values_list(
            "complaint_id", "duplicate_of_id", "reasons"
        )
    )
    notifications = sorted(
        (r, named(key or ""), title, body)
        for r, key, title, body in Notification.objects.values_list(
            "recipient_id", "dedupe_key", "title", "body"
        )
    )
    callbacks = sorted(
        (pk_ref[c], p["event"]["kind"], p["status"])
        for c, p in CallbackDelivery.objects.values_list("complaint_id", "payload")
    )
    audit = sorted(
        # Without the tracking number and ids (a link's repr names its pks).
        (ct, action, re.sub(r"\d+", "#", repr_.split(" ", 1)[-1]))
        for ct, action, repr_ in AuditEvent.objects.values_list(
            "content_type__model", "action", "object_repr"
        )
    )
    return {
        "complaints": complaints,
        "events": events,
        "links": links,
        "notifications": notifications,
        "callbacks": callbacks,
        "audit": audit,
    }


def test_a_batch_writes_what_one_at_a_time_writes(city: City) -> None:
    # given: a client with a callback address, and a referral it sent before
    city.client.callback_url = "http://127.0.0.1:9/callbacks"
    city.client.save(update_fields=["callback_url"])
    api = _api(city.key)
    assert api.post("/api/v1/referrals/", _payload("R-0"), format="json").status_code == 201
    items = _referrals(14, "R")
    items.append(_payload("R-0"))  # a replay of the earlier one
    items.append(_payload("R-0", workers_owed=3))  # the same reference, other content
    items.append(items[1])  # a reference repeated within the batch

    # when: sent one at a time …
    with transaction.atomic():
        singles = [api.post("/api/v1/referrals/", item, format="json") for item in items]
        one_by_one = _summary(city)
        transaction.set_rollback(True)
    # … and, from the same start, as one batch
    batch = api.post("/api/v1/referrals/batch/", {"referrals": items}, format="json")

    # then: the same answers and the same rows
    assert batch.status_code == 200
    body = batch.json()
    outcomes = {201: "created", 200: "replayed", 400: "rejected", 409: "rejected"}
    outcomes[422] = "rejected"
    assert [r["outcome"] for r in body["results"]] == [outcomes[r.status_code] for r in singles]
    assert body["created"] >= 10 and body["replayed"] == 2
    for result, single in zip(body["results"], singles, strict=True):
        if result["referral"] is not None and single.status_code in (200, 201):
            shown, alone = dict(result["referral"]), dict(single.json())
            for key in ("tracking_no", "received_at"):
                shown.pop(key), alone.pop(key)
            for event in shown["timeline"] + alone["timeline"]:
                event.pop("at")
            assert shown == alone
    assert _summary(city) == one_by_one
    # and every check left its mark
    summary = one_by_one
    kinds = {kind for _ref, kind, _note, _text in summary["events"]}
    assert {"received", "routed", "dispatch", "duplicate_flagged"} <= kinds
    assert summary["links"] and summary["callbacks"] and summary["notifications"]
    assert {"complaint", "complaintevent", "duplicatelink"} <= {a[0] for a in summary["audit"]}


def _queries(city: City, n: int, prefix: str) -> int:
    api = _api(city.key)
    body = {"referrals": _referrals(n, prefix)}
    with CaptureQueriesContext(connection) as ctx:
        response = api.post("/api/v1/referrals/batch/", body, format="json")
    assert response.status_code == 200
    assert response.json()["created"] == n - n // 6  # one in six is refused
    return len(ctx.captured_queries)


# On PostgreSQL: elsewhere the duplicate lookup is one query per complaint (duplicates.py).
@pytest.mark.postgres
def test_a_batch_costs_the_queries_of_one_referral(
    city: City, django_assert_max_num_queries: Any
) -> None:
    _queries(city, 6, "warm")  # per-process caches (content types, configuration)
    few = _queries(city, 6, "few")
    many = _queries(city, 60, "many")
    assert many == few
    with django_assert_max_num_queries(40):
        _queries(city, 120, "more")


def test_one_referral_costs_a_few_dozen_queries(
    city: City, django_assert_max_num_queries: Any
) -> None:
    api = _api(city.key)
    api.post("/api/v1/referrals/", _payload("warm"), format="json")
    with django_assert_max_num_queries(32):
        response = api.post(
            "/api/v1/referrals/", _payload("one", project_code="XM-2026-001"), format="json"
        )
    assert response.status_code == 201
