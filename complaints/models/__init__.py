"""Complaints from every channel, their routing and timeline, integration clients, referrals
and the callback outbox."""

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
    "ApiKey",
    "Attachment",
    "CallbackDelivery",
    "Channel",
    "Complaint",
    "ComplaintEvent",
    "ComplaintStatus",
    "DeliveryState",
    "DuplicateLink",
    "DuplicateState",
    "EventKind",
    "IntegrationClient",
    "RevealLog",
    "RoutingKeyword",
]
