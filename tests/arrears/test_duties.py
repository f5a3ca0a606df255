"""三员分立: the system, security and audit administrators each do their own work and are
refused the others' — in the permission functions, in every admin screen, and in the user
admin field by field; the superuser's use is alerted."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.test import Client, RequestFactory

from arrears import demo, permissions, superuser
from arrears.models import County, Department, Notification, Role, User
from arrears.scoping import scope_of
from tests.factories import CityFactory, CountyFactory, DepartmentFactory, UserFactory

ADMIN_ROLES = [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN]


@dataclass(frozen=True)
class Staff:
    """The three administrators (system, security, audit), business staff and a superuser.
    Tests parametrized by who acts name the person ("sys") and take them with `of`."""

    sys: User
    sec: User
    aud: User
    office: User
    inspector: User
    root: User
    county: County
    department: Department

    def of(self, name: str) -> User:
        person = getattr(self, name)
        assert isinstance(person, User), name
        return person


@pytest.fixture
def staff(db: Any) -> Staff:
    county = CountyFactory.create(code="369911", name="南岸区")
    department = DepartmentFactory.create(county=county)
    return Staff(
        sys=UserFactory.create(role=Role.SYSTEM_ADMIN, is_staff=True, username="sysadmin"),
        sec=UserFactory.create(role=Role.SECURITY_ADMIN, is_staff=True, username="secadmin"),
        aud=UserFactory.create(role=Role.AUDIT_ADMIN, is_staff=True, username="auditor"),
        office=UserFactory.create(city_office=True, username="office"),
        inspector=UserFactory.create(
            role=Role.INSPECTOR, county=county, department=department, username="insp"
        ),
        root=UserFactory.create(
            role=Role.CITY_OFFICE, is_staff=True, is_superuser=True, username="root"
        ),
        county=county,
        department=department,
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- The permission functions ----------------------------------------------------------------

DUTY_FUNCTIONS = {
    "can_manage_users": {Role.SYSTEM_ADMIN},
    "can_manage_reference_data": {Role.SYSTEM_ADMIN},
    "can_manage_config": {Role.SYSTEM_ADMIN},
    "can_assign_roles": {Role.SECURITY_ADMIN},
    "can_unlock": {Role.SECURITY_ADMIN},
    "can_manage_api_keys": {Role.SECURITY_ADMIN},
    "can_end_sessions": {Role.SECURITY_ADMIN},
    "can_read_audit": {Role.AUDIT_ADMIN},
}


@pytest.mark.parametrize("function", sorted(DUTY_FUNCTIONS))
def test_each_duty_belongs_to_one_administrator(staff: Staff, function: str) -> None:
    check = getattr(permissions, function)
    for key in ("sys", "sec", "aud", "office", "inspector"):
        user = staff.of(key)
        assert check(user) is (user.role in DUTY_FUNCTIONS[function]), (function, user.role)
    # The superuser holds every duty (installation), an inactive administrator none.
    assert check(staff.root)
    owner = next(k for k in ("sys", "sec", "aud") if staff.of(k).role in DUTY_FUNCTIONS[function])
    staff.of(owner).is_active = False
    assert not check(staff.of(owner))


def test_duties_do_not_overlap() -> None:
    seen: set[str] = set()
    for duties in permissions.DUTIES.values():
        assert not duties & seen
        seen |= duties


def test_calendar_is_reference_data_and_city_office_work(staff: Staff) -> None:
    assert permissions.can_edit_calendar(staff.office)
    assert permissions.can_edit_calendar(staff.sys)
    for key in ("sec", "aud", "inspector"):
        response = _client(staff.of(key)).post("/calendar/2026/day/", {"date": "2026-05-06"})
        assert response.status_code == 403, key


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_administrators_see_no_case_data_wherever_bound(staff: Staff, role: str) -> None:
    user = UserFactory.create(role=role, county=staff.county, department=staff.department)
    assert scope_of(user).nothing


def test_an_account_without_a_role_sees_nothing(staff: Staff) -> None:
    user = UserFactory.create(role="", county=staff.county)
    assert scope_of(user).nothing


# --- The admin, screen by screen -------------------------------------------------------------

# What each administrator may do in the admin: model label -> actions. Everything else in the
# admin registry is refused, so a model registered later is closed until given to a duty.
EXPECTED: dict[str, dict[str, set[str]]] = {
    Role.SYSTEM_ADMIN: {
        "arrears.user": {"view", "add", "change"},
        "arrears.city": {"view", "add", "change", "delete"},
        "arrears.county": {"view", "add", "change", "delete"},
        "arrears.department": {"view", "add", "change", "delete"},
        "arrears.industry": {"view", "add", "change", "delete"},
        "arrears.calendaryear": {"view", "change"},
        "arrears.calendarday": {"view", "change"},
        "arrears.configvalue": {"view", "add", "change", "delete"},
        "reporting.assessmentscheme": {"view", "add", "change", "delete"},
        "reporting.assessmentindicator": {"view", "add", "change", "delete"},
        "complaints.routingkeyword": {"view", "add", "change", "delete"},
    },
    Role.SECURITY_ADMIN: {
        "arrears.user": {"view", "change"},
        "auth.group": {"view", "add", "change", "delete"},
        "complaints.integrationclient": {"view", "add", "change"},
        "complaints.apikey": {"view", "change"},
        "axes.accessattempt": {"view", "delete"},
    },
    Role.AUDIT_ADMIN: {
        "arrears.user": {"view"},
        "arrears.auditevent": {"view"},
        "arrears.securityevent": {"view"},
        "complaints.reveallog": {"view"},
        "axes.accesslog": {"view"},
        "axes.accessfailurelog": {"view"},
    },
}


def _allowed(model_admin: admin.ModelAdmin, request: Any) -> set[str]:
    return {
        action
        for action in ("view", "add", "change", "delete")
        if getattr(model_admin, f"has_{action}_permission")(request)
    }


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_every_admin_screen_follows_the_duty_table(staff: Staff, role: str) -> None:
    user = staff.of({Role.SYSTEM_ADMIN: "sys", Role.SECURITY_ADMIN: "sec"}.get(Role(role), "aud"))
    request = RequestFactory().get("/admin/")
    request.user = user
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        # The admin's own checks stack on the table (read-only screens refuse more).
        assert _allowed(model_admin, request) <= EXPECTED[role].get(label, set()), label
        if label not in EXPECTED[role]:
            assert not model_admin.has_module_permission(request) or any(
                other.startswith(model._meta.app_label + ".") for other in EXPECTED[role]
            ), label


def test_audit_admin_changes_nothing(staff: Staff) -> None:
    request = RequestFactory().post("/admin/")
    request.user = staff.aud
    for model, model_admin in admin.site._registry.items():
        for action in ("add", "change", "delete"):
            assert not getattr(model_admin, f"has_{action}_permission")(request), (model, action)
    client = _client(staff.aud)
    assert client.get("/admin/arrears/auditevent/").status_code == 200
    assert client.get("/admin/complaints/reveallog/").status_code == 200
    target = staff.inspector
    response = client.post(f"/admin/arrears/user/{target.pk}/change/", {"display_name": "x"})
    assert response.status_code == 403
    assert client.post("/admin/arrears/county/add/", {"code": "369912"}).status_code == 403


# Pages an administrator is refused, answered as the admin does: 403 for a model screen.
REFUSED = {
    "sys": [
        "/admin/complaints/apikey/",
        "/admin/complaints/integrationclient/",
        "/admin/arrears/auditevent/",
        "/admin/complaints/reveallog/",
        "/admin/complaints/complaint/",
        "/admin/auth/group/",
    ],
    "sec": [
        "/admin/arrears/county/",
        "/admin/arrears/configvalue/",
        "/admin/arrears/configvalue/add/",
        "/admin/complaints/routingkeyword/",
        "/admin/arrears/auditevent/",
        "/admin/complaints/reveallog/",
        "/admin/complaints/complaint/",
        "/admin/arrears/user/add/",
    ],
    "aud": [
        "/admin/arrears/county/",
        "/admin/arrears/configvalue/",
        "/admin/complaints/apikey/",
        "/admin/complaints/integrationclient/",
        "/admin/complaints/complaint/",
        "/admin/arrears/user/add/",
    ],
}
ALLOWED = {
    "sys": [
        "/admin/",
        "/admin/arrears/user/",
        "/admin/arrears/user/add/",
        "/admin/arrears/county/",
        "/admin/arrears/configvalue/add/",
        "/admin/complaints/routingkeyword/",
        "/admin/arrears/calendarday/",
    ],
    "sec": [
        "/admin/",
        "/admin/arrears/user/",
        "/admin/auth/group/",
        "/admin/complaints/apikey/",
        "/admin/complaints/integrationclient/",
    ],
    "aud": [
        "/admin/",
        "/admin/arrears/user/",
        "/admin/arrears/auditevent/",
        "/admin/complaints/reveallog/",
    ],
}


@pytest.mark.parametrize("key", ["sys", "sec", "aud"])
def test_admin_pages_of_another_duty_are_refused(staff: Staff, key: str) -> None:
    client = _client(staff.of(key))
    for url in ALLOWED[key]:
        assert client.get(url).status_code == 200, url
    for url in REFUSED[key]:
        assert client.get(url).status_code == 403, url


def test_groups_cannot_widen_a_duty(staff: Staff) -> None:
    # given a group that would let its members read complaints and reveal identifiers
    group = Group.objects.create(name="误配的组")
    group.permissions.set(
        Permission.objects.filter(
            codename__in=["view_complaint", "reveal_personal_data", "view_apikey"]
        )
    )
    staff.sys.groups.add(group)
    user = User.objects.get(pk=staff.sys.pk)  # fresh: no cached permissions
    # then the system administrator still holds only its duties
    assert not user.has_perm("complaints.view_complaint")
    assert not user.has_perm("complaints.reveal_personal_data")
    assert not user.has_perm("complaints.view_apikey")
    assert user.has_perm("arrears.change_county")
    assert _client(user).get("/admin/complaints/complaint/").status_code == 403


# --- The user admin, field by field ----------------------------------------------------------


def _change_data(user: User, **overrides: Any) -> dict[str, Any]:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "display_name": user.display_name,
        "phone": user.phone,
        "county": user.county_id or "",
        "department": user.department_id or "",
        "role": user.role,
        "is_staff": "on" if user.is_staff else "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


def test_system_admin_edits_accounts_but_cannot_change_roles(staff: Staff) -> None:
    target = staff.inspector
    client = _client(staff.sys)
    # when the system administrator edits an inspector and tries to make them city office
    response = client.post(
        f"/admin/arrears/user/{target.pk}/change/",
        _change_data(target, display_name="新名字", role=Role.CITY_OFFICE, is_staff="on"),
    )
    # then the name changed and the role and access did not
    assert response.status_code == 302, response.content.decode()[:2000]
    target.refresh_from_db()
    assert target.display_name == "新名字"
    assert target.role == Role.INSPECTOR
    assert not target.is_staff


def test_system_admin_creates_accounts_without_a_role(staff: Staff) -> None:
    client = _client(staff.sys)
    page = client.get("/admin/arrears/user/add/").content.decode()
    assert 'name="role"' not in page
    response = client.post(
        "/admin/arrears/user/add/",
        {
            "username": "newbie",
            "usable_password": "true",
            "password1": "Zq8!long-enough-pw",
            "password2": "Zq8!long-enough-pw",
            "display_name": "新同事",
            "county": staff.county.pk,
            "role": Role.CITY_OFFICE,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    created = User.objects.get(username="newbie")
    assert created.role == ""
    assert scope_of(created).nothing  # nothing until the security administrator gives a role


def test_system_admin_cannot_touch_administrators_accounts(staff: Staff) -> None:
    client = _client(staff.sys)
    for key in ("sec", "aud", "root"):
        target = staff.of(key)
        assert client.get(f"/admin/arrears/user/{target.pk}/change/").status_code == 200
        response = client.post(
            f"/admin/arrears/user/{target.pk}/change/", _change_data(target, is_active="")
        )
        assert response.status_code == 403, key
        assert client.get(f"/admin/arrears/user/{target.pk}/password/").status_code == 403, key
        target.refresh_from_db()
        assert target.is_active
    # An ordinary account's password may be reset by the system administrator.
    assert client.get(f"/admin/arrears/user/{staff.inspector.pk}/password/").status_code == 200


def test_security_admin_changes_the_role_and_nothing_personal(staff: Staff) -> None:
    target = staff.inspector
    client = _client(staff.sec)
    response = client.post(
        f"/admin/arrears/user/{target.pk}/change/",
        _change_data(target, role=Role.DEPARTMENT_OFFICIAL, display_name="改名", is_active=""),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    target.refresh_from_db()
    assert target.role == Role.DEPARTMENT_OFFICIAL
    assert target.display_name != "改名"
    assert target.is_active
    # nor resets a password
    assert client.get(f"/admin/arrears/user/{target.pk}/password/").status_code == 403


def test_security_admin_gives_administrator_roles_with_admin_access(
    staff: Staff,
) -> None:
    target = UserFactory.create(role="", username="fresh")
    response = _client(staff.sec).post(
        f"/admin/arrears/user/{target.pk}/change/",
        _change_data(target, role=Role.AUDIT_ADMIN),
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.role == Role.AUDIT_ADMIN and target.is_staff


def test_a_role_needing_a_county_is_refused_on_the_form(staff: Staff) -> None:
    # The county is the system administrator's field; without it the role cannot be given,
    # and the form says so instead of the database refusing the row.
    target = UserFactory.create(role="", username="nocounty")
    response = _client(staff.sec).post(
        f"/admin/arrears/user/{target.pk}/change/",
        _change_data(target, role=Role.COUNTY_OFFICIAL),
    )
    assert response.status_code == 200
    assert "县（区）负责人须属于一个县（区）" in response.content.decode()
    target.refresh_from_db()
    assert target.role == ""


def test_security_admin_cannot_change_own_role_or_a_superuser(staff: Staff) -> None:
    client = _client(staff.sec)
    for target in (staff.sec, staff.root):
        response = client.post(
            f"/admin/arrears/user/{target.pk}/change/",
            _change_data(target, role=Role.CITY_OFFICE),
        )
        assert response.status_code == 403
        target.refresh_from_db()
        assert target.role != Role.CITY_OFFICE or target == staff.root
    assert User.objects.get(pk=staff.sec.pk).role == Role.SECURITY_ADMIN


def test_the_demo_has_the_three_administrators(db: Any) -> None:
    rng = random.Random(1)
    org = demo.seed_organisation(rng)
    demo.seed_users(rng, org["counties"])
    admins = {u.username: u for u in User.objects.filter(role__in=ADMIN_ROLES)}
    assert {n: u.role for n, u in admins.items()} == {
        "sysadmin": Role.SYSTEM_ADMIN,
        "secadmin": Role.SECURITY_ADMIN,
        "auditor": Role.AUDIT_ADMIN,
    }
    for user in admins.values():
        assert user.is_staff and not user.is_superuser
        assert user.check_password(demo.DEMO_PASSWORD)
        assert scope_of(user).nothing


# --- The superuser: installation only, its use alerted ---------------------------------------


def _alerts() -> list[Notification]:
    return list(Notification.objects.filter(kind=superuser.KIND).order_by("pk"))


def test_superuser_login_alerts_security_admins_and_admins(
    staff: Staff, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.ADMINS = [("运维", "ops@example.gov.cn")]
    User.objects.filter(pk=staff.sec.pk).update(email="sec@example.gov.cn")
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/accounts/login/",
            {"username": "root", "password": "pw-for-tests"},
            REMOTE_ADDR="10.1.2.3",
        )
    assert response.status_code == 302
    alerts = _alerts()
    assert [a.recipient for a in alerts] == [staff.sec]
    assert alerts[0].urgent and "root" in alerts[0].title
    assert "10.1.2.3" in alerts[0].body
    assert alerts[0].deliveries.filter(channel="email").exists()
    # the security administrator's copy through the outbox, and ADMINS directly
    assert sorted(m.to[0] for m in mail.outbox) == ["ops@example.gov.cn", "sec@example.gov.cn"]
    assert all("root" in m.subject for m in mail.outbox)
    # An ordinary login alerts nobody.
    Client().post("/accounts/login/", {"username": "office", "password": "pw-for-tests"})
    assert len(_alerts()) == 1


def test_superuser_admin_changes_are_alerted(staff: Staff) -> None:
    client = _client(staff.root)
    before = len(_alerts())  # the login
    response = client.post(
        "/admin/arrears/county/add/",
        {"code": "369913", "name": "北山区", "sort_order": 0, "city": CityFactory.create().pk},
    )
    assert response.status_code == 302
    alerts = _alerts()[before:]
    assert len(alerts) == 1 and "北山区" in alerts[0].body
    # A deletion of several rows at once (logged in bulk) is alerted too.
    CountyFactory.create(code="369914", name="东山区")
    ids = list(County.objects.filter(code__in=["369913", "369914"]).values_list("pk", flat=True))
    response = client.post(
        "/admin/arrears/county/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    assert not County.objects.filter(pk__in=ids).exists()
    bulk = _alerts()[before + 1 :]
    assert len(bulk) == 1 and "2" in bulk[0].body


def test_administrators_changes_are_not_superuser_alerts(staff: Staff) -> None:
    response = _client(staff.sys).post(
        "/admin/arrears/county/add/",
        {"code": "369915", "name": "西山区", "sort_order": 0, "city": CityFactory.create().pk},
    )
    assert response.status_code == 302
    assert _alerts() == []


def test_deploy_check_warns_of_superusers(staff: Staff, time_machine: Any) -> None:
    time_machine.move_to(datetime.datetime(2031, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False)
    root = staff.root
    assert superuser.check_superusers(databases=None) == []  # no database: not checked
    # one superuser, not used lately: nothing to say
    assert superuser.check_superusers(databases=["default"]) == []
    # a second superuser
    UserFactory.create(username="root2", is_superuser=True)
    assert [m.id for m in superuser.check_superusers(databases=["default"])] == ["arrears.W101"]
    # and a login within the configured days
    User.objects.filter(pk=root.pk).update(
        last_login=datetime.datetime(2031, 2, 27, 9, 0, tzinfo=datetime.UTC)
    )
    ids = [m.id for m in superuser.check_superusers(databases=["default"])]
    assert ids == ["arrears.W101", "arrears.W102"]
    User.objects.filter(pk=root.pk).update(
        last_login=datetime.datetime(2031, 2, 1, 9, 0, tzinfo=datetime.UTC)
    )
    assert [m.id for m in superuser.check_superusers(databases=["default"])] == ["arrears.W101"]
