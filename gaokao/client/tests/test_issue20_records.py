"""Issue 20, item 4, on the point client: an incident, its timeline entries, a comment and
a photo recorded here go up at the sync and are marked as at the centre only on the
server's answer naming them; until then the pages say honestly that the levels above do
not see them yet. Notices meant for the point come down at the pull, and no others.

As in every test here, client and server share one database (conftest): the centre's
side of each record is tested in gaokao/sync/tests/test_issue20_records_up.py."""

import datetime as dt
import hashlib
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from gaokao.client import records, sync
from gaokao.client.models import ClientState, Outbox
from gaokao.client.tests.conftest import Recorder, server, synced_candidate
from gaokao.comments.models import Comment
from gaokao.comments.services import save_comment
from gaokao.incidents import services as incidents
from gaokao.incidents.models import Entry, Incident, IncidentEntry, Upload
from gaokao.notices.models import Attachment, Notice
from gaokao.photos.models import PhotoSource
from gaokao.photos.services import add_photo
from gaokao.photos.tests import images
from gaokao.sync.models import PhotoUpload

pytestmark = pytest.mark.django_db


def sent(recorder: Recorder, path="/records") -> list[dict]:
    return [json.loads(body) for _, p, body in recorder.calls if p == path]


def report_here(client, point_user) -> Incident:
    client.force_login(point_user)
    started = timezone.localtime(timezone.now() - dt.timedelta(hours=1))
    response = client.post(
        reverse("incidents:new"),
        {
            "kind": "network",
            "severity": "serious",
            "started_at": started.strftime("%Y-%m-%d %H:%M"),
            "description": "报名点断网，已改为离线采集",
        },
        follow=True,
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    page = response.content.decode()
    # Honest: recorded here, not yet seen above.
    assert "recorded on this PC" in page and 'data-testid="not-synced"' in page
    assert "现在都能看到" not in page and "sees it now" not in page
    return Incident.objects.get()


def test_e5_issue20_an_incident_reported_on_the_client_goes_up_and_only_then_says_so(
    client_mode, enrolled, client, point, point_user
):
    incident = report_here(client, point_user)
    assert incident.upload == Upload.PENDING
    assert records.pending_counts()["incidents"] == 1
    waiting = client.get(reverse("client:outbox")).content.decode()
    assert 'data-testid="pending-records">1 incidents' in waiting
    transport = Recorder()

    report = sync.sync_once(transport)

    assert report.ok, report.error
    [body] = sent(transport)
    [item] = body["incidents"]
    assert item["id"] == str(incident.uid) and item["point"] == point.code
    assert item["by"] == point_user.username and item["kind"] == "network"
    assert item["entry"] == str(incident.entries.get(kind=Entry.REPORTED).uid)
    incident.refresh_from_db()
    assert incident.upload == Upload.DONE
    assert incident.entries.get().upload == Upload.DONE
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert 'data-testid="not-synced"' not in page
    sync.sync_once(transport)
    assert len(sent(transport)) == 1  # nothing is sent again


def test_e5_issue20_an_incidents_entries_go_up_after_it_in_order(
    client_mode, enrolled, client, point, point_user
):
    incident = report_here(client, point_user)
    incidents.comment(incident, by=point_user, text="正在联系电信")
    incidents.resolve(incident, by=point_user, resolution="网络已恢复", version=None)
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert page.count('data-testid="entry-not-synced"') == 2
    transport = Recorder()

    assert sync.sync_once(transport).ok

    [body] = sent(transport)
    assert [e["kind"] for e in body["entries"]] == ["comment", "resolved"]
    assert {e["incident"] for e in body["entries"]} == {str(incident.uid)}
    assert not IncidentEntry.objects.filter(upload=Upload.PENDING).exists()


def test_e5_issue20_a_comment_written_on_the_client_goes_up_with_the_centres_version(
    client_mode, enrolled, season, point, point_user
):
    candidate = synced_candidate(season, point)
    save_comment(candidate, text="该生品德良好", version=0, by=point_user)
    comment = Comment.objects.get(candidate=candidate)
    assert comment.upload == Upload.PENDING and comment.server_version == 0
    transport = Recorder()

    assert sync.sync_once(transport).ok

    [item] = sent(transport)[0]["comments"]
    assert item["candidate"] == str(candidate.pk) and item["text"] == "该生品德良好"
    assert item["base_version"] == 0
    comment.refresh_from_db()
    assert comment.upload == Upload.DONE and comment.server_version == comment.version == 1


def test_e5_issue20_a_comment_waits_for_its_candidate_to_reach_the_server(
    client_mode, enrolled, season, point, point_user
):
    candidate = synced_candidate(season, point)
    save_comment(candidate, text="该生品德良好", version=0, by=point_user)
    Outbox.objects.create(
        kind=Outbox.Kind.CHANGE, candidate_id=candidate.pk, payload={"kind": "create"}
    )
    body, _sent = records.batch(ClientState.load())

    assert body["comments"] == []


class Refusing:
    """A centre that refuses every record with its reason."""

    def __init__(self):
        self.inner = Recorder()

    def __call__(self, method, url, headers, body):
        if url.endswith("/records"):
            ids = [i["id"] for items in json.loads(body).values() for i in items]
            results = [
                {"id": pk, "kind": "incident", "status": "refused", "message": "不是本报名点的事件"}
                for pk in ids
            ]
            return 200, {}, json.dumps({"results": results}).encode()
        return self.inner(method, url, headers, body)


def test_e5_issue20_a_refused_record_keeps_the_servers_message_and_is_not_resent(
    client_mode, enrolled, client, point, point_user
):
    incident = report_here(client, point_user)
    transport = Refusing()

    assert sync.sync_once(transport).ok

    incident.refresh_from_db()
    assert incident.upload == Upload.REFUSED and incident.upload_message == "不是本报名点的事件"
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "不是本报名点的事件" in page
    body, _sent = records.batch(ClientState.load())
    assert body["incidents"] == [] and body["entries"] == []


def test_e5_issue20_a_photo_taken_on_the_client_goes_up(
    client_mode, enrolled, season, point, point_user
):
    candidate = synced_candidate(season, point)
    data = images.encode(images.portrait(600, 800), quality=90)
    photo = add_photo(candidate, data, source=PhotoSource.CAMERA, by=point_user)

    assert sync.sync_once(server).ok

    upload = PhotoUpload.objects.get(pk=photo.pk)
    assert upload.photo_id is not None and upload.sha256 == hashlib.sha256(data).hexdigest()
    assert not Outbox.objects.filter(kind=Outbox.Kind.PHOTO).exists()


class NoticeCentre:
    """A centre whose pull brings `notices` and which hands out attachment bytes."""

    def __init__(self, notices, files):
        self.notices, self.files, self.paths = notices, files, []

    def __call__(self, method, url, headers, body):
        path = url.split("/api/v1", 1)[-1]
        self.paths.append(path)
        if path.startswith("/pull"):
            page = {"cursor": "c", "more": False, "config": {}, "candidates": []}
            return 200, {}, json.dumps(page | {"notices": self.notices}).encode()
        if path.startswith("/notices/attachments/"):
            return 200, {}, self.files[int(path.rsplit("/", 1)[-1])]
        return 200, {}, json.dumps({"results": []}).encode()


def notice(pk, region, title, attachments=()):
    return {
        "id": pk,
        "title": title,
        "body": "报名延长一天",
        "region": region.code,
        "posted_at": timezone.now().isoformat(),
        "pinned": False,
        "attachments": list(attachments),
    }


def test_e5_issue20_notices_for_the_point_come_down_with_their_attachments(
    client_mode, enrolled, point, county, other_county, point_user, media
):
    province = county.parent.parent
    content = b"%PDF-1.4 plan"
    pdf = {
        "id": 7001,
        "filename": "安排.pdf",
        "size": len(content),
        "content_type": "application/pdf",
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    stale = Notice.objects.create(region=county, title="已撤回的通知", body="")
    elsewhere = Notice.objects.create(region=other_county, title="外县通知", body="")
    centre = NoticeCentre(
        [
            notice(9001, county, "关于延长报名的通知", [pdf]),
            notice(9002, province, "全省通知"),
            notice(9003, other_county, "不该来的通知"),  # not above this point: ignored
        ],
        {7001: content},
    )

    assert sync.sync_once(centre).ok
    assert sync.sync_once(centre).ok  # again: nothing changes, nothing is fetched twice

    readable = Notice.objects.for_reader(point_user)
    assert set(readable.values_list("pk", flat=True)) == {9001, 9002}
    assert Notice.objects.get(pk=9001).body == "报名延长一天"
    assert not Notice.objects.filter(pk=9003).exists()
    assert Notice.objects.get(pk=stale.pk).withdrawn_at is not None  # withdrawn at the centre
    assert Notice.objects.get(pk=elsewhere.pk).withdrawn_at is None  # not the point's: untouched
    attachment = Attachment.objects.get(pk=7001)
    with attachment.file.open("rb") as f:
        assert f.read() == content
    assert centre.paths.count("/notices/attachments/7001") == 1
