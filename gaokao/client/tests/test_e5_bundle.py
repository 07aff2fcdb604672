"""E5: when the network stays out until the deadline, `gaokao client export` writes every
pending change and photo to a disc bundle for the county, under the ids sync uses; the
county's import and a later sync of the client apply each of them once."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from gaokao.bundles import format as bf
from gaokao.candidates.models import Candidate
from gaokao.client import capture, sync
from gaokao.client.enrolment import _write_key
from gaokao.client.export import export_bundle
from gaokao.client.models import ClientState, Outbox
from gaokao.client.tests.conftest import create_entry, server
from gaokao.photos.models import PhotoSource
from gaokao.photos.services import add_photo
from gaokao.photos.tests import images
from gaokao.sync import push
from gaokao.sync.models import PhotoUpload, Receipt
from gaokao.testing.factories import CandidateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_key(enrolled, device, device_key):
    """The client's key on disk; the server knows its public half (`device`)."""
    _write_key(device_key)
    return device_key


def read(path, device, key):
    return bf.read_bundle(
        path.read_bytes(),
        server_private_key=bf.server_private_key(),
        device_key_for=lambda device_id: key.public_key() if device_id == device.pk else None,
    )


def test_e5_export_writes_every_pending_change_under_its_sync_id(
    client_key, device, season, point, number_range, tmp_path
):
    first, second = create_entry(point, 1), create_entry(point, 2)
    path = tmp_path / "数据盘.gkb"

    result = export_bundle(path, server_key_b64=bf.server_public_key_b64())

    assert (result.changes, result.photos) == (2, 0)
    bundle = read(path, device, client_key)
    assert bundle.manifest.point_code == point.code
    assert [c["id"] for c in bundle.changes] == [str(first.pk), str(second.pk)]
    assert all(c["kind"] == "create" for c in bundle.changes)
    # Frozen and kept until the server acknowledges them.
    assert Outbox.objects.filter(sent_at__isnull=False, state=Outbox.State.PENDING).count() == 2
    assert ClientState.load().bundle_public_key == bf.server_public_key_b64()


def test_e5_a_bundle_imported_then_the_same_changes_synced_apply_once(
    client_mode, client_key, device, season, point, point_user, number_range, tmp_path
):
    entry = create_entry(point, 5)
    # A later change of the same candidate, queued behind the create.
    update = Outbox.objects.create(
        kind=Outbox.Kind.CHANGE,
        candidate_id=entry.candidate_id,
        payload={"kind": "update", "base_version": None, "fields": {"mobile": "13900000000"}},
    )
    path = tmp_path / "bundle.gkb"
    export_bundle(path, server_key_b64=bf.server_public_key_b64())
    bundle = read(path, device, client_key)
    assert bundle.changes[1]["base_version"] == 1  # what the create will make
    assert bundle.changes[1]["fields"] == {"mobile": "13900000000"}

    # The county imports the disc (gaokao.bundles calls the same service).
    with capture.from_server():  # the server's work, in this shared test database
        results = push.apply_changes(device, bundle.changes, via="bundle")
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert Candidate.objects.get(pk=entry.candidate_id).mobile == "13900000000"

    # The network returns: the client sends the same ids, which apply nothing again.
    report = sync.sync_once(server)

    assert report.ok, report.error
    assert report.counts["duplicate"] == 2
    assert Outbox.objects.count() == 0
    assert Receipt.objects.count() == 2
    assert Candidate.objects.get(pk=entry.candidate_id).version == 2
    assert update.pk in {r.pk for r in Receipt.objects.all()}


def test_e5_photos_go_into_the_bundle_with_their_bytes(
    client_mode, client_key, device, season, point, point_user, tmp_path
):
    from gaokao.client.tests.conftest import synced_candidate

    candidate = synced_candidate(season, point)
    data = images.encode(images.portrait(600, 800), quality=90)
    photo = add_photo(candidate, data, source=PhotoSource.CAMERA, by=point_user)
    path = tmp_path / "bundle.gkb"

    result = export_bundle(path, server_key_b64=bf.server_public_key_b64())

    assert (result.changes, result.photos) == (0, 1)
    [sent] = read(path, device, client_key).photos
    assert sent.id == photo.pk and sent.candidate == candidate.pk and sent.data == data
    assert Outbox.objects.filter(pk=photo.pk).exists()
    assert not PhotoUpload.objects.exists()


def test_e5_export_command_says_what_it_wrote(
    client_mode, client_key, point, number_range, tmp_path
):
    create_entry(point, 1)
    out = io.StringIO()
    path = tmp_path / "盘.gkb"

    call_command(
        "client", "export", str(path), "--server-key", bf.server_public_key_b64(), stdout=out
    )

    assert path.exists() and "1 changes and 0 photos" in out.getvalue()
    assert not list(tmp_path.glob(".*.partial"))


def test_e5_export_without_the_servers_key_or_work_is_refused(
    client_mode, client_key, point, tmp_path
):
    with pytest.raises(CommandError, match="--server-key"):
        call_command("client", "export", str(tmp_path / "a.gkb"))
    with pytest.raises(CommandError, match="not valid"):
        call_command("client", "export", str(tmp_path / "a.gkb"), "--server-key", "bm90IGEga2V5")
    with pytest.raises(CommandError, match="Nothing is waiting"):
        call_command(
            "client", "export", str(tmp_path / "a.gkb"), "--server-key", bf.server_public_key_b64()
        )
    assert not (tmp_path / "a.gkb").exists()


def test_e5_a_bundle_for_a_damaged_target_loses_nothing(
    client_mode, client_key, point, number_range, tmp_path
):
    entry = create_entry(point, 1)
    with pytest.raises(sync.SyncError, match="cannot be written"):
        export_bundle(tmp_path / "no-such-dir" / "a.gkb", server_key_b64=bf.server_public_key_b64())
    entry.refresh_from_db()
    assert entry.sent_at is None  # rolled back: not frozen by a bundle that does not exist


def test_e5_creates_refused_by_sync_go_on_the_disc_again_under_new_ids(
    client_mode, client_key, device, season, point, tmp_path
):
    with capture.from_server():  # taken in on this PC; the server refused its sync
        local = CandidateFactory(season=season, point=point)
    refused = Outbox.objects.create(
        kind=Outbox.Kind.CHANGE,
        candidate_id=local.pk,
        state=Outbox.State.ATTENTION,
        answer="refused",
        last_error="The main registration window is not open.",
        sent_at=timezone.now(),
        payload={"id": "old", "kind": "create", "fields": {}},
    )
    conflict = Outbox.objects.create(
        kind=Outbox.Kind.CHANGE,
        candidate_id=local.pk,
        state=Outbox.State.ATTENTION,
        answer="conflict",
        payload={"id": "older", "kind": "update", "fields": {"mobile": "13900000000"}},
    )
    out = io.StringIO()
    path = tmp_path / "盘.gkb"

    call_command(
        "client", "export", str(path), "--server-key", bf.server_public_key_b64(), stdout=out
    )

    [change] = read(path, device, client_key).changes
    assert change["kind"] == "create" and change["candidate"] == str(local.pk)
    assert change["id"] not in (str(refused.pk), str(conflict.pk))
    assert change["fields"]["id_number"] == local.id_number
    assert not Outbox.objects.filter(pk=refused.pk).exists()
    assert Outbox.objects.filter(pk=conflict.pk).exists()  # a person decides those
    assert "1 of the changes were refused by sync" in out.getvalue()
