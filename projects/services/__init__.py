"""Writes of the projects side: registries, the 5+3 checklist, wage records and warnings,
inspections. Each public function is one transaction."""

from .compliance import (
    DISPOSITIONS,
    checklist_set,
    conditions,
    wage_record_save,
    warning_case_defaults,
    warning_dispose,
    warning_open_case,
    warnings_evaluate,
)
from .inspections import (
    FINE_ARTICLES,
    campaign_create,
    fine_range,
    fine_record,
    inspection_record,
    rectification_verify,
)
from .registry import (
    employer_listing_add,
    employer_listing_remove,
    listings_expire,
    project_assign_department,
    required_deposit,
)
from .supervision import (
    UnitDraft,
    circular_correct,
    circular_create,
    circular_discard,
    circular_issue,
    circular_update,
    interview_create,
    interview_record_result,
)

__all__ = [
    "DISPOSITIONS",
    "FINE_ARTICLES",
    "UnitDraft",
    "campaign_create",
    "checklist_set",
    "circular_correct",
    "circular_create",
    "circular_discard",
    "circular_issue",
    "circular_update",
    "conditions",
    "employer_listing_add",
    "employer_listing_remove",
    "fine_range",
    "fine_record",
    "inspection_record",
    "interview_create",
    "interview_record_result",
    "listings_expire",
    "project_assign_department",
    "rectification_verify",
    "required_deposit",
    "wage_record_save",
    "warning_case_defaults",
    "warning_dispose",
    "warning_open_case",
    "warnings_evaluate",
]
