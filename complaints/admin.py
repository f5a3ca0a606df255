"""Admin for the intake's reference data: integration clients and their keys, routing rules;
read-only views of complaints, reveals and callbacks."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from arrears.identifiers import mask_phone
from complaints.api.authentication import api_key_issue, api_key_revoke
from complaints.models import (
    ApiKey,
    CallbackDelivery,
    Complaint,
    IntegrationClient,
    RevealLog,
    RoutingKeyword,
)


@admin.register(IntegrationClient)
class IntegrationClientAdmin(admin.ModelAdmin):
    list_display = ["name", "channel", "rate", "callback_url", "is_active"]
    actions = ["issue_key"]

    @admin.action(description=_("签发新的接口密钥（只显示一次）"))
    def issue_key(self, request: HttpRequest, queryset: QuerySet[IntegrationClient]) -> None:
        for client in queryset:
            key = api_key_issue(client=client, label=f"admin:{request.user}")
            self.message_user(request, f"{client}: {key}", messages.WARNING)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["client", "prefix", "label", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["client", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # keys are issued from the client's page, so the key is shown once

    @admin.action(description=_("吊销所选密钥"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset:
            api_key_revoke(key=key)


@admin.register(RoutingKeyword)
class RoutingKeywordAdmin(admin.ModelAdmin):
    list_display = ["keyword", "county", "note"]
    list_filter = ["county"]
    search_fields = ["keyword"]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Complaint)
class ComplaintAdmin(ReadOnly):
    list_display = [
        "tracking_no",
        "channel",
        "received_at",
        "employer_name",
        "masked_phone",
        "county",
        "department",
        "status",
    ]
    list_filter = ["status", "channel", "county"]
    search_fields = ["tracking_no", "external_id", "employer_name"]
    exclude = ["complainant_phone", "complainant_id_number"]  # personal data: masked only

    @admin.display(description=_("联系电话"))
    def masked_phone(self, obj: Complaint) -> str:
        return mask_phone(obj.complainant_phone)


@admin.register(RevealLog)
class RevealLogAdmin(ReadOnly):
    list_display = ["at", "user", "complaint", "field", "ip"]


@admin.register(CallbackDelivery)
class CallbackDeliveryAdmin(ReadOnly):
    list_display = ["created_at", "client", "complaint", "state", "attempts", "last_status"]
    list_filter = ["state", "client"]
