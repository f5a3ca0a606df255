"""Employers' phone numbers encrypted at rest (issue 12): the column becomes TEXT here;
the next migration encrypts the rows."""

from django.db import migrations

import arrears.fields


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0003_warning_case"),
    ]

    operations = [
        migrations.AlterField(
            model_name="employer",
            name="phone",
            field=arrears.fields.PhoneField(blank=True, max_length=30, verbose_name="联系电话"),
        ),
    ]
