"""The professional exams' categories and registrations move to gaokao.professional and
the sandbox gateway's trades to gaokao.sandbox (issue 18): Django's state only, the tables
keep their names and their rows. An order's registration now names
professional.Registration: the same table, so the database is not touched."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0001_initial'),
        ('professional', '0001_initial'),
        ('sandbox', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='paymentorder',
                    name='registration',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='orders', to='professional.registration', verbose_name='registration'),
                ),
                migrations.DeleteModel(name='Registration'),
                migrations.DeleteModel(name='Category'),
                migrations.DeleteModel(name='SandboxTrade'),
            ],
            database_operations=[],
        ),
    ]
