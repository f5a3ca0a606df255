"""Referrals from integration clients, idempotent on the client's own reference."""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from arrears import config, locks
from arrears.identifiers import normalize_credit_code, normalize_phone, normalize_resident_id
from complaints.evidence import store_evidence, validate_files
from complaints.intake.batch import Entry, complaints_create_many
from complaints.intake.selectors import referrals_for
from complaints.intake.services import ComplaintData, complaint_create
from complaints.integration import work_orders
from complaints.models import Attachment, Complaint, IntegrationClient


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
    work_orders.work_order_check(client=client, code=str(data.get("work_order_type") or ""))
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


# What referrals_submit_many answers for each referral: (complaint, created), or the
# refusal (the rules' ValidationError, or the reference's ReferralConflict).
Outcome = tuple[Complaint, bool] | ValidationError | ReferralConflict


def referrals_submit_many(
    *, client: IntegrationClient, referrals: Sequence[tuple[str, ComplaintData]]
) -> list[Outcome]:
    """referral_submit for each (external_id, data), in order, in a constant number of
    queries: one for the references already used, then `complaints_create_many` for the
    new ones. A reference repeated within the batch is taken after the others, one at a
    time, as it would be had it come in a later request. When a reference is taken by
    another request meanwhile (the unique constraint), the batch is undone and each referral
    taken on its own, so every one still gets referral_submit's answer."""
    digests = [payload_hash({**data, "external_id": ref}) for ref, data in referrals]
    known = {
        c.external_id: c
        for c in referrals_for(client=client)
        .select_related("case")
        .filter(external_id__in={ref for ref, _data in referrals})
    }
    outcomes: list[Outcome | None] = [None] * len(referrals)
    new: list[int] = []
    repeats: list[int] = []
    seen: set[str] = set()
    for index, (ref, _data) in enumerate(referrals):
        if ref in known:
            try:
                outcomes[index] = _replay(known[ref], digests[index])
            except ReferralConflict as conflict:
                outcomes[index] = conflict
        elif ref in seen:
            repeats.append(index)
        else:
            try:  # a type the client does not have refuses this referral only
                work_orders.work_order_check(
                    client=client, code=str(_data.get("work_order_type") or "")
                )
            except ValidationError as refusal:
                outcomes[index] = refusal
                continue
            seen.add(ref)
            new.append(index)
    entries = [Entry(referrals[i][1], referrals[i][0], digests[i]) for i in new]
    try:
        with transaction.atomic():
            made = complaints_create_many(entries=entries, channel=client.channel, client=client)
    except IntegrityError:
        repeats = sorted(new + repeats)
    else:
        for index, result in zip(new, made, strict=True):
            outcomes[index] = result if isinstance(result, ValidationError) else (result, True)
    for index in repeats:
        ref, data = referrals[index]
        try:
            with transaction.atomic():
                outcomes[index] = referral_submit(client=client, external_id=ref, data=data)
        except (ValidationError, ReferralConflict) as refusal:
            outcomes[index] = refusal
    return [outcome for outcome in outcomes if outcome is not None]


def referral_evidence_add(
    *, client: IntegrationClient, external_id: str, files: list[Any]
) -> list[Any]:
    """Evidence files a referring system sends after its referral (contracts, attendance
    sheets, pay slips): checked like the public form's (type by extension and content, size,
    and the count including what the complaint already holds), all saved or none."""

    complaint = (
        Complaint.objects.filter(client=client, external_id=external_id).order_by("pk").first()
    )
    if complaint is None:  # also for references other clients sent
        raise ObjectDoesNotExist(external_id)
    if not files:
        raise ValidationError({"evidence": [_("请上传至少一个证据材料")]})
    validate_files(files)
    with transaction.atomic():
        # Locked, so two uploads at once cannot pass the count together.
        locks.lock_row_or_none(Complaint.objects.all(), pk=complaint.pk)
        held = Attachment.objects.filter(complaint=complaint).count()
        limit = config.get("complaints.max_files")
        if held + len(files) > limit:
            raise ValidationError(
                {
                    "evidence": [
                        _("证据材料最多 %(n)s 个（已有 %(h)s 个）") % {"n": limit, "h": held}
                    ]
                }
            )
        return [store_evidence(Attachment(complaint=complaint), upload) for upload in files]
