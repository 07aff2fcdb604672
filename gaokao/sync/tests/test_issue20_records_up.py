"""Issue 20, item 4, at the centre: the incidents, timeline entries and comments a point
client recorded reach the centre through POST /records, once each however often they are
sent, only for the device's own point; the notices meant for the point come down with the
pull, and no others."""

import datetime as dt
import uuid

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from gaokao.audit.models import Action, AuditEvent
from gaokao.comments.models import Comment
from gaokao.comments.services import save_comment
from gaokao.incidents.models import Entry, Incident, IncidentEntry, Level, Status, Upload
from gaokao.incidents.services import report_incident, resolve
from gaokao.notices.services import post_notice, withdraw_notice
from gaokao.testing.factories import staff_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english(english):
    """Refusals are asserted in their source language."""


def incident_item(own, **overrides):
    now = timezone.now()
    return {
        "id": str(uuid.uuid4()),
        "point": own.code,
        "kind": "network",
        "severity": "serious",
        "started_at": (now - dt.timedelta(hours=2)).isoformat(),
        "reported_at": (now - dt.timedelta(hours=1)).isoformat(),
        "description": "报名点断网，已改为离线采集",
        "entry": str(uuid.uuid4()),
        "by": "",
    } | overrides


def entry_item(incident_id, kind="comment", text="网络仍未恢复", **overrides):
    return {
        "id": str(uuid.uuid4()),
        "incident": str(incident_id),
        "kind": kind,
        "at": timezone.now().isoformat(),
        "text": text,
        "by": "",
    } | overrides


def records(api, incidents=(), entries=(), comments=()):
    answer = api.post(
        "/records",
        {"incidents": list(incidents), "entries": list(entries), "comments": list(comments)},
    )
    assert answer.status_code == 200, answer.content
    return answer.json()["results"]


def test_e4_issue20_an_incident_from_the_client_reaches_the_centre_once(
    api, point, point_user, county_user, device
):
    item = incident_item(point, by=point_user.username)

    first = records(api, incidents=[item])
    again = records(api, incidents=[item])  # the answer was lost; the client sends it again

    assert [r["status"] for r in first] == ["applied"]
    assert [r["status"] for r in again] == ["duplicate"]
    incident = Incident.objects.get()
    assert str(incident.uid) == item["id"] and incident.point == point
    assert incident.reported_by == point_user and incident.upload == Upload.DONE
    assert incident.reported_at == dt.datetime.fromisoformat(item["reported_at"])
    assert incident.current_level == Level.POINT and incident.status == Status.OPEN
    reported = incident.entries.get()
    assert str(reported.uid) == item["entry"] and reported.kind == Entry.REPORTED
    # The levels above see it now, as if it had been reported at the centre.
    assert Incident.objects.visible_to(county_user).filter(pk=incident.pk).exists()
    assert AuditEvent.objects.filter(action=Action.INCIDENT_REPORTED).count() == 1


def test_e4_issue20_each_kind_of_incident_entry_from_the_client_reaches_the_centre_once(
    api, point, point_user, device
):
    item = incident_item(point)
    entries = [
        entry_item(item["id"], "comment", "正在联系电信"),
        entry_item(item["id"], "resolved", "网络已恢复"),
        entry_item(item["id"], "reopened", "又断了"),
        entry_item(item["id"], "escalated", "请县招办协调"),
    ]
    for n, entry in enumerate(entries):  # in the order they were made at the point
        entry["at"] = (timezone.now() - dt.timedelta(minutes=40 - n)).isoformat()

    first = records(api, incidents=[item], entries=entries)
    again = records(api, incidents=[item], entries=entries)

    assert [r["status"] for r in first] == ["applied"] * 5
    assert [r["status"] for r in again] == ["duplicate"] * 5
    incident = Incident.objects.get()
    timeline = list(incident.entries.order_by("at", "pk"))
    kinds = ["reported", "comment", "resolved", "reopened", "escalated"]
    assert [e.kind for e in timeline] == kinds
    assert [str(e.uid) for e in timeline[1:]] == [e["id"] for e in entries]
    assert timeline[1].text == "正在联系电信" and timeline[1].by == point_user
    assert timeline[2].at == dt.datetime.fromisoformat(entries[1]["at"])
    assert timeline[4].from_level == Level.POINT and timeline[4].to_level == Level.COUNTY
    assert incident.current_level == Level.COUNTY and incident.status == Status.OPEN


def test_e4_issue20_an_entry_the_centre_overtook_is_refused_with_the_reason_not_applied_twice(
    api, point, point_user, county_user, device
):
    item = incident_item(point)
    records(api, incidents=[item])
    incident = Incident.objects.get()
    resolve(incident, by=county_user, resolution="县里已处理", version=None)
    late = entry_item(item["id"], "resolved", "网络已恢复")

    [result] = records(api, entries=[late])

    assert result["status"] == "refused" and "already" in result["message"]
    assert incident.entries.filter(kind=Entry.RESOLVED).count() == 1
    assert not IncidentEntry.objects.filter(uid=late["id"]).exists()


def test_e4_issue20_a_forged_point_or_region_is_refused_and_nothing_is_stored(
    api, point, other_point, county, device
):
    forged = [
        incident_item(point, point=other_point.code),
        incident_item(point, region=county.code),
        incident_item(point, affected=[other_point.code]),
    ]

    results = records(api, incidents=forged)

    assert [r["status"] for r in results] == ["refused"] * 3
    assert all(r["message"] for r in results)
    assert Incident.objects.count() == 0 and IncidentEntry.objects.count() == 0


def test_e4_issue20_another_points_incident_cannot_be_added_to_or_claimed(
    api, point, other_point, device
):
    theirs = report_incident(
        by=staff_for(other_point),
        kind="power",
        started_at=timezone.now() - dt.timedelta(hours=1),
        description="停电",
    )

    results = records(
        api,
        incidents=[incident_item(point, id=str(theirs.uid))],  # its id, claimed
        entries=[entry_item(theirs.uid, "resolved", "已恢复")],
    )

    assert [r["status"] for r in results] == ["refused", "refused"]
    theirs.refresh_from_db()
    assert theirs.is_open and theirs.entries.count() == 1


def test_e4_issue20_a_comment_from_the_client_reaches_the_centre_once(
    api, make, point, point_user, device
):
    candidate = make(point)
    item = {
        "id": str(uuid.uuid4()),
        "candidate": str(candidate.pk),
        "text": "该生品德良好，遵纪守法",
        "base_version": 0,
        "written_at": timezone.now().isoformat(),
        "by": point_user.username,
    }

    first = records(api, comments=[item])
    again = records(api, comments=[item])

    assert first[0]["status"] == "applied" and first[0]["version"] == 1
    assert again[0]["status"] == "duplicate" and again[0]["original_status"] == "applied"
    comment = Comment.objects.get(candidate=candidate)
    assert comment.text == item["text"] and comment.version == 1
    assert comment.written_by == point_user
    assert AuditEvent.objects.filter(action=Action.COMMENT_SAVED).count() == 1


def test_e4_issue20_a_comment_changed_at_the_centre_meanwhile_is_not_overwritten(
    api, make, point, point_user, device
):
    candidate = make(point)
    # Written meanwhile in the office web at the centre (another PC of the point).
    save_comment(candidate, text="县级意见", version=0, by=point_user)
    item = {
        "id": str(uuid.uuid4()),
        "candidate": str(candidate.pk),
        "text": "报名点意见",
        "base_version": 0,
    }

    [result] = records(api, comments=[item])

    assert result["status"] == "refused" and result["message"]
    assert Comment.objects.get(candidate=candidate).text == "县级意见"


def test_e4_issue20_a_comment_on_another_points_candidate_is_refused(
    api, make, other_point, device
):
    theirs = make(other_point)
    item = {"id": str(uuid.uuid4()), "candidate": str(theirs.pk), "text": "x", "base_version": 0}

    [result] = records(api, comments=[item])

    assert result["status"] == "refused"
    assert not Comment.objects.filter(candidate=theirs).exists()


def test_e4_issue20_notices_come_down_with_the_pull_only_those_meant_for_the_point(
    api, point, county, other_county, county_user, other_county_user, device, media
):
    province = county.parent.parent
    mine = post_notice(
        author_unit=county,
        title="关于延长报名的通知",
        body="报名延长一天",
        by=county_user,
        attachments=[("安排.pdf", b"%PDF-1.4 plan")],
    )
    from_above = post_notice(author_unit=province, title="全省通知", body="")
    post_notice(author_unit=other_county, title="外县通知", body="", by=other_county_user)
    gone = post_notice(author_unit=county, title="已撤回", body="", by=county_user)
    withdraw_notice(gone, by=county_user)

    pulled = api.get("/pull").json()

    notices = {n["id"]: n for n in pulled["notices"]}
    assert set(notices) == {mine.pk, from_above.pk}
    assert notices[mine.pk]["region"] == county.code and notices[mine.pk]["body"] == "报名延长一天"
    [attachment] = notices[mine.pk]["attachments"]
    assert attachment["filename"] == "安排.pdf"
    download = api.get(f"/notices/attachments/{attachment['id']}")
    assert download.status_code == 200 and download.content == b"%PDF-1.4 plan"


def test_e4_issue20_an_attachment_of_another_countys_notice_is_not_handed_out(
    api, other_county, other_county_user, device, media
):
    theirs = post_notice(
        author_unit=other_county,
        title="外县通知",
        body="",
        by=other_county_user,
        attachments=[("x.txt", ContentFile(b"secret"))],
    )

    answer = api.get(f"/notices/attachments/{theirs.attachments.get().pk}")

    assert answer.status_code == 404
