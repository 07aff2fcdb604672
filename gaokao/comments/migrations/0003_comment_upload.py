"""A comment written on a point client waits there for the sync (issue 20): whether the
centre has it, what it answered, and the centre's version of the comment it replaces."""

from django.db import migrations, models

import gaokao.incidents.models


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0002_template_owned_by_unit"),
        ("incidents", "0004_synced_from_point_clients"),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="upload",
            field=models.CharField(
                choices=[
                    ("done", "At the central server"),
                    ("pending", "Recorded on this PC, not yet synced"),
                    ("refused", "Refused by the central server"),
                ],
                default=gaokao.incidents.models.recorded_here,
                editable=False,
                max_length=8,
                verbose_name="sync",
            ),
        ),
        migrations.AddField(
            model_name="comment",
            name="upload_message",
            field=models.CharField(blank=True, editable=False, max_length=300),
        ),
        migrations.AddField(
            model_name="comment",
            name="server_version",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
    ]
