"""`case.pause_on_arbitration` became the closing clock's own rule among the per-kind pause
rules (`deadline.pause.case.close.arbitration`, arrears.deadlines): a value an administrator
stored, for the province or a city, keeps applying under the new name."""

from typing import Any

from django.db import migrations

OLD, NEW = "case.pause_on_arbitration", "deadline.pause.case.close.arbitration"


def rename(apps: Any, schema_editor: Any) -> None:
    apps.get_model("arrears", "ConfigValue").objects.filter(key=OLD).update(key=NEW)


def rename_back(apps: Any, schema_editor: Any) -> None:
    apps.get_model("arrears", "ConfigValue").objects.filter(key=NEW).update(key=OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("arrears", "0021_deadline_reminder_steps"),
        ("complaints", "0022_work_order_types"),
    ]

    operations = [migrations.RunPython(rename, rename_back)]
