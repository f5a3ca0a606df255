"""Referrals from integration clients, idempotent on the client's own reference."""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
from typing import Any

from django.db import IntegrityError, transaction

from arrears.identifiers import normalize_credit_code, normalize_phone, normalize_resident_id
from complaints.models import Complaint, IntegrationClient

from .intake import ComplaintData, complaint_create


class ReferralConflict(Exception):
    """The reference was used before with different content (HTTP 409)."""

    def __init__(self, complaint: Complaint) -> None:
        super().__init__(complaint.external_id)
        self.complaint = complaint


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    return value


# Identifiers are compared as they will be stored: "138 1234 5678" is "13812345678".
NORMALISE = {
    "complainant_phone": normalize_phone,
    "employer_phone": normalize_phone,
    "complainant_id_number": normalize_resident_id,
    "employer_credit_code": normalize_credit_code,
}


def payload_hash(data: ComplaintData) -> str:
    """A fingerprint of what was sent, insensitive to key order and to formatting that does not
    change meaning ("100" and "100.00" yuan, an identifier's spaces or letter case)."""
    canonical = {}
    for key, value in data.items():
        if value in (None, ""):
            continue
        if key in NORMALISE and isinstance(value, str):
            value = NORMALISE[key](value)
        canonical[key] = _canonical(value)
    raw = json.dumps(canonical, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _replay(existing: Complaint, digest: str) -> tuple[Complaint, bool]:
    if existing.payload_hash != digest:
        raise ReferralConflict(existing)
    return existing, False


def referral_submit(
    *, client: IntegrationClient, external_id: str, data: ComplaintData
) -> tuple[Complaint, bool]:
    """Create the complaint for a referral, or return the one already created for the same
    reference and content (created=False). The same reference with other content raises
    ReferralConflict. Two identical referrals at once: the unique constraint lets one insert
    win; the other lands in the IntegrityError branch and replays it."""
    digest = payload_hash({**data, "external_id": external_id})
    existing = Complaint.objects.filter(client=client, external_id=external_id).first()
    if existing is not None:
        return _replay(existing, digest)
    try:
        with transaction.atomic():
            complaint = complaint_create(
                data=data,
                channel=client.channel,
                client=client,
                external_id=external_id,
                payload_hash=digest,
            )
    except IntegrityError:
        existing = Complaint.objects.filter(client=client, external_id=external_id).first()
        if existing is None:
            raise
        return _replay(existing, digest)
    return complaint, True
