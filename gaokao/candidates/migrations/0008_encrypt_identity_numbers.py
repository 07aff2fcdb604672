"""ID numbers at rest (issue 10): the document number and the student number ("G" + ID
number) are encrypted with AES-GCM, and the document number gets a blind index that takes
over the one-registration-per-person-and-season constraint. The rows are encrypted in
batches (gaokao.privacy.migrating); reversible."""

from django.db import migrations, models

import gaokao.privacy.fields
from gaokao.privacy.migrating import decrypt_column, encrypt_column


def encrypt(apps, schema_editor):
    encrypt_column(apps, "candidates", "Candidate", "id_number", "id_number_index")
    encrypt_column(apps, "candidates", "Candidate", "student_number")


def decrypt(apps, schema_editor):
    decrypt_column(apps, "candidates", "Candidate", "id_number")
    decrypt_column(apps, "candidates", "Candidate", "student_number")


class Migration(migrations.Migration):

    dependencies = [
        ('candidates', '0007_point_client'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='candidate',
            name='id_number_unique_in_season',
        ),
        migrations.AddField(
            model_name='candidate',
            name='id_number_index',
            field=gaokao.privacy.fields.BlindIndexField(db_index=True, source='id_number'),
        ),
        migrations.AlterField(
            model_name='candidate',
            name='id_number',
            field=models.TextField(max_length=30, verbose_name='document number'),
        ),
        migrations.AlterField(
            model_name='candidate',
            name='student_number',
            field=models.TextField(blank=True, max_length=19, verbose_name='student registration number'),
        ),
        migrations.RunPython(encrypt, decrypt, elidable=False),
        migrations.AlterField(
            model_name='candidate',
            name='id_number',
            field=gaokao.privacy.fields.EncryptedTextField(max_length=30, verbose_name='document number'),
        ),
        migrations.AlterField(
            model_name='candidate',
            name='student_number',
            field=gaokao.privacy.fields.EncryptedTextField(blank=True, max_length=19, verbose_name='student registration number'),
        ),
        migrations.AddConstraint(
            model_name='candidate',
            constraint=models.UniqueConstraint(fields=('season', 'id_number_index'), name='id_number_unique_in_season'),
        ),
    ]
