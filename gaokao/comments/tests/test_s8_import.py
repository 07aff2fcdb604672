"""S8: comments imported from a spreadsheet — a dry run with a report per line, then an
import of exactly the lines that were OK, all or nothing; importing again changes nothing."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.models import Stage
from gaokao.comments import services
from gaokao.comments.models import COMMENT_LIMIT, Comment, CommentUpload
from gaokao.comments.services import RowStatus
from gaokao.comments.tests.conftest import csv_bytes, xlsx_bytes
from gaokao.testing.factories import CountyFactory, PointFactory, staff_for

pytestmark = pytest.mark.django_db

URL = reverse("comments:import")


def upload(client, data, name="评语.csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, data)})


def confirm(client, response):
    pending = response.context["upload"]
    return client.post(URL, {"upload": pending.pk, "sha256": pending.sha256})


def statuses(response):
    return {row.line: row.status for row in response.context["report"].rows}


def texts():
    return dict(Comment.objects.values_list("candidate__registration_number", "text"))


@pytest.fixture
def world(make, point, other_point, point_user):
    """One candidate for every kind of line."""
    c = {
        "new": make(point),
        "changed": make(point),
        "unchanged": make(point),
        "locked": make(point, stage=Stage.COUNTY),
        "long": make(point),
        "empty": make(point),
        "dup": make(point),
        "outside": make(other_point),
    }
    services.save_comment(c["changed"], text="旧评语", version=0, by=point_user)
    services.save_comment(c["unchanged"], text="不变", version=0, by=point_user)
    return c


def world_rows(c):
    return [
        (c["new"].registration_number, "新评语"),  # line 2
        (c["changed"].registration_number, "改过的评语"),  # 3
        (c["unchanged"].registration_number, "不变"),  # 4
        ("99999999", "无此人"),  # 5
        (c["outside"].registration_number, "外县"),  # 6
        (c["locked"].registration_number, "已上报"),  # 7
        (c["long"].registration_number, "好" * (COMMENT_LIMIT + 1)),  # 8
        (c["empty"].registration_number, " \u200b "),  # 9
        (c["dup"].registration_number, "第一次"),  # 10
        (c["dup"].registration_number, "第二次"),  # 11
    ]


EXPECTED = {
    2: RowStatus.NEW,
    3: RowStatus.CHANGED,
    4: RowStatus.UNCHANGED,
    5: RowStatus.UNKNOWN,
    6: RowStatus.OUTSIDE,
    7: RowStatus.LOCKED,
    8: RowStatus.TOO_LONG,
    9: RowStatus.EMPTY,
    10: RowStatus.DUPLICATE,
    11: RowStatus.DUPLICATE,
}


def test_s8_dry_run_reports_every_line_and_saves_nothing(client, point_user, world):
    client.force_login(point_user)
    before = texts(), AuditEvent.objects.count()
    response = upload(client, csv_bytes(world_rows(world)))
    assert response.status_code == 200
    assert statuses(response) == EXPECTED
    report = response.context["report"]
    assert (report.ok_count, report.write_count, report.problem_count) == (3, 2, 7)
    for line, status in EXPECTED.items():  # every line is on the page with its status
        assert f'data-line="{line}" data-status="{status}"' in response.text
    rows = {row.line: row for row in report.rows}
    assert rows[6].candidate is None  # nothing about another county's candidate is shown
    assert world["outside"].name not in response.text
    assert "10, 11" in rows[10].message
    assert (texts(), AuditEvent.objects.count()) == before


def test_s8_import_applies_exactly_the_ok_lines_once(client, point_user, point, world):
    client.force_login(point_user)
    saved_one_by_one = AuditEvent.objects.filter(action=Action.COMMENT_SAVED).count()
    data = csv_bytes(world_rows(world))
    response = confirm(client, upload(client, data))
    assert response.status_code == 302
    assert texts() == {
        world["new"].registration_number: "新评语",
        world["changed"].registration_number: "改过的评语",
        world["unchanged"].registration_number: "不变",
    }
    assert Comment.objects.get(candidate=world["changed"]).version == 2
    assert Comment.objects.get(candidate=world["unchanged"]).version == 1  # not rewritten
    event = AuditEvent.objects.get(action=Action.COMMENTS_IMPORTED)
    assert event.point == point and event.actor == point_user
    assert event.detail["written"] == 2
    assert sorted(event.detail["registration_numbers"]) == sorted(
        [world["new"].registration_number, world["changed"].registration_number]
    )
    assert event.detail["file_totals"] == {
        "lines": 10,
        "new": 1,
        "changed": 1,
        "unchanged": 1,
        "refused": 7,
    }
    # One event for the file, not one per comment.
    assert AuditEvent.objects.filter(action=Action.COMMENT_SAVED).count() == saved_one_by_one
    stored = CommentUpload.objects.get()
    assert stored.applied_at is not None and bytes(stored.data) == b""

    # The same file again: the report says nothing to write, and the import changes nothing.
    snapshot = list(Comment.objects.values_list("pk", "text", "version", "written_at"))
    events = AuditEvent.objects.count()
    again = upload(client, data)
    assert again.context["report"].write_count == 0
    assert statuses(again)[2] == statuses(again)[3] == RowStatus.UNCHANGED
    assert confirm(client, again).status_code == 302
    assert list(Comment.objects.values_list("pk", "text", "version", "written_at")) == snapshot
    assert AuditEvent.objects.count() == events
    # Confirming an upload twice (a double click, the back button) does nothing either.
    assert confirm(client, again).status_code == 302
    assert AuditEvent.objects.count() == events


def test_s8_gbk_csv_and_english_headers(client, point_user, make, point):
    a, b = make(point), make(point)
    client.force_login(point_user)
    data = csv_bytes(
        [(a.registration_number, "品德优良，遵纪守法。")],
        header=("registration_number", "comment"),
        encoding="gbk",
    )
    response = upload(client, data)
    assert statuses(response) == {2: RowStatus.NEW}
    confirm(client, response)
    assert texts() == {a.registration_number: "品德优良，遵纪守法。"}
    gbk = csv_bytes([(b.registration_number, "积极向上。")], encoding="gbk")
    confirm(client, upload(client, gbk))
    assert texts()[b.registration_number] == "积极向上。"


def test_s8_xlsx_with_numbers_stored_as_numbers(client, county, make):
    zero = PointFactory(county=CountyFactory(parent=county.parent, registration_code="0901"))
    a = make(zero)
    assert a.registration_number.startswith("0901")  # Excel drops the leading zero
    client.force_login(staff_for(zero))
    data = xlsx_bytes([(int(a.registration_number), "  团结同学。\n")])
    response = upload(client, data, "评语.xlsx")
    assert statuses(response) == {2: RowStatus.NEW}
    assert confirm(client, response).status_code == 302
    assert texts() == {a.registration_number: "团结同学。"}


def test_s8_data_changed_since_the_dry_run_imports_nothing(client, point_user, make, point):
    a, b = make(point), make(point)
    client.force_login(point_user)
    checked = upload(
        client, csv_bytes([(a.registration_number, "甲"), (b.registration_number, "乙")])
    )
    assert checked.context["report"].write_count == 2
    # Meanwhile a colleague writes b's comment on the batch screen.
    services.save_comment(b, text="同事写的", version=0, by=staff_for(point))
    response = confirm(client, checked)
    assert response.status_code == 200
    assert statuses(response) == {2: RowStatus.NEW, 3: RowStatus.CHANGED}
    assert texts() == {b.registration_number: "同事写的"}  # all or nothing: a is not written
    assert not AuditEvent.objects.filter(action=Action.COMMENTS_IMPORTED).exists()
    # The new report is what the user confirms next.
    assert confirm(client, response).status_code == 302
    assert texts() == {a.registration_number: "甲", b.registration_number: "乙"}


def test_s8_record_submitted_since_the_dry_run_imports_nothing(client, point_user, make, point):
    a, b = make(point), make(point)
    client.force_login(point_user)
    checked = upload(
        client, csv_bytes([(a.registration_number, "甲"), (b.registration_number, "乙")])
    )
    type(b).objects.filter(pk=b.pk).update(stage=Stage.COUNTY)
    response = confirm(client, checked)
    assert statuses(response) == {2: RowStatus.NEW, 3: RowStatus.LOCKED}
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("评语.exe", b"MZ\x90\x00"),
        ("评语.xlsx", b"not a zip at all"),
        ("评语.csv", b"\xff\xfe\x00\x00\x81"),
        ("评语.csv", "姓名,内容\n张三,好\n".encode()),
        ("评语.csv", b""),
        ("评语.csv", "报名号,评语\n1,".encode() + b"x" * 200_000 + b"\n"),
    ],
)
def test_s8_hostile_or_unusable_files_are_refused(client, point_user, candidate, name, data):
    client.force_login(point_user)
    response = upload(client, data, name)
    assert response.status_code == 200
    assert response.context["report"] is None
    assert response.context["form"].errors
    assert not CommentUpload.objects.exists() and not Comment.objects.exists()


def test_s8_hostile_xlsx_inside_a_zip_is_refused(client, point_user, candidate):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types><<<")
        z.writestr("xl/workbook.xml", "\x00garbage")
    client.force_login(point_user)
    response = upload(client, out.getvalue(), "评语.xlsx")
    assert response.status_code == 200 and response.context["form"].errors
    assert not CommentUpload.objects.exists()


def test_s8_hostile_comment_text_in_a_file(client, point_user, make, point):
    a, b = make(point), make(point)
    client.force_login(point_user)
    rows = [
        (a.registration_number, "<script>alert(1)</script>\u202e"),
        (b.registration_number + "\x00", "\x1b[2J好\u200b"),
    ]
    response = upload(client, csv_bytes(rows))
    assert statuses(response) == {2: RowStatus.NEW, 3: RowStatus.NEW}
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text
    confirm(client, response)
    assert texts() == {
        a.registration_number: "<script>alert(1)</script>",
        b.registration_number: "[2J好",
    }


def test_s8_another_users_upload_cannot_be_imported(client, point_user, make, point):
    a = make(point)
    client.force_login(point_user)
    checked = upload(client, csv_bytes([(a.registration_number, "甲")]))
    pending = checked.context["upload"]
    client.force_login(staff_for(point))  # a colleague at the same point
    response = client.post(URL, {"upload": pending.pk, "sha256": pending.sha256})
    assert response.status_code == 302
    client.force_login(point_user)
    assert client.post(URL, {"upload": pending.pk, "sha256": "0" * 64}).status_code == 302
    assert not Comment.objects.exists()


def test_s8_other_county_imports_nothing_of_ours(client, other_county_user, make, point):
    a = make(point)
    client.force_login(other_county_user)
    response = upload(client, csv_bytes([(a.registration_number, "外县篡改")]))
    assert statuses(response) == {2: RowStatus.OUTSIDE}
    assert a.name not in response.text
    assert 'name="upload"' not in response.text  # no import button
    # Forcing the import anyway writes nothing.
    assert confirm(client, response).status_code == 302
    assert not Comment.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.COMMENTS_IMPORTED).exists()


def test_s8_county_import_is_audited_per_point(client, county_user, county, make, point):
    second = PointFactory(county=county)
    a, b = make(point, stage=Stage.COUNTY), make(second, stage=Stage.COUNTY)
    client.force_login(county_user)
    response = upload(
        client, csv_bytes([(a.registration_number, "甲"), (b.registration_number, "乙")])
    )
    assert confirm(client, response).status_code == 302
    events = AuditEvent.objects.filter(action=Action.COMMENTS_IMPORTED)
    assert {e.point for e in events} == {point, second}
    assert all(e.detail["written"] == 1 and e.actor == county_user for e in events)
    # Each point reads the event about its own candidates.
    assert list(
        AuditEvent.objects.visible_to(staff_for(second)).filter(action=Action.COMMENTS_IMPORTED)
    ) == [events.get(point=second)]


def test_s8_only_points_and_counties_import(client, county, candidate):
    client.force_login(staff_for(county.parent))
    assert client.get(URL).status_code == 403
    data = csv_bytes([(candidate.registration_number, "市里导入")])
    assert upload(client, data).status_code == 403
    assert not CommentUpload.objects.exists()


def test_s8_uploads_left_unimported_are_dropped_later(point_user, candidate):
    import datetime as dt

    from django.utils import timezone

    data = csv_bytes([(candidate.registration_number, "甲")])
    old, _report = services.dry_run(data, "a.csv", by=point_user)
    CommentUpload.objects.filter(pk=old.pk).update(
        uploaded_at=timezone.now() - services.UPLOAD_LIFETIME - dt.timedelta(minutes=1)
    )
    services.dry_run(csv_bytes([(candidate.registration_number, "乙")]), "b.csv", by=point_user)
    assert not CommentUpload.objects.filter(pk=old.pk).exists()
    assert services.pending_upload(point_user, old.pk, old.sha256) is None
