"""Incidents already had the one-unit check. Their timeline entries did not: every entry
was written with its author's unit, so none should lack one or have two, but before
0003 adds the check, an entry without a unit takes its author's, and one with both keys
keeps the point (which is what `unit` read). A migration of its own: PostgreSQL refuses
to alter a table in the transaction that just updated its rows."""

from django.db import migrations


def one_unit_per_entry(apps, schema_editor):
    IncidentEntry = apps.get_model("incidents", "IncidentEntry")
    IncidentEntry.objects.filter(region__isnull=False, point__isnull=False).update(region=None)
    orphans = IncidentEntry.objects.filter(region__isnull=True, point__isnull=True)
    for entry in orphans.select_related("by"):
        if entry.by.point_id:
            entry.point_id = entry.by.point_id
        else:
            entry.region_id = entry.by.region_id
        entry.save(update_fields=["region", "point"])


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("accounts", "0003_encrypt_id_number"),
    ]

    operations = [migrations.RunPython(one_unit_per_entry, migrations.RunPython.noop)]
