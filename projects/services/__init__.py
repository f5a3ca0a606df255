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
from .deposits import deposit_clocks_ensure, deposit_event_record, deposit_position
from .inspections import (
    FINE_ARTICLES,
    campaign_create,
    fine_range,
    fine_record,
    inspection_record,
    rectification_verify,
)
from .registry import (
    early_removal_problems,
    employer_listing_add,
    employer_listing_remove,
    listing_removal_decide,
    listing_removal_request,
    listings_expire,
    project_assign_department,
    required_deposit,
)
from .targeting import campaign_draw

__all__ = [
    "DISPOSITIONS",
    "FINE_ARTICLES",
    "campaign_create",
    "campaign_draw",
    "checklist_set",
    "conditions",
    "deposit_clocks_ensure",
    "deposit_event_record",
    "deposit_position",
    "early_removal_problems",
    "employer_listing_add",
    "employer_listing_remove",
    "fine_range",
    "fine_record",
    "inspection_record",
    "listing_removal_decide",
    "listing_removal_request",
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
