"""ID numbers at rest (issue 10): encrypted in the database, found through the blind index,
never compared in clear by the database."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from gaokao.accounts.models import StaffUser
from gaokao.candidates import services
from gaokao.candidates.models import Candidate
from gaokao.candidates.services import IntakeRefused
from gaokao.candidates.tests.conftest import card
from gaokao.privacy import crypto, keys
from gaokao.privacy.crypto import DecryptionError
from gaokao.privacy.fields import PlaintextLookup, bulk_update_indexed, with_indexes
from gaokao.privacy.lookups import by_index
from gaokao.testing.factories import (
    CandidateFactory,
    PointFactory,
    SeasonFactory,
    make_range,
    resident_id,
)

NUMBER = resident_id(501)
TABLE = Candidate._meta.db_table


# The table and column names in the SQL below are the tests' own constants, never input.


def stored(index: str, column: str = "id_number", table: str = TABLE) -> str:
    """The column as the database holds it, read with plain SQL."""
    sql = f"SELECT {column} FROM {table} WHERE id_number_index = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [index])
        return cursor.fetchone()[0]


def set_stored(index: str, column: str, value: str, table: str = TABLE) -> None:
    sql = f"UPDATE {table} SET {column} = %s WHERE id_number_index = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [value, index])


@pytest.fixture
def person(season, point):
    return CandidateFactory(
        season=season, point=point, id_number=NUMBER, student_number="G" + NUMBER
    )


# ── round trip, and no plaintext in the database ──────────────────────────────────────


def test_o4_privacy_the_number_round_trips_and_the_column_holds_no_plaintext(person):
    fresh = Candidate.objects.get(pk=person.pk)
    assert fresh.id_number == NUMBER and fresh.student_number == "G" + NUMBER
    raw = stored(person.id_number_index)
    assert raw.startswith(f"v1:{keys.current_data_key()[0]}:")
    assert NUMBER not in raw and NUMBER[-6:] not in raw
    assert NUMBER not in stored(person.id_number_index, "student_number")
    assert person.id_number_index == crypto.blind_index(NUMBER) and NUMBER not in str(
        person.id_number_index
    )
    # values() and values_list() decrypt as well
    assert Candidate.objects.values_list("id_number", flat=True).get(pk=person.pk) == NUMBER


def test_o4_privacy_every_save_uses_a_fresh_nonce(person):
    first = stored(person.id_number_index)
    person.save()
    assert stored(person.id_number_index) != first
    assert Candidate.objects.get(pk=person.pk).id_number == NUMBER


def test_o4_privacy_the_staffs_real_name_number_is_encrypted_too(point_user):
    point_user.id_number = "430102198501010018"
    point_user.save()
    raw = stored(point_user.id_number_index, table=StaffUser._meta.db_table)
    assert raw.startswith("v1:") and "430102198501010018" not in raw
    assert StaffUser.objects.get(pk=point_user.pk).id_number == "430102198501010018"
    assert StaffUser.objects.filter(by_index("430102198501010018")).get() == point_user


def test_o4_privacy_an_empty_value_stays_empty_and_can_be_asked_for(candidate):
    assert stored(candidate.id_number_index, "student_number") == ""
    assert Candidate.objects.filter(student_number="").count() == 1
    assert Candidate.objects.filter(id_number__isnull=True).count() == 0


# ── damaged values say so clearly ──────────────────────────────────────────────────────


def test_o4_privacy_a_value_under_an_unknown_key_id_raises_a_clear_error(person):
    raw = stored(person.id_number_index)
    key_id = crypto.key_id_of(raw)
    set_stored(person.id_number_index, "id_number", raw.replace(f":{key_id}:", ":gone:", 1))
    with pytest.raises(DecryptionError) as error:
        Candidate.objects.get(pk=person.pk)
    assert "'gone'" in str(error.value) and "candidates.candidate.id_number" in str(error.value)
    assert NUMBER not in str(error.value)


def test_o4_privacy_a_tampered_value_fails_its_integrity_check(person):
    raw = stored(person.id_number_index)
    body = raw.rsplit(":", 1)[1]
    flipped = body[:-6] + ("A" if body[-6] != "A" else "B") + body[-5:]
    set_stored(person.id_number_index, "id_number", raw.rsplit(":", 1)[0] + ":" + flipped)
    with pytest.raises(DecryptionError, match="integrity"):
        Candidate.objects.get(pk=person.pk)


def test_o4_privacy_a_value_moved_to_another_column_does_not_decrypt(person):
    set_stored(person.id_number_index, "student_number", stored(person.id_number_index))
    with pytest.raises(DecryptionError, match="student_number"):
        Candidate.objects.get(pk=person.pk)


def test_o4_privacy_plaintext_in_an_encrypted_column_is_refused(person):
    set_stored(person.id_number_index, "id_number", NUMBER)
    with pytest.raises(DecryptionError, match="not encrypted"):
        Candidate.objects.get(pk=person.pk)


# ── look-ups: by the blind index only ──────────────────────────────────────────────────


@pytest.mark.parametrize(
    "query",
    [
        lambda: Candidate.objects.filter(id_number=NUMBER),
        lambda: Candidate.objects.exclude(id_number=NUMBER),
        lambda: Candidate.objects.get(id_number=NUMBER),
        lambda: Candidate.objects.filter(id_number__in=[NUMBER]),
        lambda: Candidate.objects.filter(id_number__contains="4301"),
        lambda: Candidate.objects.filter(id_number__iexact=NUMBER),
        lambda: Candidate.objects.filter(student_number=F("id_number")),
        lambda: StaffUser.objects.filter(id_number=NUMBER),
    ],
)
def test_o4_privacy_a_plaintext_lookup_raises_instead_of_silently_finding_nothing(person, query):
    with pytest.raises(PlaintextLookup) as error:
        list(query())
    assert "encrypted" in str(error.value)


def test_o4_privacy_the_error_names_the_index_to_use(person):
    with pytest.raises(PlaintextLookup, match="id_number_index"):
        Candidate.objects.filter(id_number=NUMBER).exists()


def test_o4_privacy_the_blind_index_finds_the_person_exactly(person, season, point):
    CandidateFactory(season=season, point=point)
    assert list(Candidate.objects.filter(by_index(NUMBER))) == [person]
    assert list(Candidate.objects.filter(by_index(NUMBER.lower()))) == [person]  # x or X
    assert list(Candidate.objects.filter(by_index(" " + NUMBER + " "))) == [person]
    assert not Candidate.objects.filter(by_index(NUMBER[:-1])).exists()  # exact only
    assert not Candidate.objects.filter(by_index("")).exists()


def test_o4_privacy_one_person_once_per_season_is_kept_by_the_database(person, season, point):
    with pytest.raises(IntegrityError), transaction.atomic():
        CandidateFactory(season=season, point=PointFactory(), id_number=NUMBER)
    other_season = SeasonFactory(province=season.province, is_current=False)
    CandidateFactory(season=other_season, point=point, id_number=NUMBER)
    assert Candidate.objects.filter(by_index(NUMBER)).count() == 2


def test_o4_privacy_the_duplicate_registration_is_refused_across_points(
    main_window, season, point, ranges, county
):
    services.take_in_from_card(season, point, "5", card(3), by=None)
    elsewhere = PointFactory(county=county)
    make_range(season, elsewhere, "5", 101, 150)
    with pytest.raises(IntakeRefused) as refused:
        services.take_in_from_card(season, elsewhere, "5", card(3), by=None)
    assert refused.value.code == "duplicate" and point.name in " ".join(refused.value.messages)
    assert Candidate.objects.count() == 1


def test_o4_privacy_save_with_update_fields_writes_the_index_with_the_number(person):
    other = resident_id(502)
    person.id_number = other
    person.save(update_fields=["id_number"])
    assert Candidate.objects.filter(by_index(other)).get() == person
    assert not Candidate.objects.filter(by_index(NUMBER)).exists()


def test_o4_privacy_update_and_bulk_update_helpers_keep_the_index(person, candidate):
    other = resident_id(503)
    Candidate.objects.filter(pk=person.pk).update(**with_indexes(Candidate, {"id_number": other}))
    assert Candidate.objects.filter(by_index(other)).get() == person
    candidate.id_number = resident_id(504)
    bulk_update_indexed(Candidate, [candidate], ["id_number"])
    assert Candidate.objects.filter(by_index(resident_id(504))).get() == candidate


def test_o4_privacy_bulk_create_sets_the_index(season, point):
    made = Candidate.objects.bulk_create(
        [CandidateFactory.build(season=season, point=point, id_number=resident_id(505))]
    )
    assert made[0].id_number_index == crypto.blind_index(resident_id(505))
    assert Candidate.objects.filter(by_index(resident_id(505))).exists()


def test_o4_privacy_full_clean_checks_the_one_person_per_season_rule(person, season, point):
    twin = CandidateFactory.build(season=season, point=point, id_number=NUMBER.lower())
    with pytest.raises(ValidationError) as error:
        twin.full_clean(exclude=["number_range", "created_by"])
    assert list(error.value.message_dict) == ["__all__"]  # the constraint, not a field
