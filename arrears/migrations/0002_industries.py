"""Reference data: the industries departments supervise and projects belong to."""

from django.db import migrations

INDUSTRIES = [
    ("housing", "房屋建筑和市政基础设施", True),
    ("transport", "交通运输工程", True),
    ("water", "水利工程", True),
    ("other_construction", "其他工程建设", True),
    ("non_construction", "非工程建设领域", False),
]


def add(apps, schema_editor):
    Industry = apps.get_model("arrears", "Industry")
    for code, name, construction in INDUSTRIES:
        Industry.objects.get_or_create(
            code=code, defaults={"name": name, "is_construction": construction}
        )


def remove(apps, schema_editor):
    apps.get_model("arrears", "Industry").objects.filter(
        code__in=[code for code, _name, _c in INDUSTRIES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("arrears", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
