"""Incidents and their timeline entries can be made on a point client (issue 20): each gets
`uid`, the id shared by the client and the centre (so a record sent twice is stored once),
and `upload`, whether the centre has it yet. Rows made before this are at the centre; their
ids are filled in one by one before the column becomes unique."""

import uuid

from django.db import migrations, models

import gaokao.incidents.models

MODELS = ("incident", "incidententry")


def fill_uids(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("incidents", name)
        for pk in model.objects.filter(uid__isnull=True).values_list("pk", flat=True).iterator():
            model.objects.filter(pk=pk).update(uid=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0003_owned_by_unit"),
    ]

    operations = [
        *(
            migrations.AddField(
                model_name=name,
                name="uid",
                field=models.UUIDField(editable=False, null=True),
            )
            for name in MODELS
        ),
        migrations.RunPython(fill_uids, migrations.RunPython.noop, elidable=True),
        *(
            migrations.AlterField(
                model_name=name,
                name="uid",
                field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
            )
            for name in MODELS
        ),
        *(
            migrations.AddField(
                model_name=name,
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
            )
            for name in MODELS
        ),
        *(
            migrations.AddField(
                model_name=name,
                name="upload_message",
                field=models.CharField(blank=True, editable=False, max_length=300),
            )
            for name in MODELS
        ),
    ]
