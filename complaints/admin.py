"""Admin for the intake's reference data: integration clients and their keys, routing rules;
read-only views of complaints, reveals and callbacks."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears import permissions
from arrears.identifiers import mask_phone
from complaints.integration.api_keys import api_key_issue, api_key_revoke, api_key_rotate
from complaints.models import (
    ApiKey,
    CallbackDelivery,
    ComplainantSms,
    Complaint,
    IntegrationClient,
    RevealLog,
    RoutingKeyword,
)

_KEY_STATES = {"active": _("有效"), "expired": _("已过期"), "revoked": _("已吊销")}


class ApiKeyDuty:
    """Key actions belong to the security administrator (三员分立), whoever else sees the list."""

    def has_api_keys_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_api_keys(request.user)


def _show_once(admin_: admin.ModelAdmin, request: HttpRequest, client: Any, key: str) -> None:
    admin_.message_user(
        request,
        _("%(client)s 的新密钥（只显示这一次，请立即交给对接系统）：%(key)s")
        % {"client": client, "key": key},
        messages.WARNING,
    )


class ApiKeyInline(admin.TabularInline):
    """A client's keys, old and new, on its page; read-only (keys change by actions only)."""

    model = ApiKey
    fields = (
        "prefix",
        "label",
        "state",
        "created_at",
        "expires_at",
        "last_used_at",
        "last_used_ip",
        "revoked_at",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("状态"))
    def state(self, obj: ApiKey) -> str:
        return str(_KEY_STATES[obj.state_at(timezone.now())])


@admin.register(IntegrationClient)
class IntegrationClientAdmin(ApiKeyDuty, admin.ModelAdmin):
    list_display = ["name", "channel", "rate", "callback_url", "allowed_networks", "is_active"]
    inlines = [ApiKeyInline]
    actions = ["issue_key"]

    @admin.action(description=_("签发新的接口密钥（只显示一次）"), permissions=["api_keys"])
    def issue_key(self, request: HttpRequest, queryset: QuerySet[IntegrationClient]) -> None:
        for client in queryset:
            key = api_key_issue(client=client, label=f"admin:{request.user}", actor=request.user)
            _show_once(self, request, client, key)


@admin.register(ApiKey)
class ApiKeyAdmin(ApiKeyDuty, admin.ModelAdmin):
    list_display = [
        "client",
        "prefix",
        "label",
        "state",
        "created_at",
        "expires_at",
        "last_used_at",
        "last_used_ip",
        "revoked_at",
        "revoked_by",
    ]
    list_filter = ["client"]
    readonly_fields = [
        "client",
        "prefix",
        "key_hash",
        "created_at",
        "created_by",
        "expires_at",
        "last_used_at",
        "last_used_ip",
        "revoked_at",
        "revoked_by",
    ]
    actions = ["rotate", "revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # keys are issued from the client's page, so the key is shown once

    @admin.display(description=_("状态"))
    def state(self, obj: ApiKey) -> str:
        return str(_KEY_STATES[obj.state_at(timezone.now())])

    @admin.action(
        description=_("轮换所选密钥（签发新密钥，旧密钥在过渡期后失效）"), permissions=["api_keys"]
    )
    def rotate(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset.select_related("client"):
            try:
                new, old = api_key_rotate(key=key, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{key}: {' '.join(exc.messages)}", messages.ERROR)
                continue
            _show_once(self, request, old.client, new)
            self.message_user(
                request,
                _("旧密钥 %(prefix)s… 继续有效至 %(at)s")
                % {
                    "prefix": old.prefix,
                    "at": timezone.localtime(old.expires_at).strftime("%Y-%m-%d %H:%M"),
                },
            )

    @admin.action(description=_("吊销所选密钥（立即失效）"), permissions=["api_keys"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        done = sum(api_key_revoke(key=key, actor=request.user) for key in queryset)
        self.message_user(request, _("已吊销 %(n)s 个密钥") % {"n": done})


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


@admin.register(ComplainantSms)
class ComplainantSmsAdmin(ReadOnly):
    """Read-only: the rows hold the text only; the phone is the complaint's (masked there)."""

    list_display = ["created_at", "complaint", "key", "state", "attempts", "last_error"]
    list_filter = ["state"]
