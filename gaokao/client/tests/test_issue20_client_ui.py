"""Issue 20, item 5: a point client that says it is one. Every page of the client carries
the 客户版 mark, whether the server was reached lately and when the last sync was (read
from the local state, not the network); the server's pages are left out and their URLs
say where they are; the sync screens mask ID numbers and show code names; `client
status` names candidates by number and name; times travel at one precision, so no
conflict row is an artefact."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gaokao.candidates.models import Candidate
from gaokao.client import capture, sync
from gaokao.client.models import ClientState, Known, Outbox
from gaokao.client.tests.conftest import create_entry, edit_locally, server
from gaokao.sync.models import Conflict
from gaokao.testing.factories import CandidateFactory, resident_id

pytestmark = pytest.mark.django_db

HOME = reverse("office:home")


def synced_at(state: ClientState, ago: dt.timedelta, ok: bool = True) -> None:
    at = timezone.now() - ago
    state.last_sync_at, state.last_sync_ok = at, ok
    if ok:
        state.last_success_at = at
    state.save()


def test_r4_issue20_every_client_page_shows_the_mark_online_and_the_last_sync(
    client_mode, enrolled, client, point_user, season
):
    synced_at(enrolled, dt.timedelta(minutes=1))
    client.force_login(point_user)
    for url in (HOME, reverse("candidates:list"), reverse("client:outbox")):
        page = client.get(url).content.decode()
        assert 'data-testid="client-mark"' in page, url
        assert 'data-online="true"' in page, url
        assert "Last sync: 2019-11-09 09:59" in page, url


def test_r4_issue20_the_client_says_offline_when_the_server_was_not_reached_lately(
    client_mode, enrolled, client, point_user, season
):
    synced_at(enrolled, dt.timedelta(minutes=20))  # succeeded, but long ago
    client.force_login(point_user)
    assert 'data-online="false"' in client.get(HOME).content.decode()

    synced_at(enrolled, dt.timedelta(seconds=30), ok=False)  # just now, and it failed
    page = client.get(HOME).content.decode()
    assert 'data-online="false"' in page and "(failed) · last success: 2019-11-09 09:40" in page


def test_r4_issue20_the_status_line_is_read_locally_in_at_most_two_queries(
    client_mode, enrolled, client, point_user, season, settings
):
    """Not a network call per page: the state row and one count of the outbox."""

    def queries(mode):
        settings.GAOKAO_MODE = mode
        with CaptureQueriesContext(connection) as captured:
            assert client.get(HOME).status_code == 200
        return len(captured)

    client.force_login(point_user)
    queries("client")  # warm the caches of both modes alike
    assert queries("client") - queries("server") <= 2
    assert dt.timedelta(minutes=5) == sync.ONLINE_WITHIN


def test_r4_issue20_the_central_server_carries_no_client_mark(client, point_user, season):
    client.force_login(point_user)
    page = client.get(HOME).content.decode()
    assert 'data-testid="client-mark"' not in page
    assert reverse("client:outbox") not in page  # 待同步 is always empty on the server


SERVER_ONLY = [
    reverse("sync:devices"),
    reverse("sync:conflicts"),
    reverse("bundles:import"),
    reverse("numbering:ranges"),
    reverse("notices:new"),
    reverse("accounts:list"),
    reverse("admin:index"),
]


@pytest.mark.parametrize("url", SERVER_ONLY)
def test_r4_issue20_server_pages_answer_on_the_client_with_where_they_are(
    client_mode, enrolled, client, point_user, season, url
):
    client.force_login(point_user)
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 404
    assert 'data-testid="not-here"' in page and "This page is on the central server" in page
    assert 'data-testid="client-mark"' in page  # in the client's own frame
    assert reverse("office:home") in page  # the way back


def test_r4_issue20_the_clients_navigation_leaves_out_the_servers_pages(
    client_mode, enrolled, client, point_user, season
):
    client.force_login(point_user)
    nav = client.get(HOME).content.decode().split("</nav>")[0]
    assert reverse("sync:devices") not in nav and reverse("sync:conflicts") not in nav
    assert reverse("client:outbox") in nav and reverse("candidates:list") in nav


def test_r4_issue20_the_server_still_serves_its_pages(client, point_user, season):
    client.force_login(point_user)
    nav = client.get(HOME).content.decode().split("</nav>")[0]
    assert reverse("sync:devices") in nav and reverse("sync:conflicts") in nav
    assert client.get(reverse("sync:devices")).status_code == 200


def test_r4_issue20_another_points_user_is_still_refused_on_the_client(
    client_mode, enrolled, client, other_county_user, season
):
    """The mark and the hidden pages change nothing of who may see what."""
    client.force_login(other_county_user)
    response = client.get(reverse("client:outbox"))
    assert response.status_code == 403
    assert 'data-testid="refused"' in response.content.decode()


def test_r4_issue20_the_outbox_masks_the_id_number_and_shows_code_names(
    client_mode, enrolled, client, point_user, season, point
):
    id_number = resident_id(7, birth="20020315")
    entry = create_entry(point, 7, document_type="3", sex="2", id_number=id_number)
    with capture.from_server():
        CandidateFactory(id=entry.candidate_id, season=season, point=point, name="客户端考生7")
    Outbox.objects.filter(pk=entry.pk).update(
        state=Outbox.State.ATTENTION, answer="refused", last_error="号段之外"
    )
    client.force_login(point_user)
    page = client.get(reverse("client:outbox")).content.decode()
    assert id_number not in page
    assert f"{id_number[:3]}***********{id_number[-4:]}" in page
    assert "外国人永久居留身份证" in page and "女" in page
    assert "Document type: 3<" not in page and "Sex: 2<" not in page


def test_r4_issue20_client_status_names_candidates_by_number_and_name(
    client_mode, enrolled, season, point
):
    entry = create_entry(point, 3)
    with capture.from_server():
        candidate = CandidateFactory(
            id=entry.candidate_id, season=season, point=point, name="状态考生"
        )
    Outbox.objects.filter(pk=entry.pk).update(state=Outbox.State.ATTENTION, last_error="拒绝")
    stray = create_entry(point, 4)  # a change whose candidate is not on this PC
    Outbox.objects.filter(pk=stray.pk).update(state=Outbox.State.ATTENTION, last_error="拒绝")
    out = io.StringIO()
    call_command("client", "status", stdout=out)
    text = out.getvalue()
    assert f"{candidate.registration_number} 状态考生" in text
    assert f"{stray.payload['fields']['registration_number']} 客户端考生4" in text
    assert str(entry.candidate_id) not in text and str(stray.candidate_id) not in text
    assert "Connection: offline" in text  # never synced


def test_r4_issue20_a_card_read_time_pulled_and_sent_back_is_no_change(
    client_mode, enrolled, season, point, number_range
):
    """The card was read at a time with microseconds; the API carries milliseconds. The
    point's next change does not carry the time back, so a conflict on it shows no
    身份核验时间 row."""
    read_at = timezone.now().replace(microsecond=123456)
    with capture.from_server():
        candidate = CandidateFactory(season=season, point=point, identity_verified_at=read_at)
    report = sync.sync_once(server)  # the pull brings the candidate
    assert report.ok, report.error
    assert Known.objects.filter(candidate_id=candidate.pk).exists()
    candidate.refresh_from_db()

    edit_locally(candidate, mobile="13900000000")
    # Meanwhile the county changed the record on the server: the push is in conflict.
    Candidate.objects.filter(pk=candidate.pk).update(version=candidate.version + 1)
    sync.sync_once(server)
    entry = Outbox.objects.get()
    assert entry.answer == "conflict"
    assert "identity_verified_at" not in entry.payload["fields"]
    assert set(Conflict.objects.get().point_values) == {"mobile"}
