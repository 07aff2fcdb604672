"""ID numbers at rest (issue 10): a manual identity check keeps the blind index of the
number checked instead of a plaintext copy. Reversible: the number comes back from the
candidate when it is still the one checked (else the check no longer counted anyway)."""

from django.db import migrations, models

from gaokao.privacy import crypto
from gaokao.privacy.migrating import settle


def to_index(apps, schema_editor):
    IdentityCheck = apps.get_model("proofreading", "IdentityCheck")
    checks = list(IdentityCheck.objects.only("pk", "id_number"))
    for check in checks:
        check.id_number_index = crypto.blind_index(check.id_number)
    IdentityCheck.objects.bulk_update(checks, ["id_number_index"], batch_size=2000)
    settle(IdentityCheck)


def to_number(apps, schema_editor):
    IdentityCheck = apps.get_model("proofreading", "IdentityCheck")
    checks = list(IdentityCheck.objects.select_related("candidate"))
    for check in checks:
        same = check.candidate.id_number_index == check.id_number_index
        check.id_number = check.candidate.id_number if same else ""
    IdentityCheck.objects.bulk_update(checks, ["id_number"], batch_size=2000)
    settle(IdentityCheck)


class Migration(migrations.Migration):

    dependencies = [
        ('candidates', '0008_encrypt_identity_numbers'),
        ('proofreading', '0001_confirmation_identity_check_printout'),
    ]

    operations = [
        migrations.AddField(
            model_name='identitycheck',
            name='id_number_index',
            field=models.CharField(default='', max_length=64, verbose_name='document number checked (blind index)'),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name='identitycheck',
            name='id_number',
            field=models.CharField(blank=True, default='', max_length=30, verbose_name='document number checked'),
        ),
        migrations.RunPython(to_index, to_number, elidable=False),
        migrations.RemoveField(
            model_name='identitycheck',
            name='id_number',
        ),
    ]
