"""Reference data: the industries departments supervise and projects belong to."""

from django.db import migrations

from arrears.reference import INDUSTRIES, ensure_industries


def add(apps, schema_editor):
    ensure_industries(apps.get_model("arrears", "Industry"))


def remove(apps, schema_editor):
    apps.get_model("arrears", "Industry").objects.filter(
        code__in=[code for code, _name, _c in INDUSTRIES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("arrears", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
