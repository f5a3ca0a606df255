# Two-factor sign-in: the SMS device (django-otp's SideChannelDevice with the project's SMS
# backend). The authenticator-app and recovery-code devices are django-otp's own tables.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import arrears.fields


class Migration(migrations.Migration):
    dependencies = [
        ("arrears", "0010_audit_append_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SmsDevice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(help_text="The human-readable name of this device.", max_length=64)),
                ("confirmed", models.BooleanField(default=True, help_text="Is this device ready for use?")),
                ("token", models.CharField(blank=True, max_length=16, null=True)),
                ("valid_until", models.DateTimeField(default=django.utils.timezone.now, help_text="The timestamp of the moment of expiry of the saved token.")),
                ("last_generated_timestamp", models.DateTimeField(blank=True, help_text="The last time a token was generated for this device.", null=True)),
                ("throttling_failure_timestamp", models.DateTimeField(blank=True, default=None, help_text="A timestamp of the last failed verification attempt. Null if last attempt succeeded.", null=True)),
                ("throttling_failure_count", models.PositiveIntegerField(default=0, help_text="Number of successive failed attempts.")),
                ("created_at", models.DateTimeField(auto_now_add=True, help_text="The date and time when this device was initially created in the system.", null=True)),
                ("last_used_at", models.DateTimeField(blank=True, help_text="The most recent date and time this device was used.", null=True)),
                ("phone", arrears.fields.PhoneField(max_length=30, verbose_name="手机号码")),
                ("user", models.ForeignKey(help_text="The user that this device belongs to.", on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "verbose_name": "短信验证设备",
                "verbose_name_plural": "短信验证设备",
            },
        ),
    ]
