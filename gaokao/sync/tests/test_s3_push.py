"""S3, E4, E5: changes pushed by a point client are checked by the office web's rules,
applied once however often they arrive, and never overwrite a record that changed
meanwhile."""

import datetime as dt
import uuid

import pytest
from django.db import transaction

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.models import Candidate, ReviewState, Stage
from gaokao.numbering.models import registration_number
from gaokao.privacy.lookups import by_index
from gaokao.sync import push
from gaokao.sync.models import Conflict, Receipt
from gaokao.sync.tests.conftest import state
from gaokao.testing.factories import PointFactory, resident_id
from gaokao.testing.sync import create_change, update_change

pytestmark = pytest.mark.django_db


def one(answer) -> dict:
    assert answer.status_code == 200, answer.content
    [result] = answer.json()["results"]
    return result


def test_s3_a_create_pushed_twice_is_applied_once(api, point, point_user, number_range):
    change = create_change(point, 7, keyed_from_paper=True, mobile="13800138000")
    first = one(api.push(change))

    assert (first["status"], first["version"], first["id"]) == ("applied", 1, change["id"])
    candidate = Candidate.objects.get(pk=change["candidate"])
    assert (candidate.point, candidate.name, candidate.registration_number) == (
        point,
        "同步考生7",
        registration_number(point.county.registration_code, 7),
    )
    assert candidate.number_range == number_range
    assert candidate.keyed_from_paper and candidate.mobile == "13800138000"
    assert candidate.data_saved_at is not None  # keyed in from the paper form (E4)
    assert (candidate.fee_fen, candidate.point_checked_by) == (4000, point_user)
    assert candidate.created_by == point_user and candidate.identity_verified_at
    number_range.refresh_from_db()
    assert number_range.next_serial == 8  # the office web issues after the client's numbers
    after_first = state()

    again = one(api.push(change))
    assert again["status"] == "duplicate"
    assert (again["original_status"], again["version"]) == ("applied", 1)
    assert state() == after_first
    assert AuditEvent.objects.filter(action=Action.SYNC_APPLIED).count() == 1
    receipt = Receipt.objects.get()
    assert (receipt.via, receipt.status, str(receipt.candidate_id)) == (
        "sync",
        "applied",
        change["candidate"],
    )


def test_s3_results_come_in_order_each_change_on_its_own(api, point, number_range):
    good, bad = create_change(point, 1), create_change(point, 2, sex="9")
    results = api.push(good, bad, create_change(point, 3)).json()["results"]
    assert [r["status"] for r in results] == ["applied", "refused", "applied"]
    assert results[1]["message"]
    assert Candidate.objects.count() == 2


def test_s3_an_update_applies_and_bumps_the_version(api, make, point, number_range):
    candidate = make(point)
    result = one(api.push(update_change(candidate, fee_fen=5000, fee_receipt="R-1")))
    assert (result["status"], result["version"]) == ("applied", 2)
    candidate.refresh_from_db()
    assert (candidate.fee_fen, candidate.fee_receipt, candidate.version) == (5000, "R-1", 2)
    event = AuditEvent.objects.get(action=Action.SYNC_APPLIED)
    assert event.detail["before"]["fee_fen"] is None and event.detail["after"]["fee_fen"] == 5000
    assert event.point == point and event.detail["via"] == "sync"


def test_s3_a_stale_update_becomes_a_conflict_and_overwrites_nothing(api, make, point):
    candidate = make(point, fee_fen=3000, fee_receipt="S-1")
    candidate.version = 4
    candidate.save()

    result = one(
        api.push(update_change(candidate, base_version=2, fee_fen=4000, mobile="13900139000"))
    )

    assert (result["status"], result["version"]) == ("conflict", 4)
    assert result["conflict"] and result["message"]
    candidate.refresh_from_db()
    assert (candidate.fee_fen, candidate.fee_receipt, candidate.mobile, candidate.version) == (
        3000,
        "S-1",
        "",
        4,
    )
    conflict = Conflict.objects.get(pk=result["conflict"])
    assert conflict.point_values == {"fee_fen": 4000, "mobile": "13900139000"}
    assert conflict.server_values == {"fee_fen": 3000, "mobile": ""}
    assert (conflict.base_version, conflict.server_version) == (2, 4)
    assert AuditEvent.objects.filter(action=Action.SYNC_CONFLICT).count() == 1


def test_s3_another_points_candidate_is_refused_without_a_word_about_it(
    api, make, county, other_point, point
):
    neighbour = make(PointFactory(county=county), name="邻校考生")
    foreign = make(other_point, name="外县考生")
    before = state()
    for candidate in (neighbour, foreign):
        result = one(api.push(update_change(candidate, mobile="13800138000")))
        assert result["status"] == "refused"
        assert candidate.name not in result["message"]
        assert candidate.point.name not in result["message"]
        assert result["version"] is None
    missing = update_change(neighbour, mobile="13800138000") | {"candidate": str(uuid.uuid4())}
    assert one(api.push(missing))["message"] == result["message"]  # same as a missing one
    assert state()[0] == before[0]
    assert all(e.target == "" for e in AuditEvent.objects.filter(action=Action.SYNC_REFUSED))


def test_s3_a_create_reusing_another_points_candidate_id_is_refused(api, make, other_point, point):
    foreign = make(other_point)
    change = create_change(point, 1) | {"candidate": str(foreign.pk)}
    result = one(api.push(change))
    assert result["status"] == "refused" and foreign.name not in result["message"]


def test_s3_a_submitted_candidate_is_refused(api, make, point):
    submitted = make(point, stage=Stage.COUNTY)
    result = one(api.push(update_change(submitted, mobile="13800138000")))
    assert result["status"] == "refused"
    submitted.refresh_from_db()
    assert (submitted.mobile, submitted.version) == ("", 1)


def test_s3_a_number_outside_the_points_ranges_is_refused(api, county, point, number_range):
    code = point.county.registration_code
    neighbours = PointFactory(county=county)
    neighbours_range = type(number_range).objects.create(
        season=number_range.season,
        point=neighbours,
        subject_track=number_range.subject_track,
        first=101,
        last=200,
        next_serial=101,
    )
    for number in (
        registration_number(code, 101),  # the neighbour point's range
        registration_number(code, 500),  # nobody's
        "99990001",  # another county's code
        registration_number(code, 5)[:7],  # not 8 digits
    ):
        result = one(api.push(create_change(point, 1, registration_number=number)))
        assert result["status"] == "refused", number
    other_track = one(api.push(create_change(point, 1, subject_track="1")))  # 文史: no range
    assert other_track["status"] == "refused"
    assert not Candidate.objects.exists()
    neighbours_range.refresh_from_db()
    assert neighbours_range.next_serial == 101


def test_s3_issue20_a_used_number_is_a_conflict_for_the_county_never_a_lost_candidate(
    api, make, point, number_range
):
    number = registration_number(point.county.registration_code, 3)
    make(point, registration_number=number)
    result = one(api.push(create_change(point, 3)))
    assert result["status"] == "conflict" and result["reason"] == "number_taken"
    assert number in result["message"]
    assert Candidate.objects.count() == 2
    assert Candidate.objects.filter(registration_number=None).count() == 1


def test_s3_a_person_registered_already_is_refused_with_where(api, make, other_point, point):
    elsewhere = make(other_point, id_number=resident_id(77))
    result = one(
        api.push(create_change(point, 1, id_number=resident_id(77), birth_date="2002-03-15"))
    )
    assert result["status"] == "refused"
    assert other_point.name in result["message"]  # like intake: says where
    assert Candidate.objects.filter(by_index(elsewhere.id_number)).count() == 1


def test_s3_identity_cannot_change_by_sync(api, make, point):
    candidate = make(point)
    result = one(api.push(update_change(candidate, name="改名")))
    assert result["status"] == "refused"
    candidate.refresh_from_db()
    assert candidate.name != "改名"


def test_s3_a_manual_identity_waits_for_its_review(api, point, number_range):
    change = create_change(point, 1, eligibility_path="migrant", identity_source="manual")
    assert one(api.push(change))["status"] == "applied"
    candidate = Candidate.objects.get()
    assert candidate.review_state == ReviewState.PENDING
    assert candidate.identity_verified_at is None


@pytest.mark.parametrize(
    "fields",
    [
        {"sex": "9"},  # not a code
        {"name": "张\x00三"},
        {"name": "张" * 61},
        {"name": 123},
        {"birth_date": "2002-02-30"},
        {"birth_date": "20020315"},
        {"birth_date": "2003-03-15"},  # differs from the ID number
        {"id_number": "430102200203150010"},  # bad check digit
        {"identity_source": "telepathy"},
        {"eligibility_path": "vip"},
        {"fee_fen": -1},
        {"fee_fen": 10**12},
        {"fee_fen": "4000"},
        {"fee_fen": True},
        {"fee_receipt": ""},  # a fee without its receipt
        {"eligibility": "ineligible"},  # without a reason
        {"documents_received": "yes"},
        {"mobile": "12345"},
        {"specialties": "长" * 501},
        {"school": "NOPE"},
        {"card_photo": "AAAA"},  # not a field sync may send
        {"portal_password": "x"},
        {"stage": "accepted"},
        {"\x00": 1},
        {"subject_track": "ZZ"},
    ],
)
def test_s3_bad_values_are_refused_and_nothing_is_created(api, point, number_range, fields):
    result = one(api.push(create_change(point, 1, **fields)))
    assert result["status"] == "refused", fields
    assert result["message"] and "\x00" not in result["message"]
    assert not Candidate.objects.exists()
    number_range.refresh_from_db()
    assert number_range.next_serial == 1


def test_s3_control_characters_in_free_text_are_dropped(api, make, point):
    candidate = make(point)
    change = update_change(candidate, specialties="书法\x1b[31m\u202e 二胡", eligibility_note="")
    assert one(api.push(change))["status"] == "applied"
    candidate.refresh_from_db()
    assert candidate.specialties == "书法[31m 二胡"


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "update", "fields": {"mobile": "13800138000"}},  # no base_version
        {"kind": "update", "base_version": "1", "fields": {"mobile": "13800138000"}},
        {"kind": "update", "base_version": 1, "fields": {}},
        {"kind": "update", "base_version": 1, "fields": []},
        {"kind": "delete", "base_version": 1, "fields": {"mobile": "13800138000"}},
    ],
)
def test_s3_malformed_changes_are_refused_one_by_one(make, point, device, change):
    candidate = make(point)
    change = {"id": str(uuid.uuid4()), "candidate": str(candidate.pk)} | change
    [result] = push.apply_changes(device, [change])
    assert result["status"] == "refused"
    candidate.refresh_from_db()
    assert candidate.version == 1


def test_s3_garbage_in_a_bundle_is_refused_item_by_item(device, point, number_range):
    garbage = [None, 5, "x", [], {"id": "not-a-uuid"}, {"id": "\x00" * 100}, {}]
    results = push.apply_changes(device, [*garbage, create_change(point, 1)], via="bundle")
    assert [r["status"] for r in results] == ["refused"] * len(garbage) + ["applied"]
    assert all("\x00" not in r["id"] for r in results)
    assert Receipt.objects.count() == 1


def test_s3_a_change_id_of_another_device_is_not_replayed(
    api, point, number_range, other_device, other_point
):
    change = create_change(point, 1)
    one(api.push(change))
    [result] = push.apply_changes(other_device, [change])
    assert result["status"] == "refused" and result["version"] is None


def test_s3_creating_needs_the_window_open_but_a_bundle_comes_after_it(
    api, point, device, number_range, clock
):
    clock.move_to(dt.datetime(2019, 11, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    late = one(api.push(create_change(point, 1)))
    assert late["status"] == "refused"
    [on_disc] = push.apply_changes(device, [create_change(point, 2)], via="bundle")
    assert on_disc["status"] == "applied"  # E5: the county imports it after the deadline


def test_s3_two_updates_from_the_same_version_the_second_conflicts(api, make, point):
    candidate = make(point)
    first, second = (
        update_change(candidate, mobile="13800138000"),
        update_change(candidate, mobile="13900139000"),
    )
    results = api.push(first, second).json()["results"]
    assert [r["status"] for r in results] == ["applied", "conflict"]
    candidate.refresh_from_db()
    assert (candidate.mobile, candidate.version) == ("13800138000", 2)


HOSTILE = [
    b"not json",
    b"{",
    b"[]",
    b'{"changes": "all"}',
    b'{"changes": [{"id": 1}]}',
    b'{"changes": [{"id": "nope", "kind": "create", "candidate": "x", "fields": {}}]}',
    b'{"changes": [{"id": "\\u0000", "kind": "update", "candidate": "\\u0000", "fields": {}}]}',
    b'{"changes": null}',
    b"\xff\xfe\x00",
]


@pytest.mark.parametrize("body", HOSTILE)
def test_s3_hostile_push_bodies_get_4xx_and_change_nothing(api, make, point, body):
    make(point)
    before = state()
    answer = api.post("/push", raw=body)
    assert 400 <= answer.status_code < 500, answer.content
    assert isinstance(answer.json()["detail"], str)
    assert state() == before


def test_s3_more_than_500_changes_are_refused_whole(api, point, number_range):
    changes = [create_change(point, 1) for _ in range(501)]
    answer = api.push(*changes)
    assert answer.status_code == 422
    assert not Receipt.objects.exists()


def test_s3_huge_and_odd_values_in_a_typed_push_are_refused(api, make, point):
    candidate = make(point)
    odd = update_change(candidate, fee_fen=2**70, fee_receipt="R\x00") | {"base_version": 2**70}
    result = one(api.push(odd))
    assert result["status"] == "refused"
    candidate.refresh_from_db()
    assert candidate.version == 1


def test_s3_a_push_larger_than_a_request_may_be_is_413(api, point, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    answer = api.push(*[create_change(point, n) for n in range(1, 10)])
    assert answer.status_code == 413 and answer.json()["detail"]
    assert not Receipt.objects.exists()


def test_s3_each_change_commits_on_its_own_so_no_caller_may_wrap_a_batch(device, point):
    # A batch inside a caller's transaction would lose every receipt of it on a rollback,
    # and the client would send its changes again as new: the push refuses to nest.
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        push.apply_changes(device, [create_change(point, 1)])
    assert not Receipt.objects.exists()


# ── the fee table (issue 19, item 5): the fee a point records is the province's ───────────


@pytest.fixture
def fee_table(season):
    from gaokao.codes.fees import seed_fees

    seed_fees(season, {"5": 4000})


def test_s5_issue19_a_pushed_fee_that_is_not_the_provinces_is_refused(api, make, point, fee_table):
    candidate = make(point)

    wrong = one(api.push(update_change(candidate, fee_fen=5000, fee_receipt="R-1")))
    right = one(api.push(update_change(candidate, fee_fen=4000, fee_receipt="R-1")))

    assert wrong["status"] == "refused" and "40.00" in wrong["message"]
    assert right["status"] == "applied"
    candidate.refresh_from_db()
    assert (candidate.fee_fen, candidate.version) == (4000, 2)


def test_s5_issue19_a_pushed_new_candidate_with_a_wrong_fee_is_refused(
    api, point, number_range, fee_table
):
    result = one(api.push(create_change(point, 7, fee_fen=3500, fee_receipt="R-7")))

    assert result["status"] == "refused" and "40.00" in result["message"]
    assert not Candidate.objects.exists()
