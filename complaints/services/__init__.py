"""Writes of the intake side. Each public function is one transaction; what it must tell
others (notifications, callbacks) is written in that transaction and sent after commit."""

from .callbacks import callback_deliver_due, callback_resend
from .duplicates import duplicate_dismiss, duplicate_merge
from .intake import (
    ComplaintData,
    complaint_create,
    complaint_dispatch,
    complaint_return,
    complaint_reveal,
    complaint_sign,
)
from .referrals import ReferralConflict, referral_submit

__all__ = [
    "ComplaintData",
    "ReferralConflict",
    "callback_deliver_due",
    "callback_resend",
    "complaint_create",
    "complaint_dispatch",
    "complaint_return",
    "complaint_reveal",
    "complaint_sign",
    "duplicate_dismiss",
    "duplicate_merge",
    "referral_submit",
]
