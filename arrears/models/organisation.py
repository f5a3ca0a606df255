"""The organisation: the province (the deployment), its cities (地级市), their counties,
departments and the industries they supervise, and users with a role and a scope."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.audit import AuditedModel, AuditedQuerySet
from arrears.fields import PhoneField
from arrears.identifiers import validate_division_code
from arrears.permissions import admin_permissions, is_administrator
from arrears.roles import Role
from arrears.scoping import ScopePaths


class Level(models.TextChoices):
    CITY = "city", _("市级")
    COUNTY = "county", _("县（区）级")


class DepartmentKind(models.TextChoices):
    HRSS = "hrss", _("人力资源和社会保障")
    HOUSING = "housing", _("住房和城乡建设")
    TRANSPORT = "transport", _("交通运输")
    WATER = "water", _("水利")
    POLICE = "police", _("公安")
    JUSTICE = "justice", _("司法")
    PETITIONS = "petitions", _("信访")


class City(AuditedModel):
    """A prefecture-level city (地级市) of the province, identified by its division code. One
    deployment serves one province; a deployment for a single city has one row here."""

    code = models.CharField(
        _("行政区划代码"), max_length=6, unique=True, validators=[validate_division_code]
    )
    name = models.CharField(_("名称"), max_length=50, unique=True)
    short_name = models.CharField(
        _("简称"), max_length=20, blank=True, help_text=_("用于地址匹配，如“江城”")
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    scope_paths: ClassVar[ScopePaths] = ScopePaths(city="pk")

    class Meta:
        verbose_name = _("地级市")
        verbose_name_plural = _("地级市")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class County(AuditedModel):
    """A county or district of a city, identified by its administrative division code."""

    city = models.ForeignKey(
        City, verbose_name=_("地级市"), on_delete=models.PROTECT, related_name="counties"
    )
    code = models.CharField(
        _("行政区划代码"), max_length=6, unique=True, validators=[validate_division_code]
    )
    # Unique within its city only: two cities may both have a 城关区 or a 新区.
    name = models.CharField(_("名称"), max_length=50)
    short_name = models.CharField(
        _("简称"), max_length=20, blank=True, help_text=_("用于地址匹配，如“云岩”")
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    scope_paths: ClassVar[ScopePaths] = ScopePaths(county="pk", city="city")

    class Meta:
        verbose_name = _("县（区）")
        verbose_name_plural = _("县（区）")
        ordering = ["city__sort_order", "city__code", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["city", "name"], name="county_unique_name_per_city"),
        ]

    def __str__(self) -> str:
        return self.name


class Industry(AuditedModel):
    """An industry a department supervises (房屋建筑、交通、水利…); projects carry one."""

    code = models.SlugField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    is_construction = models.BooleanField(_("工程建设领域"), default=True)

    class Meta:
        verbose_name = _("行业")
        verbose_name_plural = _("行业")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Department(AuditedModel):
    """A department at city level (county empty) or in one county of the city."""

    kind = models.CharField(_("部门类别"), max_length=20, choices=DepartmentKind.choices)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    # Always set, for county-level departments too (their county's city, kept by save()):
    # a city's departments, of either level, are then one indexed condition.
    city = models.ForeignKey(
        City, verbose_name=_("地级市"), on_delete=models.PROTECT, related_name="departments"
    )
    county = models.ForeignKey(
        County,
        verbose_name=_("县（区）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="departments",
    )
    name = models.CharField(_("名称"), max_length=80)
    industries = models.ManyToManyField(
        Industry, verbose_name=_("主管行业"), blank=True, related_name="departments"
    )
    phone = PhoneField(_("联系电话"), blank=True)

    scope_paths: ClassVar[ScopePaths] = ScopePaths(county="county", department="pk", city="city")

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["city__sort_order", "city__code", "county__sort_order", "county__code", "kind"]
        constraints = [
            # A city-level department has no county, a county-level one has exactly one.
            models.CheckConstraint(
                name="department_level_matches_county",
                condition=(models.Q(level=Level.CITY, county__isnull=True))
                | (models.Q(level=Level.COUNTY, county__isnull=False)),
            ),
            # One department of each kind per county; nulls (city level) are distinct in SQL,
            # so the city level gets its own partial constraint, one of each kind per city.
            models.UniqueConstraint(
                fields=["county", "kind"], name="department_unique_kind_per_county"
            ),
            models.UniqueConstraint(
                fields=["city", "kind"],
                condition=models.Q(county__isnull=True),
                name="department_unique_kind_per_city",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A county-level department belongs to its county's city, whatever the form said.
        if self.county_id is not None:
            self.city_id = County.objects.values_list("city_id", flat=True).get(pk=self.county_id)
        super().save(*args, **kwargs)


class UserQuerySet(AuditedQuerySet["User"]):
    pass


class ArrearsUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser, AuditedModel):
    """A person (or a machine client) with one role; city/county/department fix what they may
    see."""

    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)
    # The city of a city office or city leader; for anyone bound to a county or department,
    # that unit's city (kept by save()). Province roles and superusers have none.
    city = models.ForeignKey(
        City,
        verbose_name=_("地级市"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    county = models.ForeignKey(
        County,
        verbose_name=_("县（区）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = PhoneField(_("手机号码"), blank=True)
    # Notifications are written in the recipient's language, not in that of whoever caused
    # them; set when the user switches language.
    language = models.CharField(
        _("语言"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # The password expiry clock (arrears.passwords): restarted by set_password. A new user's
    # clock starts when the account is made.
    password_changed_at = models.DateTimeField(_("密码修改时间"), default=timezone.now)
    # Demo users only, and honoured only where settings.ARREARS_DEMO is on (never in
    # production): the demo password is published, so it must not outlive the demo.
    password_expiry_exempt = models.BooleanField(_("密码不过期（仅演示）"), default=False)

    objects: ClassVar[ArrearsUserManager] = ArrearsUserManager()
    scope_paths: ClassVar[ScopePaths] = ScopePaths(
        county="county", department="department", city="city"
    )
    audit_exclude: ClassVar[frozenset[str]] = frozenset({"password", "last_login"})

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            # County officials are bound to a county; department staff to a department.
            models.CheckConstraint(
                name="user_county_official_has_county",
                condition=~models.Q(role="county_official") | models.Q(county__isnull=False),
            ),
            models.CheckConstraint(
                name="user_department_official_has_department",
                condition=~models.Q(role="department_official")
                | models.Q(department__isnull=False),
            ),
            # A city office or city leader sees one city: without it they would see nothing
            # (or, worse, be mistaken for the province). Superusers see everything anyway.
            models.CheckConstraint(
                name="user_city_role_has_city",
                condition=~models.Q(role__in=["city_office", "city_leader"])
                | models.Q(city__isnull=False)
                | models.Q(is_superuser=True),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_machine(self) -> bool:
        return self.role == Role.INTEGRATION_CLIENT

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Someone bound to a department or a county belongs to its city. (Not on the saves
        # that touch other fields only, such as last_login at every sign-in.)
        fields = kwargs.get("update_fields")
        if fields is not None and not {"county", "department", "city"} & set(fields):
            pass
        elif self.department_id is not None:
            self.city_id = Department.objects.values_list("city_id", flat=True).get(
                pk=self.department_id
            )
        elif self.county_id is not None:
            self.city_id = County.objects.values_list("city_id", flat=True).get(pk=self.county_id)
        super().save(*args, **kwargs)

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    # 三员分立: an administrator holds exactly the permissions of their duties
    # (arrears.permissions.ADMIN_MODELS), whatever groups or per-user grants say, so the Django
    # admin and every `has_perm` check follow the one table. Other users, and superusers,
    # keep Django's rules. (Imported here: arrears.permissions imports the models.)
    def has_perm(self, perm: str, obj: Any = None) -> bool:
        if is_administrator(self):
            return perm in admin_permissions(self)
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        if is_administrator(self):
            return any(p.startswith(app_label + ".") for p in admin_permissions(self))
        return super().has_module_perms(app_label)

    def get_all_permissions(self, obj: Any = None) -> set[str]:
        if is_administrator(self):
            return set(admin_permissions(self))
        return super().get_all_permissions(obj)
