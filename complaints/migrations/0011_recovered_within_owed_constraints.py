"""Recovered wages never exceed what is owed, nor workers paid the workers owed (0010 has
repaired the rows that did). Its own migration so PostgreSQL alters the table in a
transaction of its own, after the repair's updates and timeline inserts have committed."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("complaints", "0010_repair_recovered_over_owed_and_statuses")]

    operations = [
        migrations.AddConstraint(
            model_name="case",
            constraint=models.CheckConstraint(
                condition=models.Q(recovered_amount__lte=models.F("amount_owed")),
                name="case_recovered_within_owed",
            ),
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.CheckConstraint(
                condition=models.Q(workers_paid__lte=models.F("workers_owed")),
                name="case_workers_paid_within_owed",
            ),
        ),
    ]
