"""API keys expire (keys issued before get a year from their issue), are rotated with an
overlap, record who issued and revoked them and where they were last used from; clients may
be held to a list of addresses."""

import datetime

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F

import complaints.models.integration


def expire_existing_keys(apps, schema_editor):
    # The default length of a key's life (complaints.api_key_days) counted from its issue; a
    # key older than that expires a week after this upgrade, not at once, so no client stops
    # working without warning.
    ApiKey = apps.get_model("complaints", "ApiKey")
    grace = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=7)
    for key in ApiKey.objects.filter(expires_at__isnull=True).only("pk", "created_at"):
        expires = max(key.created_at + datetime.timedelta(days=365), grace)
        ApiKey.objects.filter(pk=key.pk).update(expires_at=expires)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0014_encrypt_complainant_identifiers_rows"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="apikey",
            options={
                "ordering": ["client", "-created_at"],
                "verbose_name": "接口密钥",
                "verbose_name_plural": "接口密钥",
            },
        ),
        migrations.AlterField(
            model_name="apikey",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="签发时间"),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="last_used_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="最近使用时间"),
        ),
        migrations.AddField(
            model_name="apikey",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="签发人",
            ),
        ),
        migrations.AddField(
            model_name="apikey",
            name="revoked_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="吊销人",
            ),
        ),
        migrations.AddField(
            model_name="apikey",
            name="last_used_ip",
            field=models.GenericIPAddressField(blank=True, null=True, verbose_name="最近使用地址"),
        ),
        migrations.AddField(
            model_name="apikey",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="有效期至"),
        ),
        migrations.RunPython(expire_existing_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apikey",
            name="expires_at",
            field=models.DateTimeField(verbose_name="有效期至"),
        ),
        migrations.AddField(
            model_name="integrationclient",
            name="allowed_networks",
            field=models.TextField(
                blank=True,
                help_text="每行一个地址或网段（CIDR），如 10.12.0.0/16；留空为不限",
                validators=[complaints.models.integration.validate_networks],
                verbose_name="允许的调用地址",
            ),
        ),
        migrations.AddConstraint(
            model_name="apikey",
            constraint=models.CheckConstraint(
                condition=models.Q(("expires_at__gt", F("created_at"))),
                name="apikey_expires_after_created",
            ),
        ),
        migrations.AddConstraint(
            model_name="apikey",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("revoked_by__isnull", True), ("revoked_at__isnull", False), _connector="OR"
                ),
                name="apikey_revoked_has_time",
            ),
        ),
    ]
