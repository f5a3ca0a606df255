"""Admin for the project registries (reference data for officers)."""

from django.contrib import admin
from django.http import HttpRequest

from projects.models import (
    Campaign,
    ChecklistItem,
    Employer,
    EmployerListing,
    Finding,
    Fine,
    Inspection,
    MonthlyWageRecord,
    Project,
    ProjectParty,
    Warning,
)


class PartyInline(admin.TabularInline):
    model = ProjectParty
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "county", "industry", "investment_type", "status"]
    list_filter = ["county", "industry", "investment_type", "status"]
    search_fields = ["code", "name"]
    inlines = [PartyInline]


@admin.register(Employer)
class EmployerAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "legal_representative"]
    search_fields = ["name", "credit_code"]


@admin.register(EmployerListing)
class EmployerListingAdmin(admin.ModelAdmin):
    list_display = ["employer", "kind", "listed_on", "expires_on", "removed_on"]
    list_filter = ["kind"]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ["project", "item", "state", "verified_on", "verified_by"]
    list_filter = ["item", "state"]


@admin.register(MonthlyWageRecord)
class MonthlyWageRecordAdmin(admin.ModelAdmin):
    list_display = [
        "project",
        "month",
        "labour_cost_paid_in",
        "workers_on_roll",
        "workers_paid",
        "amount_paid",
        "source",
    ]


@admin.register(Warning)
class WarningAdmin(admin.ModelAdmin):
    list_display = ["project", "rule", "level", "department", "state", "opened_at"]
    list_filter = ["rule", "level", "state"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on", "scope_note"]


class FindingInline(admin.TabularInline):
    model = Finding
    extra = 0


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ["project", "inspected_on", "inspector", "campaign"]
    list_filter = ["campaign", "county"]
    inlines = [FindingInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # through the inspection page, so rectification clocks start


@admin.register(Fine)
class FineAdmin(admin.ModelAdmin):
    list_display = ["inspection", "article", "amount", "decided_on"]
