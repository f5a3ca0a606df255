"""Existing data gets its cities: every county the city its division code names (the first four
digits, GB/T 2260), city-level departments and the city roles the one city there was. Before
this release a deployment served one city, so "the one city" is well defined; its name is a
placeholder the system administrator renames (its code is right)."""

from django.db import migrations
from django.db.models import OuterRef, Subquery

CITY_ROLES = ("city_office", "city_leader")


def forwards(apps, schema_editor):
    City = apps.get_model("arrears", "City")
    County = apps.get_model("arrears", "County")
    Department = apps.get_model("arrears", "Department")
    User = apps.get_model("arrears", "User")

    for county in County.objects.filter(city__isnull=True).order_by("code"):
        code = county.code[:4] + "00"
        city, _ = City.objects.get_or_create(code=code, defaults={"name": f"地级市 {code}"})
        county.city = city
        county.save(update_fields=["city"])

    needs_one = (
        Department.objects.filter(county__isnull=True, city__isnull=True).exists()
        or User.objects.filter(role__in=CITY_ROLES, city__isnull=True, is_superuser=False).exists()
    )
    only = City.objects.order_by("code").first()
    if only is None and needs_one:
        only = City.objects.create(code="000000", name="本市")

    Department.objects.filter(county__isnull=False).update(
        city=Subquery(County.objects.filter(pk=OuterRef("county_id")).values("city_id")[:1])
    )
    if only is not None:
        Department.objects.filter(county__isnull=True, city__isnull=True).update(city=only)
    User.objects.filter(department__isnull=False).update(
        city=Subquery(Department.objects.filter(pk=OuterRef("department_id")).values("city_id")[:1])
    )
    User.objects.filter(department__isnull=True, county__isnull=False).update(
        city=Subquery(County.objects.filter(pk=OuterRef("county_id")).values("city_id")[:1])
    )
    if only is not None:
        User.objects.filter(role__in=CITY_ROLES, city__isnull=True).update(city=only)


class Migration(migrations.Migration):
    dependencies = [("arrears", "0015_cities")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
