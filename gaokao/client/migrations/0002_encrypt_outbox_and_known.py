"""The point client's outbox and last-confirmed values carry candidates' data, ID numbers
included: they are encrypted at rest like the candidates' columns (issue 10). Reversible."""

from django.db import migrations, models

import gaokao.privacy.fields
from gaokao.privacy.migrating import decrypt_column, encrypt_column

COLUMNS = (("Outbox", "payload"), ("Known", "fields"))


def encrypt(apps, schema_editor):
    for model, field in COLUMNS:
        encrypt_column(apps, "client", model, field)


def decrypt(apps, schema_editor):
    for model, field in COLUMNS:
        decrypt_column(apps, "client", model, field)


class Migration(migrations.Migration):
    dependencies = [
        ("client", "0001_outbox_state_known"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outbox",
            name="payload",
            field=models.TextField(default="{}", verbose_name="content"),
        ),
        migrations.AlterField(
            model_name="known",
            name="fields",
            field=models.TextField(default="{}"),
        ),
        migrations.RunPython(encrypt, decrypt, elidable=False),
        migrations.AlterField(
            model_name="outbox",
            name="payload",
            field=gaokao.privacy.fields.EncryptedJSONField(default=dict, verbose_name="content"),
        ),
        migrations.AlterField(
            model_name="known",
            name="fields",
            field=gaokao.privacy.fields.EncryptedJSONField(default=dict),
        ),
    ]
