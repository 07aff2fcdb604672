"""Work keyed offline (E3-E5, issue 19 item 2): a point client's update is judged by when it
was keyed and when it reached the server, through the real sync API and a real disc
bundle. Keyed while the window was open and received within the grace after the close:
applied. Keyed after the close, or received after the grace: neither applied nor dropped,
a conflict 截止后修改 for the county. A submitted record: refused (locked). A client clock
far off: flagged to the county.

The main window closes at the end of 15 Nov 2019 (Asia/Shanghai); the grace is 48 hours.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gaokao.audit.models import Action, AuditEvent
from gaokao.bundles import format as bf
from gaokao.bundles import services as bundles
from gaokao.candidates.models import Candidate, Stage
from gaokao.seasons.models import PhaseKind
from gaokao.sync import conflicts, errors
from gaokao.sync.models import Conflict, Device, Receipt
from gaokao.testing.factories import extend
from gaokao.testing.fixtures import MAIN_CLOSES
from gaokao.testing.sync import update_change

pytestmark = pytest.mark.django_db

CLOSE = timezone.make_aware(dt.datetime.combine(MAIN_CLOSES, dt.time.max))
HOUR = dt.timedelta(hours=1)
OLD, NEW = "13700137000", "13900139000"


@pytest.fixture
def candidate(make, point):
    return make(point, mobile=OLD)


def change_of(candidate, keyed_at, **fields):
    change = update_change(candidate, **(fields or {"mobile": NEW}))
    if keyed_at is not None:
        change["keyed_at"] = keyed_at.isoformat()
    return change


def push_at(clock, api, when, *changes, sent_at=None):
    """Push `changes` through the API with the server's clock at `when`."""
    clock.move_to(when)
    body = {"changes": list(changes)}
    if sent_at is not None:
        body["sent_at"] = sent_at.isoformat()
    answer = api.post("/push", body)
    assert answer.status_code == 200, answer.content
    return answer.json()


def outcome(candidate, result):
    candidate.refresh_from_db()
    receipt = Receipt.objects.get(pk=result["id"])
    return result["status"], candidate.mobile, candidate.version, receipt


# ── the matrix, by sync ────────────────────────────────────────────────────────────────


def test_e3_window_open_applied_judged_on_arrival(clock, api, candidate):
    now = CLOSE - 72 * HOUR
    [result] = push_at(clock, api, now, change_of(candidate, now - HOUR))["results"]
    status, mobile, version, receipt = outcome(candidate, result)
    assert (status, mobile, version) == ("applied", NEW, 2)
    assert receipt.status == "applied" and receipt.keyed_at == now - HOUR
    assert abs(receipt.received_at - now) < dt.timedelta(seconds=5)
    assert not Conflict.objects.exists()


@pytest.mark.parametrize(
    ("keyed", "received"),
    [
        pytest.param(-HOUR, 24 * HOUR, id="keyed_inside_received_inside_the_grace"),
        pytest.param(-HOUR, 47 * HOUR, id="keyed_inside_received_at_the_grace_end"),
    ],
)
def test_e3_keyed_inside_received_within_the_grace_is_applied(
    clock, api, candidate, keyed, received
):
    [result] = push_at(clock, api, CLOSE + received, change_of(candidate, CLOSE + keyed))["results"]
    status, mobile, version, receipt = outcome(candidate, result)
    assert (status, mobile, version) == ("applied", NEW, 2), result["message"]
    assert receipt.keyed_at == CLOSE + keyed and receipt.received_at > CLOSE
    event = AuditEvent.objects.get(action=Action.SYNC_APPLIED)
    assert dt.datetime.fromisoformat(event.detail["judged_at"]) == CLOSE + keyed


@pytest.mark.parametrize(
    ("keyed", "received"),
    [
        pytest.param(-HOUR, 49 * HOUR, id="keyed_inside_received_after_the_grace"),
        pytest.param(HOUR, 2 * HOUR, id="keyed_after_the_close"),
        pytest.param(None, 2 * HOUR, id="closed_no_keyed_at"),
    ],
)
def test_e3_after_the_deadline_becomes_a_conflict_for_the_county(
    clock, api, candidate, keyed, received, english
):
    keyed_at = None if keyed is None else CLOSE + keyed
    [result] = push_at(clock, api, CLOSE + received, change_of(candidate, keyed_at))["results"]
    status, mobile, version, receipt = outcome(candidate, result)
    assert (status, mobile, version) == ("conflict", OLD, 1)  # nothing applied...
    conflict = Conflict.objects.get(pk=result["conflict"])  # ...nothing dropped
    assert conflict.reason == Conflict.Reason.AFTER_DEADLINE
    assert conflict.point_values == {"mobile": NEW}
    assert conflict.server_values == {"mobile": OLD}
    assert receipt.status == "conflict" and receipt.keyed_at == keyed_at
    assert Conflict.Reason.AFTER_DEADLINE.label == "Changed after the deadline"


def test_e3_the_seasons_grace_wins_over_the_default(clock, api, candidate, season):
    season.offline_grace_hours = 72
    season.save()
    [result] = push_at(clock, api, CLOSE + 60 * HOUR, change_of(candidate, CLOSE - HOUR))["results"]
    assert outcome(candidate, result)[:2] == ("applied", NEW)


def test_e3_the_setting_gives_a_new_seasons_grace(settings, season):
    from gaokao.testing.factories import SeasonFactory

    settings.GAOKAO_OFFLINE_GRACE_HOURS = 12
    assert SeasonFactory(province=season.province, is_current=False).offline_grace_hours == 12


def test_e3_closed_but_extended_for_the_county_is_applied(clock, api, candidate, season, county):
    extend(season.phases.get(kind=PhaseKind.MAIN), county, MAIN_CLOSES + dt.timedelta(days=5))
    now = CLOSE + 72 * HOUR
    [result] = push_at(clock, api, now, change_of(candidate, now - HOUR))["results"]
    assert outcome(candidate, result)[:2] == ("applied", NEW)
    assert "judged_at" not in AuditEvent.objects.get(action=Action.SYNC_APPLIED).detail


@pytest.mark.parametrize("received", [-72 * HOUR, 24 * HOUR], ids=["window_open", "in_grace"])
def test_e3_after_the_points_submission_is_refused_locked(clock, api, candidate, received):
    Candidate.objects.filter(pk=candidate.pk).update(stage=Stage.COUNTY)
    [result] = push_at(clock, api, CLOSE + received, change_of(candidate, CLOSE - 2 * HOUR))[
        "results"
    ]
    status, mobile, version, receipt = outcome(candidate, result)
    assert (status, mobile, version) == ("refused", OLD, 1)
    assert receipt.status == "refused" and not Conflict.objects.exists()


@pytest.mark.parametrize(
    "keyed_at",
    [CLOSE - 72 * HOUR + dt.timedelta(days=1), dt.datetime(2019, 1, 1, tzinfo=dt.UTC)],
    ids=["in_the_future", "before_the_season"],
)
def test_e3_an_implausible_keyed_at_is_refused(clock, api, candidate, keyed_at, english):
    [result] = push_at(clock, api, CLOSE - 72 * HOUR, change_of(candidate, keyed_at))["results"]
    status, mobile, _version, receipt = outcome(candidate, result)
    assert (status, mobile) == ("refused", OLD)
    assert "check the PC's clock" in receipt.message and receipt.keyed_at is None


def test_e3_a_stale_change_in_time_stays_a_stale_conflict(clock, api, candidate):
    now = CLOSE - 72 * HOUR
    [result] = push_at(clock, api, now, {**change_of(candidate, now), "base_version": 1})["results"]
    assert result["status"] == "applied"
    [result] = push_at(clock, api, now, change_of(candidate, now) | {"base_version": 1})["results"]
    assert Conflict.objects.get(pk=result["conflict"]).reason == Conflict.Reason.STALE


def test_e3_point_checks_hold_no_window(clock, api, candidate):
    """The fee and its receipt are held by the stage only: applied after the grace too."""
    change = change_of(candidate, CLOSE + HOUR, fee_fen=4000, fee_receipt="R-1")
    [result] = push_at(clock, api, CLOSE + 100 * HOUR, change)["results"]
    assert result["status"] == "applied"


# ── the county decides 截止后修改 ──────────────────────────────────────────────────────


@pytest.fixture
def late(clock, api, candidate) -> Conflict:
    [result] = push_at(clock, api, CLOSE + 2 * HOUR, change_of(candidate, CLOSE + HOUR))["results"]
    return Conflict.objects.get(pk=result["conflict"])


def test_e3_the_point_cannot_apply_a_change_after_the_deadline(late, candidate, point_user):
    with pytest.raises(errors.SyncRefused) as e:
        conflicts.resolve(late, "point", by=point_user)
    assert e.value.code == "county_decides"
    candidate.refresh_from_db()
    assert candidate.mobile == OLD
    conflicts.resolve(late, "server", by=point_user)  # it may set its own change aside


def test_e3_the_county_keeps_the_points_values_past_the_window(
    late, candidate, county_user, client, english
):
    client.force_login(county_user)
    listing = client.get(reverse("sync:conflicts")).content.decode()
    assert 'data-reason="after_deadline"' in listing and "Changed after the deadline" in listing
    url = reverse("sync:conflict", args=[late.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="reason"' in page and 'value="point"' in page
    answer = client.post(url, {"version": 1, "choice": "point"})
    assert answer.status_code == 302, answer.content.decode()
    candidate.refresh_from_db()
    assert (candidate.mobile, candidate.version) == (NEW, 2)
    saved = AuditEvent.objects.get(action=Action.CANDIDATE_DATA_SAVED, target_id=str(candidate.pk))
    assert saved.detail["window_override"] == f"同步冲突 #{late.pk}"
    assert saved.actor == county_user
    late.refresh_from_db()
    assert late.resolution == "point" and late.resolved_by == county_user


# ── a disc bundle: keyed_at travels in it; the import is when it was received ───────


@pytest.mark.parametrize(
    ("imported", "expected"),
    [(24 * HOUR, "applied"), (49 * HOUR, "conflict")],
    ids=["imported_inside_the_grace", "imported_after_the_grace"],
)
def test_e3_a_bundle_is_received_when_the_county_imports_it(
    clock, candidate, device, device_key, county_user, data_dir, imported, expected
):
    change = change_of(candidate, CLOSE - HOUR)
    data = bf.write_bundle(
        device_id=device.pk,
        device_private_key=device_key,
        server_public_key=bf.x25519_public_key(bf.server_public_key_b64()),
        point_code=device.point.code,
        changes=[change],
        photos=[],
        created_at=CLOSE - HOUR,  # written before the close: only the import counts
    )
    clock.move_to(CLOSE + imported)
    result = bundles.apply(data, county_user)
    assert result.counts[expected] == 1
    receipt = Receipt.objects.get(pk=change["id"])
    assert receipt.via == "bundle" and receipt.keyed_at == CLOSE - HOUR
    assert abs(receipt.received_at - (CLOSE + imported)) < dt.timedelta(seconds=5)
    candidate.refresh_from_db()
    assert candidate.mobile == (NEW if expected == "applied" else OLD)
    if expected == "conflict":
        assert Conflict.objects.get(receipt=receipt).reason == "after_deadline"


# ── the client's clock ─────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("off", "flagged"), [(4, False), (-4, False), (6, True), (-30, True)])
def test_e3_a_clock_off_by_more_than_5_minutes_is_flagged(
    clock, api, candidate, device, off, flagged, client, county_user
):
    now = CLOSE - 72 * HOUR
    sent_at = now + dt.timedelta(minutes=off)
    answer = push_at(clock, api, now, change_of(candidate, now), sent_at=sent_at)
    assert answer["clock"]["flagged"] is flagged
    device.refresh_from_db()
    assert device.clock_flagged is flagged
    assert abs(device.clock_skew_seconds - off * 60) < 5
    client.force_login(county_user)
    page = client.get(reverse("sync:devices")).content.decode()
    assert ('data-testid="clock-off"' in page) is flagged


def test_e3_a_push_without_sent_at_keeps_the_last_reading(clock, api, candidate, device):
    now = CLOSE - 72 * HOUR
    push_at(clock, api, now, change_of(candidate, now), sent_at=now + 10 * HOUR)
    push_at(clock, api, now, change_of(candidate, now, mobile="13600136000"))
    assert Device.objects.get(pk=device.pk).clock_flagged


# ── the point's own cut-off is a deadline like the window ──────────────────────────────


@pytest.mark.parametrize(("received", "expected"), [(24, "applied"), (49, "conflict")])
def test_e3_the_grace_holds_after_the_points_cutoff_too(
    clock, api, candidate, season, received, expected
):
    from gaokao.seasons.models import Phase, day_start

    cutoff = CLOSE - 96 * HOUR
    Phase.objects.create(
        season=season,
        kind=PhaseKind.CITY_ALL,
        starts_at=day_start(MAIN_CLOSES - dt.timedelta(days=10)),
        ends_at=CLOSE + 240 * HOUR,
        point_cutoff=cutoff,
    )
    change = change_of(candidate, cutoff - HOUR)
    [result] = push_at(clock, api, cutoff + received * HOUR, change)["results"]
    assert result["status"] == expected, result["message"]
    if expected == "conflict":
        assert Conflict.objects.get(pk=result["conflict"]).reason == "after_deadline"
