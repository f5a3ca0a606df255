"""Shared building blocks every app uses: organisation and roles, the working-day calendar,
deadlines, notifications, configuration and the audit trail."""

from .audit import (
    AuditArchive,
    AuditEvent,
    AuditVerification,
    SecurityEvent,
    SecurityKind,
    SecurityResult,
)
from .authentication import PasswordHistory, UserSession
from .calendar import CalendarDay, CalendarYear, DayKind, YearStatus
from .config import ConfigValue
from .deadlines import Deadline, DeadlineState
from .health import Heartbeat
from .jobs import ACTIVE_STATES, Job, JobState
from .notifications import MessageChannel, MessageDelivery, Notification
from .organisation import City, County, Department, DepartmentKind, Industry, Level, Role, User
from .outbox import DeliveryState
from .two_factor import SmsDevice

__all__ = [
    "ACTIVE_STATES",
    "AuditArchive",
    "AuditEvent",
    "AuditVerification",
    "CalendarDay",
    "CalendarYear",
    "City",
    "ConfigValue",
    "County",
    "DayKind",
    "Deadline",
    "DeadlineState",
    "DeliveryState",
    "Department",
    "DepartmentKind",
    "Heartbeat",
    "Industry",
    "Job",
    "JobState",
    "Level",
    "MessageChannel",
    "MessageDelivery",
    "Notification",
    "PasswordHistory",
    "Role",
    "SecurityEvent",
    "SecurityKind",
    "SecurityResult",
    "SmsDevice",
    "User",
    "UserSession",
    "YearStatus",
]
