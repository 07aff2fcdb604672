"""Issue 20: the sync screens show values as people read them (code names, not codes; the
ID number masked; times in local time), and times travel and compare at the one precision
the sync API carries, so that no conflict row is an artefact."""

import datetime as dt

import pytest
from django.utils import timezone

from gaokao.sync.display import labelled, value_rows
from gaokao.sync.fields import instant, value_of
from gaokao.testing.factories import resident_id

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english(english):
    """Labels are asserted in their source language."""


def test_r4_issue20_a_time_pulled_through_the_api_is_the_time_the_record_gives(api, make, point):
    read_at = timezone.now().replace(microsecond=123456)
    candidate = make(point, identity_verified_at=read_at)
    [snapshot] = api.get("/pull").json()["candidates"]
    # The API's JSON carries milliseconds; the record's value is written in that form.
    assert snapshot["identity_verified_at"] == value_of(candidate, "identity_verified_at")
    assert snapshot["identity_verified_at"].endswith(".123+08:00")
    # And the time as it came back, saved on the point client, is the same value again.
    candidate.identity_verified_at = dt.datetime.fromisoformat(snapshot["identity_verified_at"])
    assert value_of(candidate, "identity_verified_at") == snapshot["identity_verified_at"]


def test_r4_issue20_times_microseconds_apart_are_no_difference():
    at = timezone.localtime().replace(microsecond=123456)
    [row] = value_rows(
        {"identity_verified_at": at.replace(microsecond=123072).isoformat()},
        {"identity_verified_at": at.isoformat()},
        {"identity_verified_at": instant(at)},
    )
    assert not row["differs"] and not row["moved"]
    assert row["point"] == row["now"] == at.strftime("%Y-%m-%d %H:%M:%S")


def test_r4_issue20_codes_show_their_names_and_the_id_number_is_masked(codes):
    id_number = resident_id(5, birth="20020315")
    shown = dict(
        labelled(
            {
                "document_type": "3",
                "sex": "2",
                "ethnicity": "01",
                "identity_source": "reader",
                "id_number": id_number,
            }
        )
    )
    assert shown["Document type"] == "外国人永久居留身份证"
    assert shown["Sex"] == "女"
    assert shown["Ethnicity"] == "汉族"
    assert shown["Identity collected"] != "reader"
    assert shown["Document number"] == id_number[:3] + "*" * 11 + id_number[-4:]


def test_r4_issue20_the_conflict_page_names_codes_too(codes):
    [row] = value_rows({"sex": "2"}, {"sex": "1"})
    assert (row["point"], row["now"], row["differs"]) == ("女", "男", True)
