"""Complaints from every channel, their routing and timeline, integration clients, referrals
and the callback outbox."""

from arrears.models.outbox import (
    DeliveryState,  # the one outbox's states, named here for old imports
)

from .case import (
    OPEN_STATES,
    RECORDABLE,
    Case,
    CaseAttachment,
    CaseEntry,
    CasePayment,
    CaseQuerySet,
    CaseState,
    EntryKind,
    ExtensionRequest,
    ExtensionState,
    Outcome,
    Payer,
    TriageClass,
)
from .complaint import (
    STATUS_FOR_CASE_STATE,
    Attachment,
    Channel,
    Complaint,
    ComplaintEvent,
    ComplaintRating,
    ComplaintStatus,
    DuplicateLink,
    DuplicateState,
    EventKind,
    RevealLog,
    RoutingKeyword,
    Satisfaction,
)
from .integration import ApiKey, CallbackDelivery, ComplainantSms, IntegrationClient

__all__ = [
    "OPEN_STATES",
    "RECORDABLE",
    "STATUS_FOR_CASE_STATE",
    "ApiKey",
    "Attachment",
    "CallbackDelivery",
    "Case",
    "CaseAttachment",
    "CaseEntry",
    "CasePayment",
    "CaseQuerySet",
    "CaseState",
    "Channel",
    "ComplainantSms",
    "Complaint",
    "ComplaintEvent",
    "ComplaintRating",
    "ComplaintStatus",
    "DeliveryState",
    "DuplicateLink",
    "DuplicateState",
    "EntryKind",
    "EventKind",
    "ExtensionRequest",
    "ExtensionState",
    "IntegrationClient",
    "Outcome",
    "Payer",
    "RevealLog",
    "RoutingKeyword",
    "Satisfaction",
    "TriageClass",
]
