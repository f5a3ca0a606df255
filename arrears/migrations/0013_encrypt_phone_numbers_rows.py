"""The rows of migration 0012: encrypted in place and their blind indexes filled, in
batches; reversing decrypts them. A migration of its own: PostgreSQL refuses schema changes to
a table whose rows the same transaction has just updated (deferred foreign-key checks pending).
"""

from django.db import migrations

from arrears import encrypted_rows

MODELS = ["User", "Department", "MessageDelivery"]


def encrypt(apps, schema_editor):
    for name in MODELS:
        encrypted_rows.encrypt_existing(apps.get_model("arrears", name))


def decrypt(apps, schema_editor):
    for name in MODELS:
        encrypted_rows.decrypt_existing(apps.get_model("arrears", name))


class Migration(migrations.Migration):
    dependencies = [
        ("arrears", "0012_encrypt_phone_numbers"),
    ]

    operations = [
        migrations.RunPython(encrypt, decrypt, elidable=False),
    ]
