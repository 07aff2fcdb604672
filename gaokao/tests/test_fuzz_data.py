"""Issue 10 §4: hypothesis on the validators of the candidate's own data (S6: the portal's
`clean_data`, `clean_resume`, `clean_family`, also behind the paper keying and sync) and on
sync's `apply_changes` (S3, E4, E5) with random JSON: each value is either stored clean or
refused with a message, and a refused change changes nothing."""

import functools
import json
import uuid

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from gaokao.candidates import own_data
from gaokao.candidates.errors import CandidateRefused
from gaokao.candidates.models import Candidate
from gaokao.sync import fields, push
from gaokao.sync.models import Receipt
from gaokao.testing import hostile
from gaokao.testing.fuzzing import JSON, SCALAR, fuzz, rolled_back
from gaokao.testing.sync import TOKEN, create_change, update_change

pytestmark = pytest.mark.django_db


def messages_of(error: CandidateRefused) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for ms in error.message_dict.values() for m in ms]
    return list(error.messages)


# ── the candidate's data ──────────────────────────────────────────────────────────────


@fuzz()
@given(
    st.dictionaries(
        st.sampled_from([*own_data.DATA_FIELDS, "name", "id_number", "registration_number"]),
        SCALAR | st.sampled_from(["13800138000", "430102", "01", "G", "2019-09"]),
        max_size=8,
    )
)
def test_e3_fuzz_candidate_data_is_clean_or_refused(codes, data):
    try:
        cleaned = own_data.clean_data(data)
    except CandidateRefused as e:
        assert messages_of(e) and all(str(m) for m in messages_of(e))
        return
    assert set(cleaned) == set(own_data.DATA_FIELDS)  # identity never comes from a request
    for name, value in cleaned.items():
        assert isinstance(value, str) and hostile.is_clean(value), name
    for name, (limit, multiline) in own_data.TEXT_FIELDS.items():
        assert len(cleaned[name]) <= limit and (multiline or "\n" not in cleaned[name])


ROW = st.dictionaries(
    st.sampled_from([*own_data.RESUME_FIELDS, *own_data.FAMILY_FIELDS, "extra"]),
    SCALAR | st.sampled_from(["2015-09", "2018-06", "父亲", "13800138000"]),
    max_size=5,
)


@fuzz()
@given(st.lists(ROW, max_size=14), st.sampled_from(["resume", "family"]))
def test_e3_fuzz_resume_and_family_rows_are_clean_or_refused(rows, which):
    clean, limits = {
        "resume": (own_data.clean_resume, own_data.RESUME_FIELDS),
        "family": (own_data.clean_family, own_data.FAMILY_FIELDS),
    }[which]
    try:
        cleaned = clean(rows)
    except CandidateRefused as e:
        assert messages_of(e)
        return
    assert len(cleaned) <= own_data.MAX_ROWS
    for row in cleaned:
        assert set(row) == set(limits)
        for name, value in row.items():
            assert hostile.is_clean(value) and "\n" not in value
            assert len(value) <= limits[name]


# ── sync: apply_changes with random JSON ──────────────────────────────────────────────


def _create(point, n: int, extra: dict) -> dict:
    change = create_change(point, n)
    change["fields"] |= extra
    return change


def _changes(point):
    """A list of changes: random JSON, or genuine changes with random fields spliced in."""
    genuine = st.builds(
        functools.partial(_create, point),
        st.integers(1, 100),
        st.dictionaries(st.sampled_from(fields.SYNC_FIELDS), JSON, max_size=3),
    )
    mangled = st.builds(
        lambda change, key, value: change | {key: value},
        genuine,
        st.sampled_from(["id", "kind", "candidate", "base_version", "fields"]),
        JSON,
    )
    return st.lists(st.one_of(JSON, genuine, mangled), max_size=4)


@fuzz()
@given(st.data())
def test_e3_fuzz_apply_changes_answers_every_change_and_stores_only_clean_text(
    device, point, number_range, data
):
    changes = data.draw(_changes(point))
    with rolled_back():
        results = push.apply_changes(device, changes, via="bundle")
        assert len(results) == len(changes)
        for result in results:
            assert result["status"] in ("applied", "duplicate", "conflict", "refused")
            assert result["status"] != "refused" or result["message"]
            assert hostile.is_clean(result["message"]) or result["status"] != "refused"
        applied = {r["id"] for r in results if r["status"] == "applied"}
        assert Receipt.objects.filter(status="applied").count() == len(applied)
        for candidate in Candidate.objects.filter(point=point):
            for name in ("name", "fee_receipt", "eligibility_note", *own_data.DATA_FIELDS):
                assert hostile.is_clean(getattr(candidate, name)), name
            for row in [*candidate.resume.values(), *candidate.family.values()]:
                assert all(hostile.is_clean(v) for v in row.values() if isinstance(v, str))


@fuzz()
@given(
    st.dictionaries(st.sampled_from(fields.UPDATE_FIELDS), JSON, min_size=1, max_size=3),
    st.one_of(st.none(), st.integers(-3, 5)),
)
def test_e3_fuzz_random_updates_are_applied_clean_or_leave_the_record_alone(
    device, candidate, fields, base_version
):
    with rolled_back():
        before = Candidate.objects.filter(pk=candidate.pk).values().get()
        change = update_change(candidate, base_version=base_version, **fields)
        change["fields"] = fields
        [result] = push.apply_changes(device, [change], via="sync")
        after = Candidate.objects.filter(pk=candidate.pk).values().get()
        if result["status"] != "applied":
            assert after == before
            return
        for name in (*own_data.DATA_FIELDS, "fee_receipt", "eligibility_note"):
            assert hostile.is_clean(after[name]), name


def test_e3_fuzz_an_update_with_an_unstorable_time_is_refused(device, candidate):
    """Year 1 in UTC+14 is before year 1 in UTC: no database stores that instant."""
    for value in ("0001-01-01T00:00:00+14:00", "0001-01-01T05:00:00+23:59"):
        change = update_change(candidate, identity_verified_at=value)
        [result] = push.apply_changes(device, [change], via="sync")
        assert result["status"] == "refused" and result["message"]


@fuzz()
@given(st.one_of(JSON, st.builds(lambda c: {"changes": c}, JSON)))
def test_e3_fuzz_push_bodies_get_an_answer_never_a_500(client, device, body):
    with rolled_back():
        answer = client.post(
            "/api/v1/push",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Device {TOKEN}",
        )
    assert answer.status_code in (200, 400, 409, 413, 422), answer.content
    assert answer.json()  # JSON always, with a detail for people when refused
    if answer.status_code != 200:
        assert answer.json()["detail"]


def test_e3_card_intake_with_nul_in_the_track_is_refused_in_json(client, point_user, number_range):
    """Found by hypothesis on PostgreSQL, which refuses NUL in any text parameter."""
    client.force_login(point_user)
    body = {"card": _card(), "subject_track": "\x00"}
    answer = client.post(
        reverse("candidates:intake_card"), json.dumps(body), content_type="application/json"
    )
    assert answer.status_code == 200 and answer.json()["ok"] is False
    assert "科类" in answer.json()["error"]
    assert not Candidate.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        hostile.DEEP_JSON.encode(),
        b'{"changes": ' + hostile.DEEP_JSON.encode() + b"}",
        hostile.INVALID_UTF8,
        b'{"changes": [{"id": "' + str(uuid.uuid4()).encode() + b'", "kind": "\\ud800"}]}',
        b"\x00" * 100,
        b'{"changes": [{"id": NaN, "kind": Infinity, "fields": -Infinity}]}',
    ],
    ids=["deep", "deep-changes", "invalid-utf8", "lone-surrogate", "nul", "nan"],
)
def test_e3_fuzz_hostile_push_bytes_get_a_4xx(client, device, raw):
    answer = client.post(
        "/api/v1/push", raw, content_type="application/json", HTTP_AUTHORIZATION=f"Device {TOKEN}"
    )
    assert 400 <= answer.status_code < 500 or answer.status_code == 200, answer.content
    assert answer.json()
    assert not Candidate.objects.exists()


# ── card data posted by the intake page (the reader bridge's answer, untrusted) ──────


def _card() -> dict:
    from gaokao.idcard.cards import parse_text
    from gaokao.idcard.tests.blocks import resident_block

    return parse_text(resident_block(), bytes(1024)).to_json()


@fuzz()
@given(
    st.one_of(
        JSON,
        st.builds(lambda card: {"card": card, "subject_track": "5"}, JSON),
        st.builds(
            lambda changes, track: {"card": _card() | changes, "subject_track": track},
            st.dictionaries(st.sampled_from(sorted(_card())), JSON, max_size=2),
            SCALAR,
        ),
    )
)
def test_e3_fuzz_card_intake_answers_in_json_never_a_500(client, point_user, number_range, body):
    client.force_login(point_user)
    with rolled_back():
        answer = client.post(
            reverse("candidates:intake_card"), json.dumps(body), content_type="application/json"
        )
        assert answer.status_code in (200, 400), answer.content
        data = answer.json()
        assert data["ok"] or data["error"]
        for candidate in Candidate.objects.all():
            assert candidate.name.isprintable() and hostile.is_clean(candidate.name)


@pytest.mark.parametrize(
    "raw",
    [
        hostile.DEEP_JSON.encode(),
        b'{"card": ' + hostile.DEEP_JSON.encode() + b"}",
        hostile.INVALID_UTF8,
        b'{"card": {"name": "\\ud800"}}',
        b"",
    ],
    ids=["deep", "deep-card", "invalid-utf8", "lone-surrogate", "empty"],
)
def test_e3_fuzz_hostile_card_bytes_are_refused_in_json(client, point_user, number_range, raw):
    client.force_login(point_user)
    answer = client.post(reverse("candidates:intake_card"), raw, content_type="application/json")
    assert answer.status_code in (200, 400) and answer.json()["error"]
    assert not Candidate.objects.exists()
