"""O4 on the point client: the outbox and the values last confirmed by the server carry
candidates' data, ID numbers included, until the server has it. They are encrypted at rest
with the installation's data key like the candidates' own columns, read back whole, never
searchable in clear, and moved to a new key by `gaokao privacy rotate`."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from gaokao.client.models import Known, Outbox
from gaokao.client.tests.conftest import create_entry, synced_candidate
from gaokao.privacy import crypto, keys, services
from gaokao.privacy.fields import PlaintextLookup

pytestmark = pytest.mark.django_db


def stored(model, column: str) -> list[str]:
    """The column as the database holds it, read with plain SQL."""
    table = model._meta.db_table  # the tests' own constants, never input
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def test_o4_the_outbox_holds_the_id_number_encrypted_and_reads_it_back(client_mode, point):
    entry = create_entry(point, 1, name="张三")
    number = entry.payload["fields"]["id_number"]

    [raw] = stored(Outbox, "payload")
    assert raw.startswith(f"{crypto.PREFIX}{keys.current_data_key()[0]}:")
    assert number not in raw and number[-6:] not in raw and "张三" not in raw
    fresh = Outbox.objects.get(pk=entry.pk)
    assert fresh.payload == entry.payload
    assert fresh.payload["fields"]["id_number"] == number


def test_o4_the_values_the_server_confirmed_are_encrypted_too(client_mode, season, point):
    candidate = synced_candidate(season, point)

    [raw] = stored(Known, "fields")
    assert crypto.is_encrypted(raw) and candidate.id_number not in raw
    assert Known.objects.get(pk=candidate.pk).fields["id_number"] == candidate.id_number


def test_o4_the_outbox_content_cannot_be_searched_in_clear(client_mode, point):
    create_entry(point, 1)
    with pytest.raises(PlaintextLookup, match="encrypted at rest"):
        list(Outbox.objects.filter(payload__fields__name="客户端考生1"))
    assert Outbox.objects.filter(payload__isnull=False).count() == 1


def test_o4_a_key_rotation_moves_the_outbox_to_the_new_key(client_mode, key_file, season, point):
    entry = create_entry(point, 2)
    synced_candidate(season, point)
    old_key = keys.current_data_key()[0]

    call_command("privacy", "new-key", stdout=io.StringIO())
    new_key = keys.current_data_key()[0]
    pending = {s.column: s.to_rotate for s in services.status()}
    assert pending["client.outbox.payload"] == 1 and pending["client.known.fields"] == 1

    call_command("privacy", "rotate", stdout=io.StringIO())
    assert {crypto.key_id_of(v) for v in stored(Outbox, "payload")} == {new_key} != {old_key}
    assert {crypto.key_id_of(v) for v in stored(Known, "fields")} == {new_key}
    assert Outbox.objects.get(pk=entry.pk).payload == entry.payload
