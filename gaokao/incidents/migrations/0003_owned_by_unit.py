"""`Incident` and `IncidentEntry` become `OwnedByUnit` (gaokao.regions.models): the shared
one-unit check, under the name the abstract model gives it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0002_entries_take_one_unit"),
        ("regions", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="incident",
            name="incident_reported_by_one_unit",
        ),
        migrations.AlterField(
            model_name="incident",
            name="point",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="regions.registrationpoint",
                verbose_name="registration point",
            ),
        ),
        migrations.AlterField(
            model_name="incident",
            name="region",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="regions.region",
                verbose_name="region",
            ),
        ),
        migrations.AddConstraint(
            model_name="incident",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("point__isnull", True), ("region__isnull", False)),
                    models.Q(("point__isnull", False), ("region__isnull", True)),
                    _connector="OR",
                ),
                name="incidents_incident_one_unit",
            ),
        ),
        migrations.AddConstraint(
            model_name="incidententry",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("point__isnull", True), ("region__isnull", False)),
                    models.Q(("point__isnull", False), ("region__isnull", True)),
                    _connector="OR",
                ),
                name="incidents_incidententry_one_unit",
            ),
        ),
    ]
