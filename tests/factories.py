"""factory_boy factories for the shared building blocks."""

from __future__ import annotations

import factory

from arrears.models import County, Department, DepartmentKind, Level, Role, User


class CountyFactory(factory.django.DjangoModelFactory[County]):
    class Meta:
        model = County
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"3699{(n % 70) + 21:02d}")
    name = factory.Sequence(lambda n: f"测试县{n}")
    short_name = factory.LazyAttribute(lambda o: o.name[:-1])


class DepartmentFactory(factory.django.DjangoModelFactory[Department]):
    class Meta:
        model = Department

    county = factory.SubFactory(CountyFactory)
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
    password = factory.django.Password("pw-for-tests")

    class Params:
        city_office = factory.Trait(role=Role.CITY_OFFICE, is_staff=True)
