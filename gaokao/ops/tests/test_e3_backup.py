"""E3/E7: backups of the database, the uploaded files and the keys; their verification in a
scratch database; restores that refuse damaged archives and never overwrite data unasked."""

import io
import json
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.models import Candidate
from gaokao.ops import backup
from gaokao.testing.factories import CandidateFactory, PointFactory, SeasonFactory

pytestmark = pytest.mark.django_db(transaction=True)  # restores need no open transaction

PHOTO = b"\xff\xd8\xff\xe0 a photo " * 100


@pytest.fixture
def world(settings, key_file):
    """A season with candidates, a photo in MEDIA_ROOT, and the data directory's keys."""
    point = PointFactory()
    season = SeasonFactory(province=point.county.parent.parent)
    candidates = CandidateFactory.create_batch(3, season=season, point=point)
    media = Path(settings.MEDIA_ROOT)
    (media / "photos/normalised/2019/11").mkdir(parents=True)
    (media / "photos/normalised/2019/11/a.jpg").write_bytes(PHOTO)
    (media / "notices/2019/11").mkdir(parents=True)
    (media / "notices/2019/11/报名通知 2020.pdf").write_bytes(b"%PDF-1.4 notice")
    data = Path(settings.DATA_DIR)
    (data / "bundles").mkdir(parents=True)
    (data / "secret_key").write_text("the secret key")
    (data / "bundles/server_x25519.pem").write_text("bundle key")
    (data / "bundles/pending").mkdir()
    (data / "bundles/pending/held.gkb").write_text("held upload: not needed")
    payments = data / "payments"
    (payments / "wechat").mkdir(parents=True)
    (payments / "wechat/merchant.pem").write_text("merchant key")
    (payments / "unused.txt").write_text("not named by the configuration")
    settings.PAYMENTS_CONFIG = payments / "payments.toml"
    settings.PAYMENTS_CONFIG.write_text(
        'public_url = "https://bm.example.cn"\n[wechat]\nmchid = "1900000109"\n'
        'merchant_private_key_file = "wechat/merchant.pem"\n'
    )
    return candidates


def write(**kwargs) -> Path:
    return backup.write_backup(**kwargs).path


def rewrite(archive: Path, change) -> None:
    """Replace `archive` by a copy whose members went through change(name, data)."""
    with tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
    with tarfile.open(archive, "w", format=tarfile.PAX_FORMAT) as tar:
        for member, data in members:
            data = change(member.name, data)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))


def test_e3_backup_archive_holds_database_media_keys_manifest_and_checksums(world):
    archive = write()
    assert backup.NAME_RE.match(archive.name) and archive.parent == backup.default_dir()
    assert archive.stat().st_mode & 0o777 == 0o600  # it holds secrets
    assert [p.name for p in archive.parent.iterdir()] == [archive.name]  # no leftovers
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
        sums = tar.extractfile("SHA256SUMS").read().decode()
    dump = {"sqlite": "gaokao.sqlite3", "postgresql": "gaokao.pgdump"}[connection.vendor]
    assert set(names) == {
        f"database/{dump}",
        "media/photos/normalised/2019/11/a.jpg",
        "media/notices/2019/11/报名通知 2020.pdf",
        "data/secret_key",
        "data/keys",  # of the ID numbers at rest (gaokao.privacy), made with the candidates
        "data/bundles/server_x25519.pem",
        "payments/payments.toml",
        "payments/wechat/merchant.pem",
        "SHA256SUMS",
        "manifest.json",
    }
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["tables"]["candidates_candidate"] == 3
    assert "0001_initial" in manifest["migrations"]["candidates"]
    assert manifest["created_at"] and manifest["files"]["count"] == 8
    listed = dict(reversed(line.split("  ")) for line in sums.splitlines())
    assert set(listed) == set(names) - {"SHA256SUMS", "manifest.json"}
    assert all(len(digest) == 64 for digest in listed.values())


def test_e3_sqlite_round_trip_brings_back_data_media_and_keys(world):
    kept, changed, deleted = world
    archive = write()
    Candidate.objects.filter(pk=changed.pk).update(name="改过的名字")
    Candidate.objects.filter(pk=deleted.pk).delete()
    CandidateFactory(season=kept.season, point=kept.point)  # made after the backup
    photo = Path(settings.MEDIA_ROOT) / "photos/normalised/2019/11/a.jpg"
    photo.unlink()
    notice = Path(settings.MEDIA_ROOT) / "notices/2019/11/报名通知 2020.pdf"
    notice.write_bytes(b"changed")
    (Path(settings.DATA_DIR) / "secret_key").write_text("another key")

    call_command("restore", str(archive), "--force", "--no-input", stdout=io.StringIO())

    assert set(Candidate.objects.values_list("pk", flat=True)) == {c.pk for c in world}
    assert Candidate.objects.get(pk=changed.pk).name == changed.name
    assert Candidate.objects.get(pk=changed.pk).id_number == changed.id_number  # keys too
    assert photo.read_bytes() == PHOTO
    assert notice.read_bytes() == b"%PDF-1.4 notice"
    assert (Path(settings.DATA_DIR) / "secret_key").read_text() == "the secret key"
    event = AuditEvent.objects.get(action=Action.BACKUP_RESTORED)
    assert event.target == archive.name and event.actor is None and event.actor_label


def test_e3_backup_is_recorded_in_the_audit_trail(world):
    archive = write()
    event = AuditEvent.objects.get(action=Action.BACKUP_WRITTEN)
    assert event.target == archive.name and event.detail["vendor"] == connection.vendor


def test_e3_verify_passes_on_a_good_archive_and_notes_it(world):
    archive = write()
    out = io.StringIO()
    call_command("backup", "--verify", str(archive), stdout=out)
    assert archive.name in out.getvalue()
    newest = backup.latest()
    assert newest.path == archive and newest.verified is True and newest.verified_at


def test_e3_verify_latest_checks_the_newest_archive(world, tmp_path):
    directory = tmp_path / "elsewhere"
    call_command("backup", "--dir", str(directory), stdout=io.StringIO())
    call_command("backup", "--verify-latest", "--dir", str(directory), stdout=io.StringIO())
    assert backup.latest(directory).verified is True


def flip_photo_byte(name, data):
    if name.endswith("a.jpg"):
        return data[:10] + bytes([data[10] ^ 1]) + data[11:]
    return data


def test_e3_verify_fails_on_a_tampered_archive(world):
    archive = write()
    rewrite(archive, flip_photo_byte)
    with pytest.raises(CommandError):
        call_command("backup", "--verify", str(archive), stdout=io.StringIO(), stderr=io.StringIO())
    result = backup.verify_backup(archive)
    assert not result.ok and "a.jpg" in result.problems[0]
    assert backup.latest().verified is False


def test_e3_verify_compares_row_counts_in_a_scratch_database(world):
    """A manifest whose counts differ from what the dump restores fails the check, even
    though every checksum matches."""
    archive = write()

    def more_candidates(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["tables"]["candidates_candidate"] += 1
            return json.dumps(manifest).encode()
        return data

    rewrite(archive, more_candidates)
    result = backup.verify_backup(archive)
    assert not result.ok
    assert len(result.problems) == 1 and "candidates_candidate" in result.problems[0]


def test_e3_restore_refuses_a_tampered_archive_and_changes_nothing(world):
    archive = write()
    rewrite(archive, flip_photo_byte)
    Candidate.objects.filter(pk=world[0].pk).update(name="保留")
    (Path(settings.DATA_DIR) / "secret_key").write_text("current key")
    with pytest.raises(CommandError, match=r"a\.jpg"):
        call_command("restore", str(archive), "--force", "--no-input", stdout=io.StringIO())
    assert Candidate.objects.get(pk=world[0].pk).name == "保留"
    assert (Path(settings.DATA_DIR) / "secret_key").read_text() == "current key"
    assert not AuditEvent.objects.filter(action=Action.BACKUP_RESTORED).exists()


def test_e3_restore_refuses_a_truncated_archive(world):
    archive = write()
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(backup.ArchiveDamaged):
        backup.restore_backup(archive, force=True)
    assert Candidate.objects.count() == 3


def test_e3_restore_refuses_a_non_empty_database_without_force(world, monkeypatch):
    archive = write()
    Candidate.objects.filter(pk=world[0].pk).delete()
    with pytest.raises(CommandError):
        call_command("restore", str(archive), "--no-input", stdout=io.StringIO())
    assert Candidate.objects.count() == 2
    # --force on a terminal asks; anything but "yes" restores nothing.
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError):
        call_command("restore", str(archive), "--force", stdout=io.StringIO())
    assert Candidate.objects.count() == 2
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    call_command("restore", str(archive), "--force", stdout=io.StringIO())
    assert Candidate.objects.count() == 3


def test_e3_a_failed_backup_leaves_no_archive(world, monkeypatch):
    def broken(*args):
        yield Path(settings.DATA_DIR) / "secret_key", "data/secret_key"
        raise OSError("disk full")

    monkeypatch.setattr(backup, "_sources", broken)
    with pytest.raises(OSError, match="disk full"):
        write()
    assert list(backup.default_dir().iterdir()) == []


def test_e3_backup_keep_deletes_older_archives(world):
    for _ in range(3):
        call_command("backup", "--keep", "2", stdout=io.StringIO())
    archives = backup.list_backups()
    assert len(archives) == 2
    assert archives[0].created_at >= archives[1].created_at


def test_e3_backup_without_media_keeps_keys_and_database_only(world):
    archive = write(media=False)
    with tarfile.open(archive) as tar:
        assert not [n for n in tar.getnames() if n.startswith("media/")]
    photo = Path(settings.MEDIA_ROOT) / "photos/normalised/2019/11/a.jpg"
    photo.write_bytes(b"newer photo")
    backup.restore_backup(archive, force=True)
    assert photo.read_bytes() == b"newer photo"  # left alone


def test_e3_postgresql_round_trip_with_pg_dump_and_a_scratch_verify(world, postgresql_only):
    kept, changed, deleted = world
    archive = write()
    with tarfile.open(archive) as tar:
        assert "database/gaokao.pgdump" in tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert manifest["database"]["vendor"] == "postgresql"
    assert manifest["tables"]["candidates_candidate"] == 3

    result = backup.verify_backup(archive)
    assert result.ok, result.problems
    assert result.rows == sum(manifest["tables"].values())

    Candidate.objects.filter(pk=changed.pk).update(name="改过的名字")
    Candidate.objects.filter(pk=deleted.pk).delete()
    CandidateFactory(season=kept.season, point=kept.point)
    call_command("restore", str(archive), "--force", "--no-input", stdout=io.StringIO())
    assert set(Candidate.objects.values_list("pk", flat=True)) == {c.pk for c in world}
    assert Candidate.objects.get(pk=changed.pk).name == changed.name
    assert AuditEvent.objects.filter(action=Action.BACKUP_RESTORED).count() == 1


def test_e3_postgresql_verify_fails_on_a_tampered_dump(world, postgresql_only):
    archive = write()

    def more_candidates(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["tables"]["candidates_candidate"] += 1
            return json.dumps(manifest).encode()
        return data

    rewrite(archive, more_candidates)
    result = backup.verify_backup(archive)
    assert not result.ok and "candidates_candidate" in result.problems[0]


def test_e3_restore_into_a_fresh_installation_needs_no_force(world):
    archive = write()
    call_command("flush", "--no-input")  # as after `gaokao migrate` on a new machine
    call_command("restore", str(archive), "--no-input", stdout=io.StringIO())
    assert Candidate.objects.count() == 3


def test_e3_restore_refuses_an_archive_of_a_newer_version(world):
    archive = write()

    def future_migration(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["migrations"]["candidates"].append("9999_from_the_future")
            return json.dumps(manifest).encode()
        return data

    rewrite(archive, future_migration)
    with pytest.raises(backup.BackupError, match="newer version"):
        backup.restore_backup(archive, force=True)
    assert Candidate.objects.count() == 3


@pytest.mark.parametrize(
    "name", ["media/../../outside.txt", "/etc/cron.d/evil", "elsewhere/file", "media/extra.jpg"]
)
def test_e3_an_archive_with_a_file_it_never_holds_is_refused(world, name):
    archive = write()
    with tarfile.open(archive, "a") as tar:  # appended after the manifest
        info = tarfile.TarInfo(name)
        info.size = 4
        tar.addfile(info, io.BytesIO(b"evil"))
    with pytest.raises(backup.ArchiveDamaged):
        backup.restore_backup(archive, force=True)
    assert not (Path(settings.DATA_DIR).parent / "outside.txt").exists()
    assert not (Path(settings.MEDIA_ROOT) / "extra.jpg").exists()
    assert not backup.verify_backup(archive).ok


@pytest.fixture
def payments_folder_read_only(monkeypatch):
    """The payment configuration lives where the command may not write (/etc/gaokao)."""
    import os

    folder = Path(settings.PAYMENTS_CONFIG).parent
    real = os.access
    monkeypatch.setattr(
        backup.os, "access", lambda path, mode: Path(path) != folder and real(path, mode)
    )
    return folder


def test_e3_restore_checks_permissions_before_changing_anything(world, payments_folder_read_only):
    archive = write()
    Candidate.objects.filter(pk=world[0].pk).delete()
    (payments_folder_read_only / "payments.toml").write_text('public_url = "https://new"\n')
    with pytest.raises(backup.BackupError, match=str(payments_folder_read_only)):
        backup.restore_backup(archive, force=True)
    assert Candidate.objects.count() == 2  # the database was not touched


def test_e3_restore_leaves_unchanged_keys_in_a_read_only_folder_alone(
    world, payments_folder_read_only
):
    archive = write()
    Candidate.objects.filter(pk=world[0].pk).delete()
    restored = backup.restore_backup(archive, force=True)
    # All but the database (the ID numbers' key file among them).
    assert Candidate.objects.count() == 3 and restored.files == 7
