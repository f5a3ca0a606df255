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
from .inspections import Campaign, Finding, Fine, FineArticle, Inspection, RectificationOrder
from .registry import (
    Employer,
    EmployerListing,
    InvestmentType,
    ListKind,
    PartyRole,
    Project,
    ProjectParty,
    ProjectStatus,
)
from .targeting import CampaignDraw, DrawnProject

__all__ = [
    "CHECKLIST",
    "CORE_ITEMS",
    "Campaign",
    "CampaignDraw",
    "ChecklistItem",
    "DrawnProject",
    "Employer",
    "EmployerListing",
    "Finding",
    "Fine",
    "FineArticle",
    "Inspection",
    "InvestmentType",
    "ItemState",
    "ListKind",
    "MonthlyWageRecord",
    "PartyRole",
    "Project",
    "ProjectParty",
    "ProjectStatus",
    "RectificationOrder",
    "Warning",
    "WarningLevel",
    "WarningRule",
    "WarningState",
]
