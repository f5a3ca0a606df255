"""Complaints from every channel, their routing and timeline, integration clients, referrals
and the callback outbox."""

from .case import (
    RECORDABLE,
    Case,
    CaseAttachment,
    CaseEntry,
    CasePayment,
    CaseState,
    EntryKind,
    ExtensionRequest,
    ExtensionState,
    Outcome,
    TriageClass,
)
from .complaint import (
    Attachment,
    Channel,
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
    DuplicateLink,
    DuplicateState,
    EventKind,
    RevealLog,
    RoutingKeyword,
)
from .integration import ApiKey, CallbackDelivery, DeliveryState, IntegrationClient

__all__ = [
    "RECORDABLE",
    "ApiKey",
    "Attachment",
    "CallbackDelivery",
    "Case",
    "CaseAttachment",
    "CaseEntry",
    "CasePayment",
    "CaseState",
    "Channel",
    "Complaint",
    "ComplaintEvent",
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
    "RevealLog",
    "RoutingKeyword",
    "TriageClass",
]
