"""Writes of the intake side. Each public function is one transaction; what it must tell
others (notifications, callbacks) is written in that transaction and sent after commit."""

from .callbacks import callback_deliver_due, callback_resend
from .cases import (
    allowed_actions,
    case_accept,
    case_close,
    case_days_recompute,
    case_decide_extension,
    case_feedback,
    case_file,
    case_record,
    case_record_payment,
    case_refer_arbitration,
    case_refuse,
    case_reopen,
    case_request_extension,
    case_resume,
    case_revise_owed,
    case_transfer_police,
    case_triage,
)
from .duplicates import duplicate_dismiss, duplicate_merge
from .intake import (
    ComplaintData,
    complaint_create,
    complaint_dispatch,
    complaint_return,
    complaint_reveal,
    complaint_sign,
)
from .referrals import ReferralConflict, referral_evidence_add, referral_submit

__all__ = [
    "ComplaintData",
    "ReferralConflict",
    "allowed_actions",
    "callback_deliver_due",
    "callback_resend",
    "case_accept",
    "case_close",
    "case_days_recompute",
    "case_decide_extension",
    "case_feedback",
    "case_file",
    "case_record",
    "case_record_payment",
    "case_refer_arbitration",
    "case_refuse",
    "case_reopen",
    "case_request_extension",
    "case_resume",
    "case_revise_owed",
    "case_transfer_police",
    "case_triage",
    "complaint_create",
    "complaint_dispatch",
    "complaint_return",
    "complaint_reveal",
    "complaint_sign",
    "duplicate_dismiss",
    "duplicate_merge",
    "referral_evidence_add",
    "referral_submit",
]
