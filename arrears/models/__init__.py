"""Shared building blocks every app uses: organisation and roles, the working-day calendar,
deadlines, notifications, configuration and the audit trail."""

from .audit import AuditEvent
from .calendar import CalendarDay, CalendarYear, DayKind, YearStatus
from .config import ConfigValue
from .deadlines import Deadline, DeadlineState
from .notifications import Notification
from .organisation import County, Department, DepartmentKind, Industry, Level, Role, User

__all__ = [
    "AuditEvent",
    "CalendarDay",
    "CalendarYear",
    "ConfigValue",
    "County",
    "DayKind",
    "Deadline",
    "DeadlineState",
    "Department",
    "DepartmentKind",
    "Industry",
    "Level",
    "Notification",
    "Role",
    "User",
    "YearStatus",
]
