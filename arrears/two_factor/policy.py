"""Who must use two-factor sign-in, and who manages it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from arrears import config
from arrears.models import Role

# Always required, whatever the configuration says: the roles that see the whole city and the
# three administrators (等保 level 3 asks for two factors for administrators at least).
MANDATORY_ROLES = frozenset(
    {
        Role.PROVINCE_OFFICE,
        Role.PROVINCE_LEADER,
        Role.CITY_OFFICE,
        Role.CITY_LEADER,
        Role.SYSTEM_ADMIN,
        Role.SECURITY_ADMIN,
        Role.AUDIT_ADMIN,
    }
)
# Full ID and phone numbers are shown only with this permission (complaints.intake.services).
REVEAL_PERMISSION = "complaints.reveal_personal_data"

config.define(
    "auth.two_factor_roles",
    "str",
    "",
    _(
        "另外需要两步验证的角色（逗号分隔的角色代码，如 county_official,inspector；"
        "市欠薪办、市领导、管理员和可查看完整身份信息的用户始终需要）"
    ),
    source="网络安全等级保护基本要求（GB/T 22239-2019）第三级 身份鉴别",
)


def configured_roles() -> frozenset[str]:
    raw = str(config.get("auth.two_factor_roles"))
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def required_for(user: Any) -> bool:
    """Whether `user` must sign in with a second factor (enrolment is forced if they have none)."""
    if not user.is_authenticated or user.role == Role.INTEGRATION_CLIENT:
        # Machine users never sign in with a password; they use API keys.
        return False
    if user.is_superuser or user.is_staff or user.role in MANDATORY_ROLES:
        # Staff open the admin site, which edits users and configuration: administrators.
        return True
    if user.role in configured_roles():
        return True
    return bool(user.has_perm(REVEAL_PERMISSION))


def can_reset(user: Any) -> bool:
    """Only the security administrator resets another person's two-factor sign-in (三员分立)."""
    return bool(user.is_authenticated and user.role == Role.SECURITY_ADMIN)


# The authenticator secret (hex, as django-otp stores it) of every demo user who must sign in
# with two factors: published like the password, so it protects nothing and exists in demo data
# only. scripts/smoke_prod_browser.py computes its codes (kept equal by a test); with
# ARREARS_DEMO (local settings) a demo user holding it is verified at login without a code.
DEMO_TOTP_KEY = "617272656172732064656d6f20746f7470203236"
