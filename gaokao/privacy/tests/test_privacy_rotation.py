"""Key rotation (issue 10): `gaokao privacy new-key` and `gaokao privacy rotate` re-encrypt
every value in batches, old values stay readable meanwhile, a stopped run goes on where it
stopped, and a run with nothing to do changes nothing; `--reindex` after a new index key."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.models import Candidate, IdentitySource
from gaokao.privacy import crypto, keys, services
from gaokao.privacy.lookups import by_index
from gaokao.proofreading.models import IdentityCheck
from gaokao.proofreading.services import identity_checked
from gaokao.testing.factories import CandidateFactory, resident_id


def raw_values(model=Candidate, column="id_number") -> list[str]:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def key_ids(model=Candidate, column="id_number") -> set[str]:
    return {crypto.key_id_of(v) for v in raw_values(model, column)}


def run(*args) -> str:
    out = io.StringIO()
    call_command("privacy", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def people(key_file, season, point):
    made = [
        CandidateFactory(season=season, point=point, id_number=resident_id(700 + i))
        for i in range(5)
    ]
    made[0].student_number = "G" + made[0].id_number
    made[0].save()
    return made


def test_o4_privacy_rotate_moves_every_value_to_the_new_key(people, point_user):
    point_user.id_number = "430102198501010018"
    point_user.save()
    old_key = keys.current_data_key()[0]
    before = {c.pk: (c.id_number, c.version) for c in Candidate.objects.all()}
    updated = dict(Candidate.objects.values_list("pk", "updated_at"))

    run("new-key")
    new_key = keys.current_data_key()[0]
    assert new_key != old_key and [k for k, _v in keys.get_keys().data] == [new_key, old_key]
    # Values written before are still read; values written now use the new key.
    assert {c.pk: c.id_number for c in Candidate.objects.all()} == {
        pk: n for pk, (n, _v) in before.items()
    }
    people[1].save()
    assert key_ids() == {old_key, new_key}
    [column] = [s for s in services.status() if s.column == "candidates.candidate.id_number"]
    assert (column.rows, column.to_rotate) == (5, 4)

    out = run("rotate", "--batch", "2")
    assert key_ids() == {new_key}
    assert key_ids(column="student_number") == {new_key}
    assert key_ids(type(point_user)) == {new_key}
    assert {c.pk: (c.id_number, c.version) for c in Candidate.objects.all()} == before
    assert dict(Candidate.objects.values_list("pk", "updated_at")) != updated  # the save above
    assert dict(Candidate.objects.exclude(pk=people[1].pk).values_list("pk", "updated_at")) == {
        pk: t for pk, t in updated.items() if pk != people[1].pk
    }, "a rotation is no change of the candidate's data"
    assert new_key in out
    [event] = AuditEvent.objects.filter(action=Action.KEYS_ROTATED)
    assert event.detail["key_id"] == new_key
    assert event.detail["rows"]["candidates.candidate.id_number"] == 4

    again = list(raw_values())
    run("rotate")
    assert raw_values() == again, "nothing left to do: nothing written"
    assert all(s.to_rotate == 0 for s in services.status())


def test_o4_privacy_a_stopped_rotation_goes_on_where_it_stopped(people):
    old_key = keys.current_data_key()[0]
    run("new-key")
    new_key = keys.current_data_key()[0]

    class Stop(Exception):
        pass

    def stop_after_the_first_batch(column, done, total):
        raise Stop

    with pytest.raises(Stop):
        services.rotate(by="test", batch=2, progress=stop_after_the_first_batch)
    ids = [crypto.key_id_of(v) for v in raw_values()]
    assert ids.count(new_key) == 2 and ids.count(old_key) == 3  # the first batch committed
    report = services.rotate(by="test", batch=2)
    assert report.rotated["candidates.candidate.id_number"] == 3
    assert key_ids() == {new_key}


def test_o4_privacy_a_key_removed_too_early_is_named_and_the_rotation_stops(people, key_file):
    old_key = keys.current_data_key()[0]
    run("new-key")
    found = keys.get_keys()
    keys.write_keys_file(key_file, keys.Keys(found.data[:1], found.index))
    with pytest.raises(CommandError, match=old_key):
        run("rotate")
    with pytest.raises(crypto.DecryptionError, match=old_key):
        Candidate.objects.get(pk=people[0].pk)


def test_o4_privacy_reindex_after_a_new_index_key(people, point_user):
    keyed = people[2]
    Candidate.objects.filter(pk=keyed.pk).update(
        identity_source=IdentitySource.MANUAL, identity_verified_at=None
    )
    IdentityCheck.objects.create(
        candidate=keyed,
        checked_by=point_user,
        checked_at=timezone.now(),
        name=keyed.name,
        id_number_index=keyed.id_number_index,
    )
    assert identity_checked(keyed)
    old_indexes = dict(Candidate.objects.values_list("pk", "id_number_index"))

    run("new-key", "--index")
    assert keys.old_index_key() is not None
    # During the re-index, look-ups find rows under either key.
    assert Candidate.objects.filter(by_index(keyed.id_number)).get() == keyed
    with pytest.raises(CommandError):
        run("new-key", "--index")  # one re-index at a time

    out = run("rotate", "--reindex", "--batch", "2")
    new_indexes = dict(Candidate.objects.values_list("pk", "id_number_index"))
    assert all(new_indexes[pk] != old for pk, old in old_indexes.items())
    assert all(
        new_indexes[c.pk] == crypto.blind_index(c.id_number) for c in Candidate.objects.all()
    )
    assert IdentityCheck.objects.get().id_number_index == new_indexes[keyed.pk]
    assert identity_checked(keyed), "the copy of the index moved with it"
    assert keys.old_index_key() is None, "removed from the key file once done"
    assert Candidate.objects.filter(by_index(keyed.id_number)).get() == keyed
    assert "5" in out
    assert (
        run("rotate", "--reindex")
        and AuditEvent.objects.filter(action=Action.KEYS_ROTATED, detail__step="reindex").count()
        == 2
    )


def test_o4_privacy_a_check_of_another_number_is_not_carried_over(people, point_user):
    keyed = people[3]
    IdentityCheck.objects.create(
        candidate=keyed,
        checked_by=point_user,
        checked_at=timezone.now(),
        name=keyed.name,
        id_number_index=crypto.blind_index(resident_id(799)),  # the number was corrected since
    )
    run("new-key", "--index")
    run("rotate", "--reindex")
    keyed.refresh_from_db()
    assert IdentityCheck.objects.get().id_number_index != keyed.id_number_index


def test_o4_privacy_status_lists_the_keys_and_what_is_left(people):
    out = run("status")
    assert keys.current_data_key()[0] in out and "candidates.candidate.id_number" in out


def test_o4_privacy_with_configured_keys_new_key_only_prints_what_to_do(key_file, settings):
    before = key_file.read_text()
    settings.DATA_KEYS = keys.format_data_keys([("k1", bytes(32))])
    settings.INDEX_KEY = keys.encoded(bytes(range(32)))
    out = run("new-key")
    assert keys.DATA_KEYS_VAR in out and key_file.read_text() == before  # the file untouched
    assert keys.OLD_INDEX_KEY_VAR in run("new-key", "--index")
