"""The Django admin, for reference data (counties, departments, industries, users, calendar,
configuration) and read-only inspection of the audit trail."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from arrears import config, services
from arrears.models import (
    AuditEvent,
    CalendarDay,
    CalendarYear,
    ConfigValue,
    County,
    Deadline,
    Department,
    Industry,
    MessageDelivery,
    Notification,
    User,
)

admin.site.site_header = _("根治欠薪案件管理系统")
admin.site.site_title = _("根治欠薪")


@admin.register(County)
class CountyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "short_name", "sort_order"]
    search_fields = ["code", "name"]


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_construction"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "level", "county"]
    list_filter = ["kind", "level", "county"]
    search_fields = ["name"]
    filter_horizontal = ["industries"]


@admin.register(User)
class ArrearsUserAdmin(UserAdmin):
    list_display = ["username", "display_name", "role", "county", "department", "is_active"]
    list_filter = ["role", "county", "is_active"]
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        (
            _("角色与数据范围"),
            {"fields": ("display_name", "phone", "role", "county", "department")},
        ),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (_("角色与数据范围"), {"fields": ("display_name", "role", "county", "department")}),
    )


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "status", "source", "loaded_at", "loaded_by"]
    readonly_fields = ["revision", "loaded_at", "loaded_by"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "is_workday", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # whole years are loaded on the calendar page

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        # Through the service, so the year's revision moves and deadlines are recomputed.
        services.calendar_day_set(day=obj.date, kind=obj.kind, name=obj.name, actor=request.user)  # type: ignore[arg-type]


class ConfigValueForm(forms.ModelForm):
    key = forms.ChoiceField(choices=[])

    class Meta:
        model = ConfigValue
        fields = ["key", "value", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = [  # type: ignore[attr-defined]
            (k, f"{k} — {s.label}（默认 {s.default}；{s.source}）")
            for k, s in sorted(config.REGISTRY.items())
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("key") in config.REGISTRY:
            config.REGISTRY[data["key"]].parse(data.get("value"))
        return data


@admin.register(ConfigValue)
class ConfigValueAdmin(admin.ModelAdmin):
    form = ConfigValueForm
    list_display = ["key", "value", "note", "updated_at", "updated_by"]

    def save_model(self, request: HttpRequest, obj: ConfigValue, form: Any, change: bool) -> None:
        services.config_set(key=obj.key, value=obj.value, note=obj.note, actor=request.user)  # type: ignore[arg-type]


@admin.register(Deadline)
class DeadlineAdmin(admin.ModelAdmin):
    list_display = ["kind", "content_type", "object_id", "due_date", "state", "provisional"]
    list_filter = ["state", "kind", "provisional"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "title", "created_at", "read_at"]
    list_filter = ["kind"]


@admin.register(MessageDelivery)
class MessageDeliveryAdmin(admin.ModelAdmin):
    """Read-only: states change only through the outbox (and its resend, on the log page)."""

    list_display = ["created_at", "channel", "masked_address", "subject", "state", "attempts"]
    list_filter = ["state", "channel"]
    # The raw address holds a phone number for SMS: shown masked only.
    exclude = ["address"]
    readonly_fields = ["masked_address"]
    actions = ["resend"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("发送地址"))
    def masked_address(self, obj: MessageDelivery) -> str:
        return obj.masked_address

    @admin.action(description=_("重发投递失败的消息"))
    def resend(self, request: HttpRequest, queryset: Any) -> None:
        from arrears.notifications import message_resend

        done = sum(message_resend(delivery=d) for d in queryset)
        self.message_user(request, _("已重新排队 %(n)s 条") % {"n": done})


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "actor_label", "action", "content_type", "object_repr", "bulk"]
    list_filter = ["action", "content_type", "bulk"]
    search_fields = ["actor_label", "object_id", "object_repr"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the trail is append-only
