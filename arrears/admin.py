"""The Django admin, for reference data (counties, departments, industries, users, calendar,
configuration) and read-only inspection of the audit trail."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.actions import delete_selected
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from arrears import config, permissions, services, superuser
from arrears.models import (
    AuditEvent,
    CalendarDay,
    CalendarYear,
    City,
    ConfigValue,
    County,
    Deadline,
    Department,
    Industry,
    MessageDelivery,
    Notification,
    Role,
    SecurityEvent,
    User,
)
from arrears.notifications import message_resend

admin.site.site_header = _("根治欠薪案件管理系统")
admin.site.site_title = _("根治欠薪")


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "short_name", "sort_order"]
    search_fields = ["code", "name"]


@admin.register(County)
class CountyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city", "short_name", "sort_order"]
    list_filter = ["city"]
    search_fields = ["code", "name"]


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_construction"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "level", "city", "county"]
    list_filter = ["kind", "level", "city"]
    search_fields = ["name"]
    filter_horizontal = ["industries"]


class ArrearsUserChangeForm(UserChangeForm):
    def clean(self) -> dict[str, Any]:
        # The role's binding constraints name fields one administrator may change and another
        # may not (role vs county/department); the model check would skip a constraint whose
        # fields are read-only here, and the database would then refuse the row with a 500.
        data = super().clean() or {}
        role = data.get("role", self.instance.role)
        city = data.get("city", self.instance.city)
        county = data.get("county", self.instance.county)
        department = data.get("department", self.instance.department)
        if role in (Role.CITY_OFFICE, Role.CITY_LEADER) and city is None:
            raise forms.ValidationError(
                _("市根治欠薪办和市领导须属于一个地级市，请先由系统管理员设置")
            )
        if county is not None and city is not None and county.city_id != city.pk:
            raise forms.ValidationError(_("所选县（区）不属于所选地级市"))
        if role == Role.COUNTY_OFFICIAL and county is None:
            raise forms.ValidationError(_("县（区）负责人须属于一个县（区），请先由系统管理员设置"))
        if role == Role.DEPARTMENT_OFFICIAL and department is None:
            raise forms.ValidationError(_("部门负责人须属于一个部门，请先由系统管理员设置"))
        return data


# 三员分立 in the user admin: who may change which fields (arrears.permissions decides whether).
ROLE_FIELDS = ("role", "is_staff", "groups", "user_permissions")
ACCOUNT_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "is_active",
    "display_name",
    "phone",
    "city",
    "county",
    "department",
)


@admin.register(User)
class ArrearsUserAdmin(UserAdmin):
    form = ArrearsUserChangeForm
    list_display = ["username", "display_name", "role", "city", "county", "department", "is_active"]
    list_filter = ["role", "city", "is_active"]

    def _duty_fields(self, request: HttpRequest, obj: User | None) -> set[str]:
        """The fields an administrator may change on `obj` (None: a new account)."""
        actor = request.user
        fields: set[str] = set()
        if obj is None or permissions.can_edit_account(actor, obj):
            fields.update(ACCOUNT_FIELDS)
            if obj is None:
                fields.update({"usable_password", "password1", "password2"})
        if obj is not None and permissions.can_assign_role_to(actor, obj):
            fields.update(ROLE_FIELDS)
        return fields

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if not permissions.is_administrator(request.user):
            return fieldsets
        if obj is None:
            # A new account gets its role from the security administrator, not its creator.
            return [
                (name, {**opts, "fields": [f for f in opts["fields"] if f not in ROLE_FIELDS]})
                for name, opts in fieldsets
            ]
        if not permissions.can_edit_account(request.user, obj):
            # Only those who may set a password see the link to do so.
            return [
                (name, {**opts, "fields": [f for f in opts["fields"] if f != "password"]})
                for name, opts in fieldsets
            ]
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if not permissions.is_administrator(request.user):
            return readonly
        editable = self._duty_fields(request, obj)
        shown = [f for _name, opts in self.get_fieldsets(request, obj) for f in opts["fields"]]
        return readonly + [f for f in shown if f not in editable and f != "password"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None or not permissions.is_administrator(request.user):
            return allowed
        # Without a field to change here the page is shown read-only (view permission).
        return bool(self._duty_fields(request, obj))

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        target = self.get_object(request, id)
        if (
            target is not None
            and permissions.is_administrator(request.user)
            and not permissions.can_edit_account(request.user, target)
        ):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # The three administrators work in the admin: their role is what gives them access.
        if obj.role in permissions.ADMIN_ROLES:
            obj.is_staff = True
        super().save_model(request, obj, form, change)

    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        (
            _("角色与数据范围"),
            {"fields": ("display_name", "phone", "role", "city", "county", "department")},
        ),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (_("角色与数据范围"), {"fields": ("display_name", "role", "city", "county", "department")}),
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
        fields = ["key", "city", "value", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = [  # type: ignore[attr-defined]
            (k, f"{k} — {s.label}（默认 {s.default}；{s.source}）")
            for k, s in sorted(config.REGISTRY.items())
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        setting = config.REGISTRY.get(data.get("key", ""))
        if setting is not None:
            setting.validate(data.get("value"))
            if data.get("city") is not None and not setting.per_city:
                raise forms.ValidationError(_("该配置项全省统一，不能按市设置"))
        return data


@admin.register(ConfigValue)
class ConfigValueAdmin(admin.ModelAdmin):
    form = ConfigValueForm
    list_display = ["key", "city", "value", "note", "updated_at", "updated_by"]
    list_filter = ["city"]

    def save_model(self, request: HttpRequest, obj: ConfigValue, form: Any, change: bool) -> None:
        services.config_set(
            key=obj.key,
            value=obj.value,
            note=obj.note,
            actor=request.user,  # type: ignore[arg-type]
            city=obj.city,
        )


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


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Read-only, like the change trail (the audit administrator's duty; the /audit/ page has
    the filters, the export and the chain's state)."""

    list_display = ["occurred_at", "kind", "actor_label", "address", "object_repr", "result"]
    list_filter = ["kind", "result"]
    search_fields = ["actor_label", "address", "object_repr"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # append-only, chained (arrears/audit/chain.py)


def _delete_selected(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]
) -> HttpResponse | None:
    """Django's delete action, which also reports a superuser's bulk deletion: its log entries
    are written in bulk, without the signal arrears.superuser listens to."""
    count = queryset.count()
    response = delete_selected(modeladmin, request, queryset)
    if response is None:  # deleted (a response is the confirmation page or an error)
        superuser.bulk_deleted(user=request.user, model=queryset.model, count=count)
    return response


_delete_selected.short_description = delete_selected.short_description  # type: ignore[attr-defined]
_delete_selected.allowed_permissions = delete_selected.allowed_permissions  # type: ignore[attr-defined]
admin.site.disable_action("delete_selected")
admin.site.add_action(_delete_selected, "delete_selected")
