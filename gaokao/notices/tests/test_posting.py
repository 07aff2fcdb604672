"""R4: province, city and county offices post notices with attachments; points only read.
Attachments are checked (type, size, count), stored under random names and downloaded
under their original names with the exact bytes."""

import hashlib
import io
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.notices import services
from gaokao.notices.models import Attachment, Notice
from gaokao.testing.factories import staff_for

pytestmark = pytest.mark.django_db


def upload(name, content=b"%PDF-1.4 test"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def form_error_codes(response, field="attachments"):
    return {e.code for e in response.context["form"].errors.as_data().get(field, [])}


def stored_files(media):
    return [p for p in media.rglob("*") if p.is_file()]


def test_r4_county_posts_a_notice_with_attachments_and_points_download_them(
    client, county_user, point_user, media
):
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 40
    xlsx = b"PK\x03\x04" + b"\x00\xff" * 500
    client.force_login(county_user)
    response = client.post(
        reverse("notices:new"),
        {
            "title": "关于做好2020年普通高考网上报名工作的通知",
            "body": "各报名点：\n请按时完成报名。",
            "attachments": [upload("报名 须知.pdf", pdf), upload("名额分配.xlsx", xlsx)],
        },
    )
    notice = Notice.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("notices:detail", args=[notice.pk])
    assert notice.region == county_user.region
    assert notice.author == county_user
    assert [a.filename for a in notice.attachments.all()] == ["报名 须知.pdf", "名额分配.xlsx"]

    client.force_login(point_user)
    page = client.get(response.url).text
    for attachment, content in zip(notice.attachments.all(), (pdf, xlsx), strict=True):
        url = reverse("notices:attachment", args=[attachment.pk])
        assert url in page
        assert attachment.size == len(content)
        assert attachment.sha256 == hashlib.sha256(content).hexdigest()
        assert attachment.sha256 in page  # a point can check the download
        download = client.get(url)
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == content
        disposition = download["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert "filename*=utf-8''" in disposition  # the original Chinese name
        assert download["Content-Length"] == str(len(content))
        assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == services.ALLOWED_TYPES[".xlsx"]
    assert len(stored_files(media)) == 2


def test_r4_ascii_file_name_is_offered_as_is(client, county_user, point_user, post):
    notice = post(county_user.region, attachments=[("guide.txt", b"hello\n")])
    client.force_login(point_user)
    download = client.get(reverse("notices:attachment", args=[notice.attachments.get().pk]))
    assert download["Content-Disposition"] == 'attachment; filename="guide.txt"'
    assert download["Content-Type"] == "text/plain"


def test_r4_files_are_stored_under_random_names_with_their_names_cleaned(post, county, media):
    notice = post(county, attachments=[("..\\..\\C:\\evil\u202egpj.exe", b"MZ\x90\x00")])
    attachment = notice.attachments.get()
    assert attachment.filename == "evilgpj.exe"  # no path, no right-to-left override
    assert re.fullmatch(r"notices/\d{4}/\d{2}/[0-9a-f]{32}\.exe", attachment.file.name)
    assert (media / attachment.file.name).read_bytes() == b"MZ\x90\x00"


@pytest.mark.parametrize("role_unit", [lambda c: c.parent.parent, lambda c: c.parent, lambda c: c])
def test_r4_province_city_and_county_may_post(client, county, role_unit):
    unit = role_unit(county)
    client.force_login(staff_for(unit))
    assert client.get(reverse("notices:new")).status_code == 200
    assert 'href="{}"'.format(reverse("notices:new")) in client.get(reverse("notices:list")).text
    response = client.post(reverse("notices:new"), {"title": "通知", "body": ""})
    assert response.status_code == 302
    assert Notice.objects.get().region == unit


def test_r4_points_cannot_post(client, point_user):
    client.force_login(point_user)
    assert client.get(reverse("notices:new")).status_code == 403
    response = client.post(reverse("notices:new"), {"title": "通知", "body": "正文"})
    assert response.status_code == 403
    assert reverse("notices:new") not in client.get(reverse("notices:list")).text
    with pytest.raises(PermissionDenied):
        services.post_notice(
            author_unit=point_user.point.county, title="通知", body="", by=point_user
        )
    assert not Notice.objects.exists()


def test_r4_an_office_cannot_post_for_another_unit(county_user, other_county):
    with pytest.raises(PermissionDenied):
        services.post_notice(author_unit=other_county, title="通知", body="", by=county_user)
    with pytest.raises(PermissionDenied):
        services.post_notice(
            author_unit=county_user.region.parent, title="通知", body="", by=county_user
        )
    assert not Notice.objects.exists()


@pytest.mark.parametrize("name", ["page.html", "script.js", "archive.rar", "README", "x.pdf.bat"])
def test_r4_other_file_types_are_refused_with_a_clear_message(client, county_user, media, name):
    client.force_login(county_user)
    response = client.post(
        reverse("notices:new"),
        {"title": "通知", "body": "", "attachments": [upload("ok.pdf"), upload(name, b"x")]},
    )
    assert response.status_code == 200
    assert form_error_codes(response) == {"file_type"}
    assert name in response.text
    assert services.ALLOWED_LABEL in response.text  # says what is allowed
    assert not Notice.objects.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize(
    "name",
    [
        "report.PDF",
        "a.doc",
        "a.docx",
        "a.xls",
        "a.xlsx",
        "a.zip",
        "a.jpg",
        "a.jpeg",
        "a.png",
        "a.txt",
        "gaokao-client-setup.exe",
        "gaokao-client.msi",
        "gaokao_client-1.0-py3-none-any.whl",
        "gaokao-client-1.0.tar.gz",
    ],
)
def test_r4_allowed_types_including_the_point_client_packages(county, post, name):
    notice = post(county, attachments=[(name, b"data")])
    assert notice.attachments.get().filename == name


def test_r4_oversized_files_are_refused_with_a_clear_message(client, county_user, settings, media):
    settings.GAOKAO_NOTICE_MAX_ATTACHMENT_MB = 0.001  # 1048 bytes
    client.force_login(county_user)
    response = client.post(
        reverse("notices:new"),
        {"title": "通知", "body": "", "attachments": [upload("big.pdf", b"x" * 1049)]},
    )
    assert response.status_code == 200
    assert form_error_codes(response) == {"file_size"}
    assert "big.pdf" in response.text
    assert "0.001 MB" in response.text
    assert not Notice.objects.exists()
    assert stored_files(media) == []
    response = client.post(
        reverse("notices:new"),
        {"title": "通知", "body": "", "attachments": [upload("small.pdf", b"x" * 1048)]},
    )
    assert response.status_code == 302
    with pytest.raises(ValidationError) as e:
        services.post_notice(
            author_unit=county_user.region,
            title="通知",
            body="",
            attachments=[("b.zip", b"x" * 1049)],
        )
    assert e.value.error_list[0].code == "file_size"


def test_r4_the_size_limit_defaults_to_20_mb(settings):
    del settings.GAOKAO_NOTICE_MAX_ATTACHMENT_MB
    assert services.max_attachment_bytes() == 20 * 1024 * 1024


def test_r4_at_most_five_attachments(client, county_user, media):
    client.force_login(county_user)
    files = [upload(f"{i}.pdf") for i in range(6)]
    response = client.post(
        reverse("notices:new"), {"title": "通知", "body": "", "attachments": files}
    )
    assert response.status_code == 200
    assert form_error_codes(response) == {"too_many"}
    assert not Notice.objects.exists()
    assert stored_files(media) == []


def test_r4_empty_title_and_empty_file_are_refused(client, county_user):
    client.force_login(county_user)
    response = client.post(
        reverse("notices:new"), {"title": " ", "body": "", "attachments": [upload("a.pdf", b"")]}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "title" in errors
    assert "attachments" in errors
    assert not Notice.objects.exists()


def test_r4_posting_is_an_audit_event(client, county_user):
    client.force_login(county_user)
    client.post(
        reverse("notices:new"),
        {"title": "通知", "body": "", "attachments": [upload("a.pdf", b"%PDF")]},
        REMOTE_ADDR="10.1.2.3",
    )
    notice = Notice.objects.get()
    event = AuditEvent.objects.get(action=Action.NOTICE_POSTED)
    assert event.actor == county_user
    assert event.region == county_user.region
    assert event.ip == "10.1.2.3"
    assert event.target == notice.title
    assert event.detail["notice"] == notice.pk
    assert event.detail["attachments"] == [
        {"filename": "a.pdf", "size": 4, "sha256": hashlib.sha256(b"%PDF").hexdigest()}
    ]


def test_r4_post_notice_works_without_a_request(province, point_user, tmp_path):
    """What the command that publishes the point client calls."""
    package = tmp_path / "gaokao-client-1.0.tar.gz"
    package.write_bytes(b"\x1f\x8b" + b"client" * 100)
    with package.open("rb") as f:
        notice = services.post_notice(
            author_unit=province,
            title="招考管理系统（客户版）1.0 下载",
            body="请各报名点下载安装。",
            attachments=[
                ("gaokao-client-1.0.msi", b"\xd0\xcf\x11\xe0msi"),
                ("gaokao_client-1.0-py3-none-any.whl", io.BytesIO(b"PK\x03\x04whl")),
                (package.name, f),
            ],
            pinned=True,
        )
    assert notice.author is None
    assert notice.pinned
    assert [a.size for a in notice.attachments.all()] == [7, 7, 602]
    assert Notice.objects.for_reader(point_user).first() == notice
    event = AuditEvent.objects.get(action=Action.NOTICE_POSTED)
    assert event.actor is None
    assert event.actor_label == "system"
    assert event.region == province
    assert len(event.detail["attachments"]) == 3


def test_r4_a_refused_attachment_stores_nothing(province, media):
    with pytest.raises(ValidationError):
        services.post_notice(
            author_unit=province,
            title="通知",
            body="",
            attachments=[("good.pdf", b"%PDF"), ("bad.html", b"<script>")],
        )
    assert not Notice.objects.exists()
    assert not Attachment.objects.exists()
    assert stored_files(media) == []
