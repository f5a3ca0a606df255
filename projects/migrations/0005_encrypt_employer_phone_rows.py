"""The rows of migration 0004: encrypted in place and their blind indexes filled, in
batches; reversing decrypts them. A migration of its own: PostgreSQL refuses schema changes to
a table whose rows the same transaction has just updated (deferred foreign-key checks pending).
"""

from django.db import migrations

from arrears import encrypted_rows


def encrypt(apps, schema_editor):
    encrypted_rows.encrypt_existing(apps.get_model("projects", "Employer"))


def decrypt(apps, schema_editor):
    encrypted_rows.decrypt_existing(apps.get_model("projects", "Employer"))


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0004_encrypt_employer_phone"),
    ]

    operations = [
        migrations.RunPython(encrypt, decrypt, elidable=False),
    ]
