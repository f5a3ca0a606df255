"""factory_boy factories for the shared building blocks."""

from __future__ import annotations

import factory

from arrears.models import City, County, Department, DepartmentKind, Level, Role, User

CITY_ROLES = (Role.CITY_OFFICE, Role.CITY_LEADER)


class CityFactory(factory.django.DjangoModelFactory[City]):
    """The home city by default (every test that names no city shares it); pass a code for
    another one."""

    class Meta:
        model = City
        django_get_or_create = ("code",)

    code = "369900"
    name = factory.LazyAttribute(
        lambda o: "江城市" if o.code == "369900" else f"测试市{o.code[2:4]}"
    )
    short_name = factory.LazyAttribute(lambda o: o.name[:-1])


class CountyFactory(factory.django.DjangoModelFactory[County]):
    class Meta:
        model = County
        django_get_or_create = ("code",)

    city = factory.SubFactory(CityFactory)

    code = factory.Sequence(lambda n: f"3699{(n % 70) + 21:02d}")
    name = factory.Sequence(lambda n: f"测试县{n}")
    short_name = factory.LazyAttribute(lambda o: o.name[:-1])


class DepartmentFactory(factory.django.DjangoModelFactory[Department]):
    class Meta:
        model = Department

    county = factory.SubFactory(CountyFactory)
    city = factory.LazyAttribute(lambda o: o.county.city if o.county else CityFactory())
    kind = DepartmentKind.HRSS
    level = factory.LazyAttribute(lambda o: Level.COUNTY if o.county else Level.CITY)
    name = factory.LazyAttribute(
        lambda o: f"{o.county.name if o.county else '市'}{DepartmentKind(o.kind).label}局"
    )


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.INSPECTOR
    # A city office or leader is the home city's unless told otherwise; anyone bound to a
    # county or department gets that unit's city when saved.
    city = factory.LazyAttribute(lambda o: CityFactory() if o.role in CITY_ROLES else None)
    password = factory.django.Password("pw-for-tests")

    class Params:
        city_office = factory.Trait(role=Role.CITY_OFFICE, is_staff=True)
