"""Phone numbers encrypted at rest (issue 12): users' and departments' phones and the address
of each queued e-mail/SMS copy (an SMS goes to a phone number). The columns become TEXT
here; the next migration encrypts the rows."""

from django.db import migrations

import arrears.fields


class Migration(migrations.Migration):
    dependencies = [
        ("arrears", "0011_two_factor_sms_device"),
    ]

    operations = [
        migrations.AlterField(
            model_name="department",
            name="phone",
            field=arrears.fields.PhoneField(blank=True, max_length=30, verbose_name="联系电话"),
        ),
        migrations.AlterField(
            model_name="user",
            name="phone",
            field=arrears.fields.PhoneField(blank=True, max_length=30, verbose_name="手机号码"),
        ),
        migrations.AlterField(
            model_name="messagedelivery",
            name="address",
            field=arrears.fields.EncryptedCharField(max_length=254, verbose_name="发送地址"),
        ),
    ]
