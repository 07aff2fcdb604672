"""R4: the pull writes the point's configuration and candidates into the client's own
database, page after page, without queueing them back and without overwriting a
candidate whose local change the server has not acknowledged yet."""

import datetime as dt
import json
import uuid
from urllib.parse import quote

import pytest
from django.contrib.auth.hashers import make_password

from gaokao.accounts.models import StaffUser
from gaokao.candidates.models import Candidate
from gaokao.client import capture, sync
from gaokao.client.fields import values_of
from gaokao.client.models import ClientState, Known, Outbox
from gaokao.client.tests.conftest import Recorder, edit_locally, server
from gaokao.codes.models import Code, Table
from gaokao.numbering.models import NumberRange
from gaokao.regions.models import RegistrationPoint
from gaokao.seasons.models import Season
from gaokao.sync.pull import snapshot
from gaokao.testing.factories import CandidateFactory

pytestmark = pytest.mark.django_db


def test_r4_the_pull_brings_the_points_candidates_only(
    client_mode, enrolled, season, point, other_point, number_range
):
    with capture.from_server():
        code = point.county.registration_code
        own = [
            CandidateFactory(season=season, point=point, registration_number=f"{code}{n:04d}")
            for n in (1, 2, 3)
        ]
        CandidateFactory(season=season, point=other_point)
    transport = Recorder()

    report = sync.sync_once(transport)

    assert report.ok, report.error
    assert report.counts["pulled"] == 3
    assert set(Known.objects.values_list("candidate_id", flat=True)) == {c.pk for c in own}
    assert Outbox.objects.count() == 0  # nothing pulled is queued back
    state = ClientState.load()
    assert state.cursor and state.config_sha256
    number_range.refresh_from_db()
    # Never moved back by the server's view; past the block of 50 the pull reserved to
    # this PC (issue 20).
    assert number_range.next_serial == 101

    pulls = [path for _, path, _ in transport.calls if path.startswith("/pull")]
    sync.sync_once(transport)
    later = [path for _, path, _ in transport.calls if path.startswith("/pull")][len(pulls) :]
    assert later[0] == "/pull?cursor=" + quote(state.cursor, safe="")  # continues


class FakePull:
    """A server that answers pulls from prepared pages (and nothing else)."""

    def __init__(self, pages):
        self.pages, self.cursors = pages, []

    def __call__(self, method, url, headers, body):
        assert headers["Authorization"].startswith("Device ")
        if "/pull" not in url:
            return 200, {}, json.dumps({"results": []}).encode()
        cursor = url.split("cursor=", 1)[1]
        self.cursors.append(cursor)
        page = self.pages[min(len(self.cursors) - 1, len(self.pages) - 1)]
        return 200, {}, json.dumps(page).encode()


def config(point_code="9901001", county="990101", season_id=990, **extra):
    return {
        "point": {
            "code": point_code,
            "name": "远方中学报名点",
            "county": county,
            "county_name": "远方县",
            "registration_code": point_code[:4],
        },
        "season": {
            "id": season_id,
            "name": "2020年远方省普通高考",
            "year": 2020,
            "phases": [
                {
                    "kind": "main",
                    "starts_at": "2019-10-28T00:00:00+08:00",
                    "ends_at": "2019-11-08T23:59:59.999999+08:00",
                }
            ],
        },
        "ranges": [
            {
                "id": 1,
                "track": "5",
                "first": 1,
                "last": 100,
                "next_serial": 4,
                "used": ["99010001", "99010002", "99010003"],
            }
        ],
        "codes": [
            {"table": "subject_track", "code": "5", "name": "理工", "attrs": {}, "is_active": True},
            {"table": "sex", "code": "1", "name": "男", "attrs": {}, "is_active": True},
        ],
        **extra,
    }


def first_page():
    return {"cursor": "c1", "more": False, "config": config(), "candidates": []}


@pytest.fixture
def far_client(db, settings):
    """A client enrolled for a point this database does not know yet."""
    settings.GAOKAO_MODE = "client"
    capture.connect()
    state = ClientState.objects.create(
        pk=1,
        server_url="http://far.example",
        device_id=uuid.uuid4(),
        token="t" * 43,
        point_code="9901001",
        local_account={
            "username": "bmd9901001",
            "password_hash": make_password("a long enough password"),
            "totp_secret": "JBSWY3DPEHPK3PXP",
        },
    )
    yield state
    capture.disconnect()


def fake_snapshot(n: int, season_stub: Season, point_stub: RegistrationPoint, **values):
    with capture.from_server():
        model = CandidateFactory.build(
            season=season_stub,
            point=point_stub,
            registration_number=f"9901{n:04d}",
            version=n + 1,
            **values,
        )
    return snapshot(_stamped(model))


def _stamped(model):
    model.updated_at = dt.datetime(2019, 10, 30, 9, 0, tzinfo=dt.UTC)
    return model


def test_r4_the_first_pull_sets_up_the_point_season_ranges_codes_and_account(far_client):
    page = {"cursor": "c1", "more": False, "config": config(), "candidates": []}
    fake = FakePull([page])

    report = sync.sync_once(fake)

    assert report.ok, report.error
    point = RegistrationPoint.objects.get(code="9901001")
    assert point.county.code == "990101" and point.county.name == "远方县"
    assert point.county.registration_code == "9901"
    assert point.county.parent.code == "990100" and point.county.parent.parent.code == "990000"
    season = Season.objects.get(is_current=True)
    assert season.pk == 990 and season.phases.get().kind == "main"
    number_range = NumberRange.objects.get(point=point)
    assert (number_range.first, number_range.last, number_range.next_serial) == (1, 100, 4)
    assert Code.objects.filter(table=Table.SUBJECT_TRACK, code="5").exists()
    user = StaffUser.objects.get(username="bmd9901001")
    assert user.point == point and user.check_password("a long enough password")
    assert not user.needs_setup
    assert ClientState.load().local_account == {}


def test_r4_a_pulled_snapshot_never_overwrites_a_candidate_with_a_pending_change(far_client):
    sync.sync_once(FakePull([first_page()]))
    point = RegistrationPoint.objects.get(code="9901001")
    season = Season.objects.get(pk=990)
    with capture.from_server():
        local = CandidateFactory(season=season, point=point, registration_number="99010001")
    Known.objects.create(candidate_id=local.pk, version=1, fields={})
    edit_locally(local, mobile="13900000000")  # queued, not acknowledged yet
    assert Outbox.objects.filter(candidate_id=local.pk).exists()
    theirs = snapshot(_stamped(local)) | {"mobile": "13700000000", "version": 5}
    new = fake_snapshot(2, season, point)
    fake = FakePull(
        [
            {"cursor": "c2", "more": True, "config": config(), "candidates": [theirs]},
            {"cursor": "c3", "more": False, "config": config(), "candidates": [new]},
        ]
    )
    state, report = ClientState.load(), sync.Report()

    sync.pull(sync.Api(state.server_url, state.token, fake), state, report)

    assert report.counts == {"kept": 1, "pulled": 1}
    assert Candidate.objects.get(pk=local.pk).mobile == "13900000000"
    assert Known.objects.get(candidate_id=local.pk).version == 1  # still the change's base
    written = Candidate.objects.get(pk=new["id"])
    assert written.version == 3 and written.registration_number == "99010002"
    assert written.number_range == NumberRange.objects.get(point=point)
    assert not Outbox.objects.filter(candidate_id=written.pk).exists()
    assert fake.cursors == ["c1", "c2"]
    assert ClientState.load().cursor == "c3"


def test_r4_the_client_never_issues_a_number_twice_when_the_server_is_behind(far_client):
    sync.sync_once(FakePull([first_page()]))
    NumberRange.objects.update(next_serial=10)  # numbers 4–9 issued offline, not yet synced
    sync.sync_once(
        FakePull([{"cursor": "c2", "more": False, "config": config(note=1), "candidates": []}])
    )
    assert NumberRange.objects.get().next_serial == 10


def test_r4_a_configuration_the_client_cannot_use_stops_the_sync(far_client):
    bad = config()
    bad["point"]["county"] = "not-a-code"

    report = sync.sync_once(FakePull([{"cursor": "c1", "more": False, "config": bad}]))

    assert not report.ok and "configuration" in report.error
    assert not RegistrationPoint.objects.exists()
    assert ClientState.load().cursor == ""


def test_r4_pulling_from_the_real_server_twice_changes_nothing_locally(
    client_mode, enrolled, season, point, number_range
):
    with capture.from_server():
        CandidateFactory(season=season, point=point)
    sync.sync_once(server)
    before = list(Candidate.objects.values_list("pk", "version", "updated_at"))
    sync.sync_once(server)
    assert Outbox.objects.count() == 0
    assert [(pk, v) for pk, v, _ in before] == list(Candidate.objects.values_list("pk", "version"))


def test_r4_after_a_conflict_the_client_shows_the_servers_record_and_keeps_its_values(
    far_client,
):
    sync.sync_once(FakePull([first_page()]))
    point = RegistrationPoint.objects.get(code="9901001")
    season = Season.objects.get(pk=990)
    with capture.from_server():
        local = CandidateFactory(season=season, point=point, registration_number="99010001")
    Known.objects.create(candidate_id=local.pk, version=1, fields=values_of(local))
    edit_locally(local, mobile="13900000000")
    theirs = snapshot(_stamped(local)) | {"mobile": "13700000000", "version": 2}
    pulls = FakePull([{"cursor": "c9", "more": False, "config": config(), "candidates": [theirs]}])

    def server(method, url, headers, body):
        if url.endswith("/push"):
            [change] = json.loads(body)["changes"]
            result = {"id": change["id"], "status": "conflict", "version": 2, "message": "变了"}
            return 200, {}, json.dumps({"results": [result]}).encode()
        return pulls(method, url, headers, body)

    report = sync.sync_once(server)

    assert report.ok and report.counts["conflict"] == 1
    assert pulls.cursors == [""]  # from the start again
    entry = Outbox.objects.get(candidate_id=local.pk)
    assert entry.state == Outbox.State.ATTENTION and "变了" in entry.last_error
    assert entry.payload["fields"] == {"mobile": "13900000000"}  # the point's values, kept
    local.refresh_from_db()
    assert local.mobile == "13700000000" and local.version == 2  # the server's record
