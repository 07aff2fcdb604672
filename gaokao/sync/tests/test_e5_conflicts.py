"""E5: a change made offline on a record that changed on the server meanwhile waits as a
conflict; a person keeps the point's values, the server's, or chooses per field, once.
Only the level holding the record applies values to it (S9)."""

import pytest

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.errors import DataRefused, Locked
from gaokao.candidates.models import Stage
from gaokao.sync import conflicts, errors, push
from gaokao.sync.models import Conflict
from gaokao.testing.factories import staff_for
from gaokao.testing.sync import Api, update_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate(make, point):
    candidate = make(point, fee_fen=3000, fee_receipt="S-1", mobile="13700137000")
    candidate.version = 3
    candidate.save()
    return candidate


@pytest.fixture
def conflict(device, candidate) -> Conflict:
    change = update_change(
        candidate, base_version=1, fee_fen=4000, fee_receipt="P-1", mobile="13800138000"
    )
    [result] = push.apply_changes(device, [change])
    assert result["status"] == "conflict"
    return Conflict.objects.get(pk=result["conflict"])


def values(candidate):
    candidate.refresh_from_db()
    return candidate.fee_fen, candidate.fee_receipt, candidate.mobile, candidate.version


def test_e5_keeping_the_points_values_applies_them_on_top(conflict, candidate, point_user):
    conflicts.resolve(conflict, "point", by=point_user, version=3)
    assert values(candidate) == (4000, "P-1", "13800138000", 4)
    conflict.refresh_from_db()
    assert (conflict.resolution, conflict.resolved_by) == ("point", point_user)
    assert conflict.chosen == {"fee_fen": 4000, "fee_receipt": "P-1", "mobile": "13800138000"}
    event = AuditEvent.objects.get(action=Action.CONFLICT_RESOLVED)
    assert event.detail["before"]["fee_fen"] == 3000 and event.point == candidate.point


def test_e5_keeping_the_servers_values_changes_nothing(conflict, candidate, point_user):
    conflicts.resolve(conflict, "server", by=point_user)
    assert values(candidate) == (3000, "S-1", "13700137000", 3)
    conflict.refresh_from_db()
    assert (conflict.resolution, conflict.chosen) == ("server", {})


def test_e5_choosing_field_by_field(conflict, candidate, point_user):
    conflicts.resolve(conflict, "fields", ["mobile"], by=point_user)
    assert values(candidate) == (3000, "S-1", "13800138000", 4)
    conflict.refresh_from_db()
    assert (conflict.resolution, conflict.chosen) == ("fields", {"mobile": "13800138000"})


def test_e5_a_conflict_is_resolved_once(conflict, candidate, point_user):
    conflicts.resolve(conflict, "server", by=point_user)
    with pytest.raises(errors.SyncRefused):
        conflicts.resolve(conflict, "point", by=point_user)
    assert values(candidate)[3] == 3
    assert AuditEvent.objects.filter(action=Action.CONFLICT_RESOLVED).count() == 1


def test_e5_a_decision_on_a_stale_view_is_refused(conflict, candidate, point_user):
    with pytest.raises(errors.SyncRefused) as e:
        conflicts.resolve(conflict, "point", by=point_user, version=2)
    assert e.value.code == "stale"
    assert values(candidate)[3] == 3


@pytest.mark.parametrize(
    ("choice", "fields"),
    [("both", []), ("fields", ["name"]), ("fields", "mobile"), ("fields", [1])],
)
def test_e5_bad_decisions_are_refused(conflict, candidate, point_user, choice, fields):
    with pytest.raises(errors.SyncRefused):
        conflicts.resolve(conflict, choice, fields, by=point_user)
    assert values(candidate)[3] == 3
    conflict.refresh_from_db()
    assert conflict.resolution == ""


def test_e5_the_county_never_applies_a_stale_changes_values(conflict, candidate, county_user):
    # Issue 19: the point's fields are the point's (gaokao.candidates.change_path); the
    # county decides values only of a change after the deadline.
    with pytest.raises(Locked):  # the point holds it
        conflicts.resolve(conflict, "point", by=county_user)
    with pytest.raises(Locked):
        conflicts.resolve(conflict, "server", by=county_user)
    candidate.stage = Stage.COUNTY
    candidate.save()  # submitted: now the county holds it, and may set the change aside
    with pytest.raises(errors.SyncRefused):
        conflicts.resolve(conflict, "fields", ["fee_fen", "fee_receipt"], by=county_user)
    assert values(candidate)[:2] == (3000, "S-1")
    conflicts.resolve(conflict, "server", by=county_user)
    conflict.refresh_from_db()
    assert conflict.resolution == "server"


def test_e5_after_submitting_the_point_may_only_set_its_change_aside(
    conflict, candidate, point_user
):
    candidate.stage = Stage.COUNTY
    candidate.save()
    with pytest.raises(Locked):
        conflicts.resolve(conflict, "point", by=point_user)
    conflicts.resolve(conflict, "server", by=point_user)
    assert values(candidate)[:3] == (3000, "S-1", "13700137000")


def test_e5_values_are_checked_again_when_applied(conflict, candidate, point_user):
    conflict.point_values = {"mobile": "12345"}  # say the rules changed meanwhile
    conflict.save()
    with pytest.raises(DataRefused):
        conflicts.resolve(conflict, "point", by=point_user)
    assert values(candidate)[3] == 3


def test_e5_other_regions_and_levels_cannot_resolve(
    conflict, candidate, other_county_user, city_user, province_user, other_point
):
    for user in (other_county_user, city_user, province_user, staff_for(other_point)):
        with pytest.raises(errors.NotFound):
            conflicts.resolve(conflict, "server", by=user)
    conflict.refresh_from_db()
    assert conflict.resolution == ""


# ── through the API ────────────────────────────────────────────────────────────────────


def test_e5_the_client_lists_and_resolves_its_conflicts(api, conflict, candidate):
    [listed] = api.get("/conflicts").json()["conflicts"]
    assert listed["id"] == conflict.pk and listed["candidate"] == str(candidate.pk)
    assert listed["point_values"]["mobile"] == "13800138000"
    assert listed["server_values"]["mobile"] == "13700137000"
    assert (listed["base_version"], listed["current_version"]) == (1, 3)

    answer = api.post(
        f"/conflicts/{conflict.pk}/resolve",
        {"choice": "fields", "fields": ["fee_fen", "fee_receipt"], "version": 3},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["version"] == 4
    assert values(candidate)[:3] == (4000, "P-1", "13700137000")
    assert api.get("/conflicts").json() == {"conflicts": []}
    again = api.post(f"/conflicts/{conflict.pk}/resolve", {"choice": "point"})
    assert again.status_code == 409


def test_e5_a_client_sees_no_other_points_conflicts(client, conflict, other_device, candidate):
    other = Api(client, token="other-" + "y" * 30)
    assert other.get("/conflicts").json() == {"conflicts": []}
    answer = other.post(f"/conflicts/{conflict.pk}/resolve", {"choice": "point"})
    assert answer.status_code == 404
    assert values(candidate)[3] == 3


@pytest.mark.parametrize(
    "body",
    [
        {"choice": "everything"},
        {"choice": "fields", "fields": "mobile"},
        {"choice": "fields", "fields": [1, 2]},
        {"choice": "fields", "fields": ["x"] * 1000},
        {"choice": "point", "version": "3"},
        {},
    ],
)
def test_e5_hostile_resolutions_get_4xx(api, conflict, candidate, body):
    answer = api.post(f"/conflicts/{conflict.pk}/resolve", body)
    assert answer.status_code == 422
    assert values(candidate)[3] == 3


def test_e5_a_resolution_for_a_missing_conflict_is_404(api, season):
    assert api.post("/conflicts/999999/resolve", {"choice": "point"}).status_code == 404
    assert api.post("/conflicts/x/resolve", {"choice": "point"}).status_code == 422
