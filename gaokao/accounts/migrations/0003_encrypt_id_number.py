"""ID numbers at rest (issue 10): the staff's real-name ID number is encrypted with AES-GCM
and gets a blind index, like the candidates'. Reversible."""

import gaokao.lib.idnumber
from django.db import migrations, models

import gaokao.privacy.fields
from gaokao.privacy.migrating import decrypt_column, encrypt_column


def encrypt(apps, schema_editor):
    encrypt_column(apps, "accounts", "StaffUser", "id_number", "id_number_index")


def decrypt(apps, schema_editor):
    decrypt_column(apps, "accounts", "StaffUser", "id_number")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_totp_and_throttle'),
    ]

    operations = [
        migrations.AddField(
            model_name='staffuser',
            name='id_number_index',
            field=gaokao.privacy.fields.BlindIndexField(db_index=True, source='id_number'),
        ),
        migrations.AlterField(
            model_name='staffuser',
            name='id_number',
            field=models.TextField(blank=True, max_length=18, validators=[gaokao.lib.idnumber.validate_resident_id], verbose_name='ID number'),
        ),
        migrations.RunPython(encrypt, decrypt, elidable=False),
        migrations.AlterField(
            model_name='staffuser',
            name='id_number',
            field=gaokao.privacy.fields.EncryptedTextField(blank=True, max_length=18, validators=[gaokao.lib.idnumber.validate_resident_id], verbose_name='ID number'),
        ),
    ]
