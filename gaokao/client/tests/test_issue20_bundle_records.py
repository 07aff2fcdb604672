"""Issue 20, item 4, on the disc path (E5), on the point client: `gaokao client export`
puts the incidents, timeline entries and comments waiting for the sync on the disc, under
the ids sync uses, and leaves them waiting; the sync after the county's import sends them
again and the centre answers that it has them, so nothing is stored twice.

As in every test here, client and server share one database (conftest): the centre's
side of the import is tested in gaokao/bundles/tests/test_issue20_bundle_records.py."""

import datetime as dt

import pytest
from django.utils import timezone

from gaokao.bundles import format as bf
from gaokao.bundles import services
from gaokao.client import capture, records, sync
from gaokao.client.enrolment import _write_key
from gaokao.client.export import export_bundle
from gaokao.client.tests.conftest import edit_locally, server, synced_candidate
from gaokao.comments.models import Comment
from gaokao.comments.services import save_comment
from gaokao.incidents import services as incidents
from gaokao.incidents.models import Entry, Incident, IncidentEntry, Upload
from gaokao.sync.models import Receipt

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_key(enrolled, device, device_key):
    _write_key(device_key)
    return device_key


def read(path, device, key):
    return bf.read_bundle(
        path.read_bytes(),
        server_private_key=bf.server_private_key(),
        device_key_for=lambda device_id: key.public_key() if device_id == device.pk else None,
    )


def test_e5_issue20_export_puts_the_pending_records_on_the_disc_and_a_later_sync_stores_once(
    client_mode, client_key, device, season, point, point_user, county_user, tmp_path
):
    incident = incidents.report_incident(
        by=point_user,
        kind="network",
        severity="serious",
        started_at=timezone.now() - dt.timedelta(hours=2),
        description="报名点断网，数据盘带到县招办",
    )
    incidents.comment(incident, by=point_user, text="网络仍未恢复")
    candidate = synced_candidate(season, point)
    save_comment(candidate, text="该生品德良好", version=0, by=point_user)
    # A second candidate changed here too: its comment goes on the disc behind the change
    # (sync would hold it back until the change is at the centre).
    changed = synced_candidate(season, point)
    edit_locally(changed, mobile="13900000001")
    save_comment(changed, text="已核对手机号", version=0, by=point_user)
    path = tmp_path / "数据盘.gkb"

    result = export_bundle(path, server_key_b64=bf.server_public_key_b64())

    assert (result.changes, result.records) == (1, 4)
    bundle = read(path, device, client_key)
    assert [i["id"] for i in bundle.records["incidents"]] == [incident.uid]
    entry = incident.entries.exclude(kind=Entry.REPORTED).get()
    assert [e["id"] for e in bundle.records["entries"]] == [entry.uid]
    assert {str(c["candidate"]) for c in bundle.records["comments"]} == {
        str(candidate.pk),
        str(changed.pk),
    }
    # The disc may never arrive: they all still wait for the sync.
    assert records.pending_counts() == {"incidents": 1, "entries": 1, "comments": 2}

    with capture.from_server():  # the county imports the disc, in this shared database
        imported = services.apply(path.read_bytes(), county_user)
    assert imported.counts["applied"] == 1 and imported.records["refused"] == 0

    report = sync.sync_once(server)  # the network returns

    assert report.ok, report.error
    assert records.pending_counts() == {"incidents": 0, "entries": 0, "comments": 0}
    assert Incident.objects.count() == 1 and IncidentEntry.objects.count() == 2
    assert Comment.objects.filter(upload=Upload.DONE).count() == 2
    assert {c.version for c in Comment.objects.all()} == {1}
    assert Receipt.objects.filter(kind="comment").count() == 2
    assert set(Receipt.objects.filter(kind="comment").values_list("via", flat=True)) == {"bundle"}
