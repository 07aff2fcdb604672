"""S3: a point client pulls its point's configuration and its own candidates only, and
afterwards what changed since its cursor (a submission upward included, S9)."""

import datetime as dt

import pytest
from django.core import signing

from gaokao.candidates.models import Stage
from gaokao.numbering.models import registration_number
from gaokao.seasons.models import PhaseKind
from gaokao.submission import services as submission
from gaokao.sync import fields
from gaokao.sync import pull as sync_pull
from gaokao.testing.factories import PointFactory, extend, staff_for
from gaokao.testing.sync import Api, create_change, make_device

pytestmark = pytest.mark.django_db


def ids(answer) -> set[str]:
    assert answer.status_code == 200, answer.content
    return {c["id"] for c in answer.json()["candidates"]}


def test_s3_pull_gives_the_points_candidates_and_nobody_elses(
    api, make, point, county, other_point, number_range
):
    mine = [make(point), make(point)]
    make(PointFactory(county=county))  # a neighbour point of the same county
    make(other_point)

    answer = api.get("/pull")

    assert ids(answer) == {str(c.pk) for c in mine}
    data = answer.json()
    snapshot = next(c for c in data["candidates"] if c["id"] == str(mine[0].pk))
    expected = {*fields.SYNC_FIELDS, *fields.PULLED_FIELDS, "id", "version", "stage"}
    expected.add("updated_at")
    assert expected == set(snapshot)
    assert snapshot["birth_date"] == mine[0].birth_date.isoformat()
    assert (snapshot["version"], snapshot["stage"]) == (1, "point")
    assert data["more"] is False and data["cursor"]


def test_s3_pull_gives_the_configuration(api, make, point, season, number_range, county):
    taken = make(point, registration_number=registration_number(county.registration_code, 2))
    extend(season.phase(PhaseKind.MAIN), county, dt.date(2019, 11, 20))

    config = api.get("/pull").json()["config"]

    assert config["point"] == {
        "code": point.code,
        "name": point.name,
        "county": county.code,
        "county_name": county.name,
        "registration_code": county.registration_code,
    }
    assert (config["season"]["id"], config["season"]["year"]) == (season.pk, season.year)
    [main] = config["season"]["phases"]
    assert main["kind"] == "main" and main["ends_at"].startswith("2019-11-20T23:59:59")
    [rng] = config["ranges"]
    assert (rng["track"], rng["first"], rng["last"], rng["next_serial"]) == ("5", 1, 100, 1)
    assert rng["used"] == [taken.registration_number]
    tracks = [c for c in config["codes"] if c["table"] == "subject_track"]
    assert {"code", "name", "attrs", "is_active", "table"} == set(tracks[0])
    assert any(c["code"] == "5" for c in tracks)


def test_s3_the_cursor_gives_only_what_changed_since(api, make, point, clock, device):
    old, changed = make(point), make(point)
    clock.shift(dt.timedelta(minutes=10))
    first = api.get("/pull")
    assert ids(first) == {str(old.pk), str(changed.pk)}

    second = api.get("/pull", cursor=first.json()["cursor"])
    assert ids(second) == set()  # nothing changed

    clock.shift(dt.timedelta(minutes=10))
    changed.mobile = "13800138000"
    changed.save()
    new = make(point)
    third = api.get("/pull", cursor=second.json()["cursor"])
    assert ids(third) == {str(changed.pk), str(new.pk)}
    assert old.pk not in ids(third)
    snapshot = next(c for c in third.json()["candidates"] if c["id"] == str(changed.pk))
    assert snapshot["mobile"] == "13800138000"


def test_s3_recent_changes_are_sent_again_until_they_settle(api, make, point, clock):
    candidate = make(point)
    first = api.get("/pull").json()
    again = api.get("/pull", cursor=first["cursor"])  # a minute-old change may still be
    assert ids(again) == {str(candidate.pk)}  # committing elsewhere: sent again
    clock.shift(sync_pull.SETTLE + dt.timedelta(seconds=1))
    later = api.get("/pull", cursor=again.json()["cursor"])
    assert ids(later) == {str(candidate.pk)}
    clock.shift(dt.timedelta(seconds=5))
    assert ids(api.get("/pull", cursor=later.json()["cursor"])) == set()


def test_s3_a_submission_upward_is_pulled_though_the_row_was_not_saved(
    api, make, point, county_user, clock
):
    candidate = make(point)
    cursor = api.get("/pull").json()["cursor"]
    clock.shift(dt.timedelta(minutes=10))
    cursor = api.get("/pull", cursor=cursor).json()["cursor"]
    clock.shift(dt.timedelta(minutes=10))
    candidate.refresh_from_db()
    point_user = staff_for(point)
    from gaokao.submission.models import Move

    Move.objects.create(
        candidate=candidate,
        kind=Move.Kind.SUBMIT,
        from_stage=Stage.POINT,
        to_stage=Stage.COUNTY,
        by=point_user,
        batch=candidate.pk,
    )
    submission.Candidate.objects.filter(pk=candidate.pk).update(stage=Stage.COUNTY)

    answer = api.get("/pull", cursor=cursor).json()
    [snapshot] = answer["candidates"]
    assert snapshot["stage"] == "county"


def test_s3_pulling_pages_through_many_candidates(make, point, device):
    made = {str(make(point).pk) for _ in range(7)}
    seen, cursor, pulls = set(), None, 0
    while True:
        page = sync_pull.pull(device, cursor, limit=3)
        seen |= {c["id"] for c in page["candidates"]}
        cursor, pulls = page["cursor"], pulls + 1
        if not page["more"]:
            break
    assert seen == made and pulls == 3


def test_s3_a_cursor_of_another_device_is_refused(client, make, point, point_user, device):
    make(point)
    cursor = Api(client).get("/pull").json()["cursor"]
    make_device(point, point_user, token="second-" + "z" * 30, name="第二台")
    answer = Api(client, token="second-" + "z" * 30).get("/pull", cursor=cursor)
    assert answer.status_code == 400
    assert answer.json()["detail"]


@pytest.mark.parametrize(
    ("cursor", "status"),
    [
        ("garbage", 400),
        ("x" * 1001, 422),  # longer than the query parameter may be
        ("\x00", 400),
        ("e30:1abc:def", 400),
    ],
)
def test_s3_a_tampered_cursor_is_refused(api, season, cursor, status):
    answer = api.get("/pull", cursor=cursor)
    assert answer.status_code == status
    assert isinstance(answer.json()["detail"], str)


def test_s3_a_forged_cursor_for_this_device_is_refused(api, season, device):
    forged = signing.dumps({"d": str(device.pk), "s": season.pk, "t": "x", "k": "y"}, salt="z")
    assert api.get("/pull", cursor=forged).status_code == 400


def test_s3_a_candidate_created_by_push_is_pulled_with_its_number_used(
    api, point, number_range, clock
):
    change = create_change(point, 5)
    api.push(change)
    data = api.get("/pull").json()
    assert [c["id"] for c in data["candidates"]] == [change["candidate"]]
    assert data["config"]["ranges"][0]["used"] == [change["fields"]["registration_number"]]
    assert data["config"]["ranges"][0]["next_serial"] == 6
