"""What a role may do (as opposed to what it may see, which is arrears.scoping)."""

from __future__ import annotations

from typing import Any

from arrears.roles import Role
from arrears.scoping import scope_of


def is_city_office(user: Any) -> bool:
    """The task-force office's duties (dispatch, campaigns, the message log…): a city's office
    within its city, the province office everywhere; what each sees is arrears.scoping's."""
    return bool(
        user.is_authenticated
        and (user.is_superuser or user.role in (Role.CITY_OFFICE, Role.PROVINCE_OFFICE))
    )


def is_province_office(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role == Role.PROVINCE_OFFICE))


def can_edit_calendar(user: Any) -> bool:
    """The working-day calendar is both: the city office enters the State Council's schedule
    (domain work it has always done), and it is reference data the system administrator
    keeps with counties and departments (docs/security.md says why both)."""
    return is_city_office(user) or can_manage_reference_data(user)


# Roles whose people sign for and handle complaints in a receiving unit (as
# complaints.permissions.HANDLING_ROLES, which the kernel may not import).
_HANDLING = frozenset({Role.INSPECTOR, Role.DEPARTMENT_OFFICIAL})


def menu_for(user: Any) -> dict[str, bool]:
    """Which parts of the navigation a user is shown: only what their role may use, so nobody
    follows a menu item to a refusal. The pages still check for themselves."""
    city = is_city_office(user)
    role = getattr(user, "role", "")
    return {
        "city_office": city,
        "sign": role in _HANDLING,
        "register": city or role in _HANDLING | {Role.DUTY_OFFICER},
        "admin": bool(user.is_staff),
        "city_settings": can_view_city_settings(user),
        # The administrators' own pages, each for its duty (三员分立, below).
        "audit": can_read_audit(user),
        "security": role == Role.SECURITY_ADMIN,
        "assessment": can_view_assessment(user),
    }


def can_view_assessment(user: Any) -> bool:
    """The assessment (考核) is of whole counties and cities: the offices and leaders of the
    province and the cities, and county officials (their own county); not a department's
    staff, whose scope is one department's records."""
    scope = scope_of(user)
    return not scope.nothing and scope.department_id is None and scope.department_kind is None


# --- Separation of duties (三员分立) -------------------------------------------------------
#
# Three administrators whose duties do not overlap; none sees case data by role (their scope
# is empty, arrears.scoping). A duty is what a page or an admin screen asks about; the Django
# model permissions each duty carries are listed once below, and for these three roles they
# are *all* the permissions there are: User.has_perm ignores groups and per-user grants for
# them, so a permission handed out by mistake cannot widen a duty. The superuser holds every
# duty; it is for installation only and its use is alerted (arrears.superuser).

USERS = "users"
ROLES = "roles"
REFERENCE_DATA = "reference_data"
CONFIG = "config"
API_KEYS = "api_keys"
UNLOCK = "unlock"
SESSIONS = "sessions"
AUDIT = "audit"

ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})

DUTIES: dict[str, frozenset[str]] = {
    Role.SYSTEM_ADMIN: frozenset({USERS, REFERENCE_DATA, CONFIG}),
    Role.SECURITY_ADMIN: frozenset({ROLES, UNLOCK, API_KEYS, SESSIONS}),
    Role.AUDIT_ADMIN: frozenset({AUDIT}),
}

_EDIT = ("view", "add", "change", "delete")

# Per duty: model label → the admin actions it allows. Labels of apps not installed (axes)
# are harmless. A new model an administrator should reach is added here, nowhere else.
ADMIN_MODELS: dict[str, dict[str, tuple[str, ...]]] = {
    # Accounts are deactivated, never deleted: the audit trail and cases point at them.
    USERS: {"arrears.user": ("view", "add", "change")},
    # Roles and permission groups; `role` is the only personal field it may change (admin).
    ROLES: {"arrears.user": ("view", "change"), "auth.group": _EDIT},
    REFERENCE_DATA: {
        "arrears.city": _EDIT,
        "arrears.county": _EDIT,
        "arrears.department": _EDIT,
        "arrears.industry": _EDIT,
        "complaints.routingkeyword": _EDIT,
        # Whole years are loaded on the calendar page; single days change through a service.
        "arrears.calendaryear": ("view", "change"),
        "arrears.calendarday": ("view", "change"),
    },
    CONFIG: {
        "arrears.configvalue": _EDIT,
        # The assessment's indicator sets and weights per year (reporting/assessment/).
        "reporting.assessmentscheme": _EDIT,
        "reporting.assessmentindicator": _EDIT,
    },
    # Keys are issued, rotated and revoked by admin actions; never typed in or deleted.
    API_KEYS: {
        "complaints.integrationclient": ("view", "add", "change"),
        "complaints.apikey": ("view", "change"),
    },
    # django-axes: deleting a lockout record is the unlock.
    UNLOCK: {"axes.accessattempt": ("view", "delete")},
    SESSIONS: {},
    # Reads only. Users are listed too, so an auditor can review who holds which role.
    AUDIT: {
        "arrears.auditevent": ("view",),
        "arrears.securityevent": ("view",),
        "complaints.reveallog": ("view",),
        "axes.accesslog": ("view",),
        "axes.accessfailurelog": ("view",),
        "arrears.user": ("view",),
    },
}


def _permissions_of(role: str) -> frozenset[str]:
    names: set[str] = set()
    for duty in DUTIES.get(role, frozenset()):
        for label, actions in ADMIN_MODELS[duty].items():
            app_label, model = label.split(".")
            names.update(f"{app_label}.{action}_{model}" for action in actions)
    return frozenset(names)


_ROLE_PERMISSIONS = {role: _permissions_of(role) for role in DUTIES}


def is_administrator(user: Any) -> bool:
    """One of the three administrative roles (the superuser is not one of them)."""
    return bool(getattr(user, "role", "") in ADMIN_ROLES and not user.is_superuser)


def admin_permissions(user: Any) -> frozenset[str]:
    """Every Django model permission ("app.action_model") an administrator holds."""
    if not user.is_active:
        return frozenset()
    return _ROLE_PERMISSIONS.get(user.role, frozenset())


def has_duty(user: Any, duty: str) -> bool:
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return False
    if user.is_superuser:
        return True
    return duty in DUTIES.get(user.role, frozenset())


def can_manage_users(user: Any) -> bool:
    """Create accounts, edit name, contact, county and department, deactivate (system admin)."""
    return has_duty(user, USERS)


def can_assign_roles(user: Any) -> bool:
    """Give or change a user's role and permission groups (security admin)."""
    return has_duty(user, ROLES)


def can_manage_reference_data(user: Any) -> bool:
    """Counties, departments, industries, routing rules, the calendar (system admin)."""
    return has_duty(user, REFERENCE_DATA)


def can_view_city_settings(user: Any) -> bool:
    """The page of what each city set for itself: the province office, which answers for
    the differences, and the configuration's administrator."""
    return is_province_office(user) or can_manage_config(user)


def can_manage_config(user: Any) -> bool:
    """Override configurable numbers (ConfigValue) (system admin)."""
    return has_duty(user, CONFIG)


def can_manage_api_keys(user: Any) -> bool:
    """Issue, rotate and revoke integration clients' keys; their address lists (security)."""
    return has_duty(user, API_KEYS)


def can_unlock(user: Any) -> bool:
    """Unlock an account or address locked after failed logins (security admin)."""
    return has_duty(user, UNLOCK)


def can_end_sessions(user: Any) -> bool:
    """End other users' sessions (security admin); everyone may end their own."""
    return has_duty(user, SESSIONS)


def can_read_audit(user: Any) -> bool:
    """Read the audit trail, the login log and the reveal log (audit admin; changes nothing)."""
    return has_duty(user, AUDIT)


def can_edit_account(actor: Any, target: Any) -> bool:
    """Whether `actor` may change `target`'s account (name, contact, county, department,
    active, password). An administrator's or superuser's account is changed only by a
    superuser: a system administrator who could reset the security administrator's password
    would hold both duties."""
    if not can_manage_users(actor):
        return False
    if actor.is_superuser:
        return True
    return not (target.is_superuser or target.role in ADMIN_ROLES)


def can_assign_role_to(actor: Any, target: Any) -> bool:
    """Whether `actor` may change `target`'s role: never their own (a security administrator
    could otherwise make themselves city office and read every case), never a superuser's."""
    if not can_assign_roles(actor):
        return False
    if actor.is_superuser:
        return True
    return not (target.pk == actor.pk or target.is_superuser)
