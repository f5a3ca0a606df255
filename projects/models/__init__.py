"""Construction projects and the "5+3" wage-protection systems: employers and their lists,
projects and their parties, the checklist, monthly wage records and early warnings."""

from .compliance import (
    CHECKLIST,
    CORE_ITEMS,
    ChecklistItem,
    ItemState,
    MonthlyWageRecord,
    Warning,
    WarningLevel,
    WarningRule,
    WarningState,
)
from .deposits import DepositEvent, DepositEventKind
from .inspections import Campaign, Finding, Fine, FineArticle, Inspection, RectificationOrder
from .registry import (
    Employer,
    EmployerListing,
    InvestmentType,
    ListingRemovalRequest,
    ListKind,
    PartyRole,
    Project,
    ProjectParty,
    ProjectStatus,
    RemovalState,
)

__all__ = [
    "CHECKLIST",
    "CORE_ITEMS",
    "Campaign",
    "ChecklistItem",
    "DepositEvent",
    "DepositEventKind",
    "Employer",
    "EmployerListing",
    "Finding",
    "Fine",
    "FineArticle",
    "Inspection",
    "InvestmentType",
    "ItemState",
    "ListKind",
    "ListingRemovalRequest",
    "MonthlyWageRecord",
    "PartyRole",
    "Project",
    "ProjectParty",
    "ProjectStatus",
    "RectificationOrder",
    "RemovalState",
    "Warning",
    "WarningLevel",
    "WarningRule",
    "WarningState",
]
