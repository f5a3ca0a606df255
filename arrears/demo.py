"""The demo city (or, with `seed_demo --cities N`, a demo province of N cities): deterministic
organisation and users. Other apps add their data in their own `demo.py` (a `seed(rng,
options, stdout)` function), run by `manage.py seed_demo` in app order."""

from __future__ import annotations

import random
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django_otp.plugins.otp_totp.models import TOTPDevice

from arrears.models import City, County, Department, DepartmentKind, Industry, Level, Role, User
from arrears.reference import ensure_industries
from arrears.two_factor import policy, selectors

CITY = "江城市"
PROVINCE = "江南省"
DEMO_PASSWORD = "arrears-demo-2026"  # noqa: S105 - printed by seed_demo, demo data only
# The demo users' published authenticator secret (defined with the two-factor policy, which
# honours it only in the demo).
DEMO_TOTP_KEY = policy.DEMO_TOTP_KEY

# (code, name, short name). 3699xx is not an assigned prefecture code, so the demo city can
# never be mistaken for real data; the shape (province 36, district 0x, county 2x, city 81)
# follows GB/T 2260.
COUNTIES = [
    ("369902", "东湖区", "东湖"),
    ("369903", "西江区", "西江"),
    ("369904", "南岭区", "南岭"),
    ("369905", "北塘区", "北塘"),
    ("369906", "新港区", "新港"),
    ("369921", "青山县", "青山"),
    ("369922", "白水县", "白水"),
    ("369923", "石桥县", "石桥"),
    ("369924", "云溪县", "云溪"),
    ("369981", "临江市", "临江"),
]

# The other cities of a demo province: (prefecture code, name, short name). 3698xx–3686xx are
# unassigned like 3699xx (GB/T 2260), so no demo city can pass for a real one.
OTHER_CITIES = [
    ("369800", "云岭市", "云岭"),
    ("369700", "河阳市", "河阳"),
    ("369600", "松原坝市", "松原坝"),
    ("369500", "雁山市", "雁山"),
    ("369400", "梅溪市", "梅溪"),
    ("369300", "桐江市", "桐江"),
    ("369200", "凤岗市", "凤岗"),
    ("369100", "金川市", "金川"),
    ("369000", "玉屏山市", "玉屏山"),
    ("368900", "青崖市", "青崖"),
    ("368800", "石湾市", "石湾"),
    ("368700", "白鹭市", "白鹭"),
    ("368600", "长汀湖市", "长汀湖"),
    ("368500", "柳岸市", "柳岸"),
]
# Their counties: (code suffix, name). Several names recur from city to city, as 城关区 and
# 新区 do in real provinces: a county's name is unique within its city only.
OTHER_COUNTIES = [
    ("02", "城关区"),
    ("03", "新区"),
    ("04", "河东区"),
    ("05", "河西区"),
    ("21", "{s}县"),
    ("22", "东山县"),
    ("23", "南溪县"),
    ("81", "{s}北市"),
]

DEPARTMENT_NAMES = {
    DepartmentKind.HRSS: ("人力资源和社会保障局", ["non_construction", "other_construction"]),
    DepartmentKind.HOUSING: ("住房和城乡建设局", ["housing"]),
    DepartmentKind.TRANSPORT: ("交通运输局", ["transport"]),
    DepartmentKind.WATER: ("水利局", ["water"]),
    DepartmentKind.POLICE: ("公安局", []),
    DepartmentKind.JUSTICE: ("司法局", []),
    DepartmentKind.PETITIONS: ("信访局", []),
}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文斌海燕鹏飞宇浩然晨"


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _city_counties(code: str, short: str) -> list[tuple[str, str, str]]:
    """The counties of one of the other demo cities: (code, name, short name)."""
    out = []
    for suffix, pattern in OTHER_COUNTIES:
        name = pattern.format(s=short)
        out.append((code[:4] + suffix, name, name[:-1]))
    return out


def seed_organisation(rng: random.Random, cities: int = 1) -> dict[str, Any]:
    """The demo city — 江城市 and its ten counties — and, for a demo province, `cities` − 1
    more cities of eight counties each, every one with its departments at both levels."""
    ensure_industries(Industry)
    industries = {i.code: i for i in Industry.objects.all()}
    plan = [("369900", CITY, CITY[:-1], COUNTIES)] + [
        (code, name, short, _city_counties(code, short))
        for code, name, short in OTHER_CITIES[: max(cities, 1) - 1]
    ]
    counties: list[County] = []
    made: list[City] = []
    for city_order, (city_code, city_name, city_short, city_counties) in enumerate(plan):
        city, _ = City.objects.get_or_create(
            code=city_code,
            defaults={"name": city_name, "short_name": city_short, "sort_order": city_order},
        )
        made.append(city)
        own = []
        for order, (code, name, short) in enumerate(city_counties):
            county, _ = County.objects.get_or_create(
                code=code,
                defaults={"city": city, "name": name, "short_name": short, "sort_order": order},
            )
            own.append(county)
        for county in [None, *own]:
            prefix = city.name if county is None else county.name
            for kind, (suffix, industry_codes) in DEPARTMENT_NAMES.items():
                department, created = Department.objects.get_or_create(
                    city=city,
                    county=county,
                    kind=kind,
                    defaults={
                        "name": prefix + suffix,
                        "level": Level.CITY if county is None else Level.COUNTY,
                    },
                )
                if created:
                    department.industries.set([industries[c] for c in industry_codes])
        counties.extend(own)
    return {"counties": counties, "cities": made}


def seed_users(
    rng: random.Random, counties: list[County], cities: list[City] | None = None
) -> list[tuple[str, str, str]]:
    """One demo user per role (all with DEMO_PASSWORD) plus inspectors in every county; in a
    demo province also the province office and leader and each other city's office and
    leader."""
    first = counties[0]
    home = first.city
    city_hrss = Department.objects.get(city=home, county=None, kind=DepartmentKind.HRSS)
    first_hrss = Department.objects.get(county=first, kind=DepartmentKind.HRSS)
    first_housing = Department.objects.get(county=first, kind=DepartmentKind.HOUSING)
    demo = [
        # The superuser is for installation only (its logins alert the security administrator).
        ("admin", "超级管理员（仅用于安装）", Role.CITY_OFFICE, None, None, True),
        ("cityoffice", "市欠薪办 " + person_name(rng), Role.CITY_OFFICE, None, None, True),
        ("leader", "市领导 " + person_name(rng), Role.CITY_LEADER, None, None, False),
        (
            "county",
            f"{first.name}负责人 " + person_name(rng),
            Role.COUNTY_OFFICIAL,
            first,
            None,
            False,
        ),
        (
            "county2",
            f"{counties[1].name}负责人 " + person_name(rng),
            Role.COUNTY_OFFICIAL,
            counties[1],
            None,
            False,
        ),
        (
            "dept",
            f"{first_housing.name} " + person_name(rng),
            Role.DEPARTMENT_OFFICIAL,
            first,
            first_housing,
            False,
        ),
        ("inspector", f"监察员 {person_name(rng)}", Role.INSPECTOR, first, first_hrss, False),
        ("duty", f"值班员 {person_name(rng)}", Role.DUTY_OFFICER, None, city_hrss, False),
        ("hotline12345", "12345政务服务热线", Role.INTEGRATION_CLIENT, None, None, False),
        # 三员分立: the three administrators work in the admin and see no case data. Fixed
        # names: drawing them from rng would change every seeded name after them.
        ("sysadmin", "系统管理员", Role.SYSTEM_ADMIN, None, None, True),
        ("secadmin", "安全管理员", Role.SECURITY_ADMIN, None, None, True),
        ("auditor", "审计管理员", Role.AUDIT_ADMIN, None, None, True),
    ]
    others = [c for c in (cities or []) if c.pk != home.pk]
    if others:
        demo += [
            (
                "province",
                f"{PROVINCE}欠薪办 " + person_name(rng),
                Role.PROVINCE_OFFICE,
                None,
                None,
                True,
            ),
            (
                "provleader",
                f"{PROVINCE}领导 " + person_name(rng),
                Role.PROVINCE_LEADER,
                None,
                None,
                False,
            ),
        ]
    city_of = {"cityoffice": home, "leader": home}
    # One hash for every demo user: PBKDF2 is deliberately slow, once is enough for demo data.
    hashed = make_password(DEMO_PASSWORD)
    rows = []
    for city in others:
        for username, name, role in (
            (f"cityoffice-{city.code}", f"{city.name}欠薪办 " + person_name(rng), Role.CITY_OFFICE),
            (f"leader-{city.code}", f"{city.name}领导 " + person_name(rng), Role.CITY_LEADER),
        ):
            demo.append((username, name, role, None, None, role == Role.CITY_OFFICE))
            city_of[username] = city
    for username, name, role, county, department, staff in demo:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "display_name": name,
                "role": role,
                "city": city_of.get(username),
                "county": county,
                "department": department,
                "is_staff": staff,
                "is_superuser": username == "admin",
            },
        )
        if created:
            if role == Role.INTEGRATION_CLIENT:
                user.set_unusable_password()  # machine users authenticate with API keys
            else:
                user.password = hashed
            # The demo password is published (and written here as a hash, without the
            # validators): it may stay unchanged past the expiry only in the demo.
            user.password_expiry_exempt = settings.ARREARS_DEMO
            user.save(update_fields=["password", "password_expiry_exempt"])
        rows.append((username, str(Role(role).label), name))
    for county in counties:
        hrss = Department.objects.get(county=county, kind=DepartmentKind.HRSS)
        for n in range(1, 4):
            username = f"insp-{county.code}-{n}"
            if not User.objects.filter(username=username).exists():
                user = User(
                    username=username,
                    display_name=person_name(rng),
                    role=Role.INSPECTOR,
                    county=county,
                    department=hrss,
                    password_expiry_exempt=settings.ARREARS_DEMO,
                )
                user.password = hashed
                user.save()
    return rows


def seed_two_factor(usernames: list[str]) -> list[str]:
    """Enrol the demo users who must use two-factor sign-in (after every app granted its
    permissions: who may reveal personal data decides) with the demo secret; returns them."""

    enrolled = []
    for user in User.objects.filter(username__in=usernames).order_by("username"):
        if not policy.required_for(user):
            continue
        enrolled.append(user.username)
        if not selectors.has_confirmed_device(user):
            TOTPDevice.objects.create(
                user=user, name="演示身份验证器", key=DEMO_TOTP_KEY, confirmed=True
            )
    return enrolled
