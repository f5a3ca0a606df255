"""Case handling: one place for the allowed transitions, the working-day clocks of a case,
triage, the timeline, payments, extensions, closure and reopening — in four modules (core,
lifecycle, handling, money, police), named here as one service API.

Every transition is a conditional UPDATE on the current state (core.TRANSITIONS), so two
officers acting at once cannot apply it twice; the loser gets a Conflict (409). Every other
action runs inside core._acting_on: the case row locked and the action's precondition checked
on it."""

from complaints.cases.services.core import (
    ACCEPT,
    ACTION_NAMES,
    CLOSE,
    ORDER,
    POLICE_APPROVAL,
    POLICE_HANDOVER,
    RESPOND,
    TRANSITIONS,
    allowed_actions,
    close_days,
    complaints_follow,
    criminal_flag,
    refresh_case_totals,
    suggest_class,
)
from complaints.cases.services.handling import (
    case_decide_extension,
    case_decide_pending_extension,
    case_feedback,
    case_record,
    case_refer_arbitration,
    case_request_extension,
    case_resume,
    case_suspend,
    case_triage,
    complaint_rate,
)
from complaints.cases.services.lifecycle import (
    case_accept,
    case_close,
    case_days_recompute,
    case_file,
    case_for_complaint,
    case_open,
    case_refuse,
    case_reopen,
)
from complaints.cases.services.money import (
    case_record_payment,
    case_revise_owed,
    payment_record_fund_repayment,
)
from complaints.cases.services.police import (
    case_decide_police,
    case_propose_police,
    case_transfer_police,
    police_proposer,
    police_step,
)

__all__ = [
    "ACCEPT",
    "ACTION_NAMES",
    "CLOSE",
    "ORDER",
    "POLICE_APPROVAL",
    "POLICE_HANDOVER",
    "RESPOND",
    "TRANSITIONS",
    "allowed_actions",
    "case_accept",
    "case_close",
    "case_days_recompute",
    "case_decide_extension",
    "case_decide_pending_extension",
    "case_decide_police",
    "case_feedback",
    "case_file",
    "case_for_complaint",
    "case_open",
    "case_propose_police",
    "case_record",
    "case_record_payment",
    "case_refer_arbitration",
    "case_refuse",
    "case_reopen",
    "case_request_extension",
    "case_resume",
    "case_revise_owed",
    "case_suspend",
    "case_transfer_police",
    "case_triage",
    "close_days",
    "complaint_rate",
    "complaints_follow",
    "criminal_flag",
    "payment_record_fund_repayment",
    "police_proposer",
    "police_step",
    "refresh_case_totals",
    "suggest_class",
]
