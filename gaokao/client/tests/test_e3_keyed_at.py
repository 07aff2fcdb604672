"""E3-E5 on the point client (issue 19): every queued change carries when it was last
keyed here, by sync and on a disc alike; a push carries the client's clock, and a clock
the server finds off is shown by `gaokao client status`."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from gaokao.bundles import format as bf
from gaokao.bundles import services as bundles
from gaokao.client import sync
from gaokao.client.enrolment import _write_key
from gaokao.client.export import export_bundle
from gaokao.client.models import ClientState, Outbox
from gaokao.client.tests.conftest import Recorder, edit_locally, server, synced_candidate
from gaokao.sync.models import Conflict, Device, Receipt
from gaokao.testing.fixtures import MAIN_CLOSES

pytestmark = pytest.mark.django_db

CLOSE = dt.datetime.combine(MAIN_CLOSES, dt.time.max, tzinfo=dt.timezone(dt.timedelta(hours=8)))
HOUR = dt.timedelta(hours=1)


def near(at, expected) -> bool:
    """The clock ticks on from where the test moved it."""
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    return abs(at - expected) < dt.timedelta(seconds=5)


def test_e3_a_change_carries_when_it_was_last_keyed(client_mode, enrolled, season, point, clock):
    candidate = synced_candidate(season, point, mobile="13700137000")
    clock.move_to(CLOSE - 3 * HOUR)
    edit_locally(candidate, mobile="13800138000")
    clock.move_to(CLOSE - 2 * HOUR)
    edit_locally(candidate, address="长沙市岳麓区")  # coalesces: keyed later
    [entry] = Outbox.objects.filter(kind=Outbox.Kind.CHANGE)
    assert near(entry.payload["keyed_at"], CLOSE - 2 * HOUR)

    clock.move_to(CLOSE + 20 * HOUR)  # the network is back inside the grace
    transport = Recorder()
    report = sync.sync_once(transport)
    assert report.ok and report.counts.get("applied") == 1, report
    [body] = [json.loads(b) for _, path, b in transport.calls if path == "/push"]
    assert dt.datetime.fromisoformat(body["sent_at"]) >= CLOSE + 20 * HOUR
    receipt = Receipt.objects.get(pk=entry.pk)
    assert near(receipt.keyed_at, CLOSE - 2 * HOUR) and receipt.status == "applied"


def test_e3_a_change_keyed_after_the_close_needs_the_county(
    client_mode, enrolled, season, point, clock
):
    candidate = synced_candidate(season, point)
    clock.move_to(CLOSE + HOUR)
    entry = capture_edit(candidate)
    report = sync.sync_once(Recorder())
    assert report.counts.get("conflict") == 1
    entry.refresh_from_db()
    assert entry.answer == "conflict" and "after the deadline" in entry.last_error
    assert Conflict.objects.get(receipt_id=entry.pk).reason == "after_deadline"


def capture_edit(candidate):
    edit_locally(candidate, mobile="13900139000")
    return Outbox.objects.get(kind=Outbox.Kind.CHANGE, candidate_id=candidate.pk)


def test_e3_keyed_at_travels_on_the_disc(
    client_mode, enrolled, season, point, device, device_key, county_user, clock, tmp_path
):
    _write_key(device_key)
    candidate = synced_candidate(season, point)
    clock.move_to(CLOSE - HOUR)
    entry = capture_edit(candidate)
    path = tmp_path / "盘.gkb"
    export_bundle(path, server_key_b64=bf.server_public_key_b64())
    clock.move_to(CLOSE + 30 * HOUR)  # the county imports it the day after the close
    result = bundles.apply(path.read_bytes(), county_user)
    assert result.counts["applied"] == 1
    receipt = Receipt.objects.get(pk=entry.pk)
    assert receipt.via == "bundle" and near(receipt.keyed_at, CLOSE - HOUR)


def test_e3_status_shows_a_clock_the_server_found_off(
    client_mode, enrolled, season, point, device, clock
):
    def ten_minutes_ahead(method, url, headers, body):
        if url.endswith("/push"):
            data = json.loads(body)
            sent = dt.datetime.fromisoformat(data["sent_at"]) + dt.timedelta(minutes=10)
            body = json.dumps(data | {"sent_at": sent.isoformat()}).encode()
        return server(method, url, headers, body)

    capture_edit(synced_candidate(season, point))
    assert sync.sync_once(ten_minutes_ahead).ok
    state = ClientState.load()
    assert state.clock_flagged and 590 <= state.clock_skew_seconds <= 610
    assert Device.objects.get(pk=device.pk).clock_flagged
    out = io.StringIO()
    call_command("client", "status", stdout=out)
    assert "clock is off by 10 minutes" in out.getvalue()

    capture_edit(synced_candidate(season, point))
    assert sync.sync_once(server).ok  # set right: the flag goes
    assert not ClientState.load().clock_flagged
    out = io.StringIO()
    call_command("client", "status", stdout=out)
    assert "clock is off" not in out.getvalue()
