"""The roles a user holds. Its own module below the models: the permission rules
(arrears/permissions.py) read roles, and the User model asks those rules, so neither may import
the other's module for the roles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # The province office (省根治欠薪办) and province leaders see every city.
    PROVINCE_OFFICE = "province_office", _("省根治欠薪办")
    PROVINCE_LEADER = "province_leader", _("省领导")
    CITY_OFFICE = "city_office", _("市根治欠薪办")
    CITY_LEADER = "city_leader", _("市领导")
    COUNTY_OFFICIAL = "county_official", _("县（区）负责人")
    DEPARTMENT_OFFICIAL = "department_official", _("部门负责人")
    INSPECTOR = "inspector", _("劳动监察员")
    DUTY_OFFICER = "duty_officer", _("值班员/窗口受理员")
    INTEGRATION_CLIENT = "integration_client", _("接口客户端")
    # 三员分立 (等保 level 3): three administrators whose duties do not overlap, none of whom
    # sees case data by role: users, reference data and configuration; roles, unlocks, API
    # keys and sessions; reading the audit trail (changes nothing).
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")
