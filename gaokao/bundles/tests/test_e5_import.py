"""Importing a bundle at the county (E5): verified, attributed, applied once."""

import hashlib
import os
import time

import pytest

from gaokao.audit.models import Action, AuditEvent
from gaokao.bundles import format as bf
from gaokao.bundles import services
from gaokao.bundles.format import BundleRefused
from gaokao.bundles.tests.conftest import Writer, create_change, photo_entry
from gaokao.candidates.models import Candidate, Stage
from gaokao.photos.tests.images import asymmetric, encode
from gaokao.sync import photos as sync_photos
from gaokao.sync import push
from gaokao.sync.models import Conflict, Receipt
from gaokao.testing.factories import CandidateFactory, PointFactory, staff_for
from gaokao.testing.sync import make_device, update_change

pytestmark = pytest.mark.django_db


def state():
    """Everything an import may change, to compare before and after."""
    return (
        sorted(Candidate.objects.values_list("pk", "version", "fee_fen", "name")),
        Receipt.objects.count(),
        Conflict.objects.count(),
    )


def refused(data, user, reason):
    before = state()
    with pytest.raises(BundleRefused) as e:
        services.check(data, user)
    assert e.value.reason == reason
    with pytest.raises(BundleRefused):
        services.apply(data, user)
    assert state() == before
    events = AuditEvent.objects.filter(action=Action.BUNDLE_REFUSED)
    assert events.count() == 2
    assert events.first().detail["reason"] == reason
    assert events.first().detail["sha256"] == hashlib.sha256(data).hexdigest()
    assert not AuditEvent.objects.filter(action=Action.BUNDLE_IMPORTED).exists()
    return e.value


def flip(data: bytes, at: int) -> bytes:
    b = bytearray(data)
    b[at] ^= 0x01
    return bytes(b)


def test_e5_round_trip_creates_the_points_candidates(
    season, number_range, point, county_user, device, write
):
    changes = [create_change(point, 1), create_change(point, 2)]
    data = write(changes)

    summary = services.check(data, county_user)
    assert (summary.changes, summary.creates, summary.updates) == (2, 2, 0)
    assert (summary.already_received, summary.photos) == (0, 0)
    assert summary.device == device and summary.point == point
    assert summary.sha256 == hashlib.sha256(data).hexdigest()
    assert not Candidate.objects.exists()  # the check changes nothing

    result = services.apply(data, county_user)
    assert result.counts == {"applied": 2, "duplicate": 0, "conflict": 0, "refused": 0}
    created = Candidate.objects.get(pk=changes[0]["candidate"])
    assert (created.point, created.name, created.season) == (point, "盘中考生1", season)
    assert created.keyed_from_paper and created.fee_fen == 4000
    assert set(Receipt.objects.values_list("via", flat=True)) == {"bundle"}
    event = AuditEvent.objects.get(action=Action.BUNDLE_IMPORTED)
    assert event.actor == county_user and event.point == point
    assert event.detail["sha256"] == summary.sha256
    assert event.detail["changes"]["applied"] == 2


def test_e5_updates_apply_and_stale_ones_wait_as_conflicts(
    season, number_range, point, county_user, device, write
):
    fresh = CandidateFactory(season=season, point=point)
    moved_on = CandidateFactory(season=season, point=point, fee_fen=3000, fee_receipt="S-1")
    moved_on.version = 4
    moved_on.save()
    data = write([update_change(fresh), update_change(moved_on, base_version=2)])

    summary = services.check(data, county_user)
    assert (summary.creates, summary.updates) == (0, 2)
    result = services.apply(data, county_user)

    assert (result.counts["applied"], result.counts["conflict"]) == (1, 1)
    fresh.refresh_from_db()
    moved_on.refresh_from_db()
    assert (fresh.fee_fen, fresh.version) == (4000, 2)
    assert (moved_on.fee_fen, moved_on.fee_receipt, moved_on.version) == (3000, "S-1", 4)
    assert [(p.candidate, p.name) for p in result.conflicts] == [(str(moved_on.pk), moved_on.name)]
    assert Conflict.objects.get().point_values["fee_fen"] == 4000


def test_e5_refused_changes_are_listed_with_their_reasons(
    season, number_range, point, county, county_user, device, write
):
    neighbour = CandidateFactory(season=season, point=PointFactory(county=county))
    submitted = CandidateFactory(season=season, point=point, stage=Stage.COUNTY)
    outside = create_change(point, 1, registration_number="99999999")
    changes = [update_change(neighbour), update_change(submitted), outside]
    before = sorted(Candidate.objects.values_list("pk", "version", "fee_fen"))

    result = services.apply(write(changes), county_user)

    assert result.counts["refused"] == 3
    assert sorted(Candidate.objects.values_list("pk", "version", "fee_fen")) == before
    listed = {p.candidate: p for p in result.refused}
    assert set(listed) == {c["candidate"] for c in changes}
    assert all(p.message for p in result.refused)
    assert listed[str(submitted.pk)].name == submitted.name
    assert listed[outside["candidate"]].name == "盘中考生1"


def test_e5_importing_twice_changes_nothing_the_second_time(
    season, number_range, point, county_user, device, write
):
    data = write([create_change(point, 1), create_change(point, 2)])
    services.apply(data, county_user)
    after_first = state()

    assert services.check(data, county_user).already_received == 2
    again = services.apply(data, county_user)

    assert again.counts == {"applied": 0, "duplicate": 2, "conflict": 0, "refused": 0}
    assert state() == after_first
    assert AuditEvent.objects.filter(action=Action.BUNDLE_IMPORTED).count() == 2


def test_e5_changes_that_already_arrived_by_sync_are_duplicates(
    season, number_range, point, county_user, device, write
):
    changes = [create_change(point, 1), create_change(point, 2)]
    push.apply_changes(device, changes[:1], via="sync")  # before the network went out
    after_sync = state()

    summary = services.check(write(changes), county_user)
    assert (summary.changes, summary.already_received) == (2, 1)
    result = services.apply(write(changes), county_user)  # another file, same changes

    assert (result.counts["duplicate"], result.counts["applied"]) == (1, 1)
    assert Candidate.objects.count() == len(after_sync[0]) + 1
    assert Receipt.objects.get(pk=changes[0]["id"]).via == "sync"


@pytest.mark.parametrize("part", ["manifest", "ciphertext", "signature"])
def test_e5_a_tampered_bundle_is_refused(
    season, number_range, point, county_user, device, write, part
):
    data = write([create_change(point, 1)])
    manifest_length = int.from_bytes(data[10:14], "big")
    in_point_code = data.index(b'"point":"') + len(b'"point":"') + 2  # still a valid manifest
    at = {
        "manifest": in_point_code,
        "ciphertext": 14 + manifest_length + 60,
        "signature": len(data) - 5,
    }
    refused(flip(data, at[part]), county_user, bf.BAD_SIGNATURE)


def test_e5_a_truncated_bundle_is_refused(season, number_range, point, county_user, write):
    data = write([create_change(point, 1)])
    refused(data[: len(data) // 2], county_user, bf.TRUNCATED)


def test_e5_not_a_bundle_is_refused(county_user):
    refused(b"\xef\xbb\xbfname,id_number\n", county_user, bf.NOT_A_BUNDLE)


def test_e5_a_bundle_of_another_countys_point_is_foreign(
    season, number_range, point, other_point, county_user, other_county_user, device_key, write
):
    foreign_user = staff_for(other_point)
    foreign_device = make_device(other_point, foreign_user, "foreign-token", key=device_key)
    data = Writer(foreign_device, device_key)([create_change(other_point, 1)])
    error = refused(data, county_user, services.FOREIGN)
    assert other_point.name not in error.message


def test_e5_another_countys_user_cannot_import_this_countys_bundle(
    season, number_range, point, other_county_user, write
):
    refused(write([create_change(point, 1)]), other_county_user, services.FOREIGN)


def test_e5_a_revoked_device_is_refused(season, number_range, point, county_user, device, write):
    from django.utils import timezone

    data = write([create_change(point, 1)])
    device.revoked_at = timezone.now()
    device.save()
    refused(data, county_user, bf.REVOKED_DEVICE)


def test_e5_an_unknown_device_is_refused(
    season, number_range, point, point_user, county_user, device_key
):
    from gaokao.sync.models import Device

    ghost = Device(
        point=point, name="x", public_key="", token_hash="g" * 64, enrolled_by=point_user
    )
    data = Writer(ghost, device_key)([create_change(point, 1)])  # never saved
    refused(data, county_user, bf.UNKNOWN_DEVICE)


def test_e5_a_bundle_naming_another_point_is_refused(
    season, number_range, point, county, county_user, write
):
    other_code = PointFactory(county=county).code
    refused(
        write([create_change(point, 1)], point_code=other_code),
        county_user,
        services.POINT_MISMATCH,
    )


def test_e5_only_county_staff_import(season, number_range, point, point_user, city_user, write):
    data = write([create_change(point, 1)])
    for user in (point_user, city_user):
        with pytest.raises(BundleRefused) as e:
            services.apply(data, user)
        assert e.value.reason == services.FORBIDDEN
    assert not Candidate.objects.exists()


def test_e5_an_oversized_file_is_refused(county_user, monkeypatch):
    monkeypatch.setattr(services, "MAX_BYTES", 10)
    refused(b"GKBUNDLE" + b"\x00" * 20, county_user, services.TOO_LARGE)


def test_e5_photos_are_stored_once(season, number_range, point, county_user, device, write):
    change = create_change(point, 1)
    jpeg = encode(asymmetric(600, 800))
    data = write([change], [photo_entry(change["candidate"], jpeg)])

    assert services.check(data, county_user).photos == 1
    result = services.apply(data, county_user)
    assert result.photos == {"stored": 1, "already": 0, "refused": 0}
    candidate = Candidate.objects.get(pk=change["candidate"])
    assert candidate.photos.count() == 1

    assert services.check(data, county_user).photos_received == 1
    again = services.apply(data, county_user)
    assert again.photos == {"stored": 0, "already": 1, "refused": 0}
    assert candidate.photos.count() == 1


def test_e6_a_photo_sent_by_the_candidate_keeps_its_source_and_note_on_the_disc(
    season, number_range, point, county_user, device, write
):
    change = create_change(point, 1)
    entry = photo_entry(change["candidate"], encode(asymmetric(600, 800)))
    entry |= {"source": "network", "note": "考生家长用微信发来"}
    network_without_note = photo_entry(change["candidate"], encode(asymmetric(640, 800)))
    network_without_note["source"] = "network"
    result = services.apply(write([change], [entry, network_without_note]), county_user)
    assert result.photos == {"stored": 1, "already": 0, "refused": 1}
    photo = Candidate.objects.get(pk=change["candidate"]).photos.get()
    assert (photo.source, photo.note) == ("network", "考生家长用微信发来")


def test_e5_a_photo_half_sent_by_sync_is_completed_from_the_bundle(
    season, number_range, point, county_user, device, write
):
    change = create_change(point, 1)
    push.apply_changes(device, [change], via="sync")
    jpeg = encode(asymmetric(600, 800))
    entry = photo_entry(change["candidate"], jpeg)
    sync_photos.start_photo(device, entry["id"], entry["candidate"], len(jpeg), entry["sha256"])
    sync_photos.append_photo(device, entry["id"], 0, jpeg[:1000])  # then the network went out

    result = services.apply(write([change], [entry]), county_user)

    assert result.counts["duplicate"] == 1
    assert result.photos["stored"] == 1
    assert Candidate.objects.get(pk=change["candidate"]).photos.count() == 1


def test_e5_a_photo_that_does_not_match_its_hash_is_refused_alone(
    season, number_range, point, county_user, device, write
):
    change = create_change(point, 1)
    entry = photo_entry(change["candidate"], encode(asymmetric(600, 800)))
    entry["sha256"] = "0" * 64
    result = services.apply(write([change], [entry]), county_user)
    assert result.counts["applied"] == 1  # the changes are not held back by a bad photo
    assert result.photos["refused"] == 1
    assert result.photo_problems[0].name == "盘中考生1"
    assert result.photo_problems[0].message
    assert not Candidate.objects.get(pk=change["candidate"]).photos.exists()


def test_e5_held_files_are_per_user_and_expire(county_user, other_county_user, data_dir):
    digest = services.hold(b"bundle bytes", county_user)
    assert services.held(county_user, digest) == b"bundle bytes"
    path = next((data_dir / "bundles" / "pending").iterdir())
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(BundleRefused):
        services.held(other_county_user, digest)  # not theirs
    for bad in ("../" + digest, "0" * 64, digest.upper()):
        with pytest.raises(BundleRefused):
            services.held(county_user, bad)

    day_ago = time.time() - services.KEEP.total_seconds() - 60
    os.utime(path, (day_ago, day_ago))
    with pytest.raises(BundleRefused):
        services.held(county_user, digest)
    assert not path.exists()

    services.hold(b"old", county_user)
    old = next((data_dir / "bundles" / "pending").glob("*.bundle"))
    os.utime(old, (day_ago, day_ago))
    services.hold(b"new", other_county_user)  # any hold purges expired files of anyone
    assert not old.exists()
    assert len(list((data_dir / "bundles" / "pending").glob("*.bundle"))) == 1
    services.discard(other_county_user, hashlib.sha256(b"new").hexdigest())
    assert not list((data_dir / "bundles" / "pending").glob("*.bundle"))


def test_e5_a_change_refused_before_is_listed_again_but_not_applied(
    season, number_range, point, county_user, device, write
):
    submitted = CandidateFactory(season=season, point=point, stage=Stage.COUNTY)
    data = write([update_change(submitted)])
    first = services.apply(data, county_user)
    assert first.counts["refused"] == 1 and not first.refused[0].earlier

    again = services.apply(data, county_user)
    assert again.counts == {"applied": 0, "duplicate": 1, "conflict": 0, "refused": 0}
    assert [(p.candidate, p.earlier) for p in again.refused] == [(str(submitted.pk), True)]
    assert again.refused[0].message == first.refused[0].message
    submitted.refresh_from_db()
    assert submitted.version == 1


def test_e5_hostile_payload_signed_by_a_real_device_is_refused_change_by_change(
    season, number_range, point, county_user, device, write
):
    """A compromised or buggy client: the bundle is authentic, its changes are nonsense."""
    changes = [
        {"id": ["not", "a", "uuid"], "kind": {"x": 1}, "candidate": [1]},
        {"id": "6f1c1f9e-8a1e-4f0b-9a53-3d1f0f7d2a10", "kind": "drop", "candidate": None},
        create_change(point, 1, name="考生\x00\u202e", fee_fen=-5),
        create_change(point, 2, id_number="1" * 5000),
        update_change(CandidateFactory(season=season, point=point), fields={"version": 99}),
    ]
    summary = services.check(write(changes), county_user)
    assert summary.changes == 5
    result = services.apply(write(changes), county_user)
    assert result.counts["applied"] == 0
    assert result.counts["refused"] == 5
    assert Candidate.objects.count() == 1


def test_e5_a_device_with_a_small_order_key_is_never_trusted(
    season, number_range, point, county_user, device, write
):
    """The identity point has order 1: such a key would verify forged signatures."""
    import base64

    device.public_key = base64.b64encode((1).to_bytes(32, "little")).decode()
    device.save()
    refused(write([create_change(point, 1)]), county_user, bf.UNKNOWN_DEVICE)
