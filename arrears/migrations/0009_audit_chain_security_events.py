"""The audit trails' chain (issue 12): seq and mac on the change trail, the security events,
the archive and verification records; rows written before are chained here, in id order."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def chain_existing(apps, schema_editor):
    # The chain's code, not a copy: the MAC must be the one audit_verify recomputes.
    from arrears.audit.chain import chain_existing as chain

    chain(apps.get_model("arrears", "AuditEvent"), schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("arrears", "0008_admin_roles"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(null=True, verbose_name="序号"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="mac",
            field=models.CharField(default="", max_length=64, verbose_name="校验码"),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="操作人",
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="occurred_at",
            field=models.DateTimeField(
                db_index=True, default=django.utils.timezone.now, verbose_name="时间"
            ),
        ),
        migrations.CreateModel(
            name="SecurityEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "occurred_at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now, verbose_name="时间"
                    ),
                ),
                ("seq", models.BigIntegerField(verbose_name="序号")),
                ("mac", models.CharField(max_length=64, verbose_name="校验码")),
                ("kind", models.CharField(max_length=40, verbose_name="事件类型")),
                ("actor_label", models.CharField(max_length=150, verbose_name="操作人标识")),
                ("address", models.CharField(blank=True, max_length=64, verbose_name="地址")),
                (
                    "object_type",
                    models.CharField(blank=True, max_length=100, verbose_name="对象类型"),
                ),
                ("object_id", models.CharField(blank=True, max_length=64, verbose_name="对象ID")),
                ("object_repr", models.CharField(blank=True, max_length=200, verbose_name="对象")),
                (
                    "result",
                    models.CharField(
                        choices=[("success", "成功"), ("failure", "失败"), ("denied", "拒绝")],
                        max_length=10,
                        verbose_name="结果",
                    ),
                ),
                ("detail", models.JSONField(blank=True, default=dict, verbose_name="详情")),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="操作人",
                    ),
                ),
            ],
            options={
                "verbose_name": "安全事件",
                "verbose_name_plural": "安全事件",
                "ordering": ["-occurred_at", "-id"],
                "constraints": [
                    models.UniqueConstraint(fields=("seq",), name="securityevent_seq_unique")
                ],
                "indexes": [
                    models.Index(fields=["kind", "-occurred_at"], name="securityevent_kind_idx"),
                    models.Index(fields=["actor", "-occurred_at"], name="securityevent_actor_idx"),
                ],
            },
        ),
        migrations.CreateModel(
            name="AuditArchive",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("archived_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("table", models.CharField(max_length=63)),
                ("first_seq", models.BigIntegerField()),
                ("last_seq", models.BigIntegerField()),
                ("count", models.BigIntegerField()),
                ("last_mac", models.CharField(max_length=64)),
                ("file", models.CharField(max_length=500)),
                ("sha256", models.CharField(max_length=64)),
                ("mac", models.CharField(max_length=64)),
            ],
            options={
                "verbose_name": "审计归档",
                "verbose_name_plural": "审计归档",
                "ordering": ["-archived_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="AuditVerification",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "verified_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                ("ok", models.BooleanField()),
                ("checked", models.BigIntegerField(default=0)),
                ("heads", models.JSONField(default=dict)),
                ("problems", models.JSONField(default=list)),
                ("seconds", models.FloatField(default=0)),
                ("mac", models.CharField(max_length=64)),
            ],
            options={
                "verbose_name": "审计校验",
                "verbose_name_plural": "审计校验",
                "ordering": ["-verified_at", "-id"],
            },
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
    ]
