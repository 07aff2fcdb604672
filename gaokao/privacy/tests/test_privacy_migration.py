"""The migrations encrypt the numbers already stored, in batches, fill the blind index and
move the unique constraint onto it; and decrypt them again when reversed (issue 10)."""

import datetime as dt
import json
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from gaokao.privacy import crypto, migrating

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("candidates", "0007_point_client"),
    ("accounts", "0002_totp_and_throttle"),
    ("proofreading", "0001_confirmation_identity_check_printout"),
]
AFTER = [
    ("candidates", "0008_encrypt_identity_numbers"),
    ("accounts", "0003_encrypt_id_number"),
    ("proofreading", "0002_identity_check_blind_index"),
]
NUMBERS = [f"43010220020315{n:03d}{'0123456789X'[n % 11]}" for n in range(7)]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def raw(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} ORDER BY {column}")  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def old_rows(monkeypatch):
    """Rows written by the code before the encryption, in the schema before it."""
    monkeypatch.setattr(migrating, "BATCH", 3)  # several batches for a few rows
    old = migrate(BEFORE)
    Region = old.get_model("regions", "Region")
    Point = old.get_model("regions", "RegistrationPoint")
    Season = old.get_model("seasons", "Season")
    Staff = old.get_model("accounts", "StaffUser")
    Candidate = old.get_model("candidates", "Candidate")
    Check = old.get_model("proofreading", "IdentityCheck")
    province = Region.objects.create(code="990000", name="省", level="province")
    city = Region.objects.create(code="990100", name="市", level="city", parent=province)
    county = Region.objects.create(code="990101", name="县", level="county", parent=city)
    point = Point.objects.create(code="9901001", name="点", county=county)
    season = Season.objects.create(province=province, year=2020, name="迁移测试")
    staff = Staff.objects.create(
        username="m1", role="point", point=point, id_number="430102198501010018"
    )
    made = []
    for i, number in enumerate(NUMBERS):
        made.append(
            Candidate.objects.create(
                id=uuid.uuid4(),
                season=season,
                point=point,
                subject_track="5",
                registration_number=f"9901{i + 1:04d}",
                id_number=number,
                student_number="G" + number if i == 0 else "",
                name=f"考生{i}",
                sex="1",
                birth_date=dt.date(2002, 3, 15),
                identity_source="manual",
            )
        )
    Check.objects.create(
        candidate=made[1],
        checked_by=staff,
        checked_at=timezone.now(),
        name=made[1].name,
        id_number=NUMBERS[1],
    )
    yield
    # The rest of the suite runs on the latest schema.
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_o4_privacy_the_migration_encrypts_indexes_and_reverses(old_rows):
    new = migrate(AFTER)
    stored = raw("candidates_candidate", "id_number")
    assert all(v.startswith("v1:") for v in stored) and not set(NUMBERS) & set(stored)
    assert all(NUMBERS[0] not in v for v in raw("candidates_candidate", "student_number"))
    Candidate = new.get_model("candidates", "Candidate")
    by_number = {c.id_number: c for c in Candidate.objects.all()}
    assert set(by_number) == set(NUMBERS)
    assert all(c.id_number_index == crypto.blind_index(n) for n, c in by_number.items())
    assert by_number[NUMBERS[0]].student_number == "G" + NUMBERS[0]
    [staff] = raw("accounts_staffuser", "id_number")
    assert staff.startswith("v1:") and "430102198501010018" not in staff
    Check = new.get_model("proofreading", "IdentityCheck")
    assert Check.objects.get().id_number_index == by_number[NUMBERS[1]].id_number_index

    migrate(BEFORE)
    assert raw("candidates_candidate", "id_number") == sorted(NUMBERS)
    assert raw("accounts_staffuser", "id_number") == ["430102198501010018"]
    assert raw("proofreading_identitycheck", "id_number") == [NUMBERS[1]]
    assert "G" + NUMBERS[0] in raw("candidates_candidate", "student_number")


def test_o4_privacy_the_point_clients_outbox_is_encrypted_by_its_migration():
    before, after = (
        [("client", "0001_outbox_state_known")],
        [("client", "0002_encrypt_outbox_and_known")],
    )
    payload = {"kind": "create", "fields": {"id_number": NUMBERS[2], "name": "考生"}}
    old = migrate(before)
    entry = old.get_model("client", "Outbox").objects.create(
        id=uuid.uuid4(), kind="change", candidate_id=uuid.uuid4(), payload=payload
    )
    old.get_model("client", "Known").objects.create(
        candidate_id=entry.candidate_id, version=1, fields=payload["fields"]
    )
    try:
        new = migrate(after)
        for table, column in (("client_outbox", "payload"), ("client_known", "fields")):
            [stored] = raw(table, column)
            assert crypto.is_encrypted(stored) and NUMBERS[2] not in stored
        assert new.get_model("client", "Outbox").objects.get().payload == payload
        assert new.get_model("client", "Known").objects.get().fields == payload["fields"]

        migrate(before)
        assert json.loads(raw("client_outbox", "payload")[0]) == payload
    finally:
        migrate(after)
