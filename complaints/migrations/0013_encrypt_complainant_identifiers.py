"""Complainants' phone and ID numbers and employers' phones encrypted at rest (issue 12), with
keyed blind indexes for search, duplicate detection and the public tracking check. Here the
columns become TEXT and the index columns are added; the next migration encrypts and indexes
the rows."""

from django.db import migrations, models

import arrears.fields


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0011_recovered_within_owed_constraints"),
    ]

    operations = [
        # An index of ciphertexts serves no query: the blind index below replaces it.
        migrations.RemoveIndex(model_name="complaint", name="complaint_phone_idx"),
        migrations.AlterField(
            model_name="complaint",
            name="complainant_phone",
            field=arrears.fields.PhoneField(max_length=30, verbose_name="联系电话"),
        ),
        migrations.AlterField(
            model_name="complaint",
            name="complainant_id_number",
            field=arrears.fields.ResidentIdField(
                blank=True, max_length=18, verbose_name="身份证号码"
            ),
        ),
        migrations.AlterField(
            model_name="complaint",
            name="employer_phone",
            field=arrears.fields.PhoneField(blank=True, max_length=30, verbose_name="单位联系电话"),
        ),
        migrations.AddField(
            model_name="complaint",
            name="complainant_phone_index",
            field=arrears.fields.BlindIndexField(kind="phone", sources=["complainant_phone"]),
        ),
        migrations.AddField(
            model_name="complaint",
            name="complainant_id_index",
            field=arrears.fields.BlindIndexField(
                kind="resident_id", sources=["complainant_id_number"]
            ),
        ),
        migrations.AddField(
            model_name="complaint",
            name="tracking_check",
            field=arrears.fields.BlindIndexField(
                kind="last4", sources=["tracking_no", "complainant_phone"]
            ),
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(fields=["complainant_phone_index"], name="complaint_phone_bidx"),
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                condition=models.Q(("complainant_id_index", ""), _negated=True),
                fields=["complainant_id_index"],
                name="complaint_id_number_bidx",
            ),
        ),
    ]
