"""R4: the point client is published on the notice board, package and guide together."""

import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse

from gaokao.notices.models import Notice

pytestmark = pytest.mark.django_db


def test_r4_the_point_client_is_published_for_the_points_to_download(
    client, county, point_user, tmp_path
):
    call_command("publish_client", server="https://bm.hneao.example")
    notice = Notice.objects.get()
    assert notice.pinned and notice.region == county.parent.parent
    names = sorted(a.filename for a in notice.attachments.all())
    assert names[0].startswith("gaokao-") and names[0].endswith(".whl")
    assert "gaokao client enrol --server https://bm.hneao.example" in notice.body
    package = notice.attachments.get(filename=names[0])
    with zipfile.ZipFile(package.file.path) as wheel:  # a real, installable package
        assert any(n.endswith("locale/zh_Hans/LC_MESSAGES/django.mo") for n in wheel.namelist())
    client.force_login(point_user)
    assert notice.title in client.get(reverse("notices:list")).text


def test_r4_issue20_the_published_guide_is_the_one_in_docs(county, tmp_path):
    """One home for the guide for point staff: docs/point-guide.md, server filled in; it
    names the reader, the data folder, the client's own authenticator entry and the key."""
    from django.conf import settings

    call_command("publish_client", server="https://bm.hneao.example")
    notice = Notice.objects.get()
    guide = (settings.BASE_DIR.parent / "docs" / "point-guide.md").read_text(encoding="utf-8")
    published = guide.replace("https://省中心地址", "https://bm.hneao.example").strip()
    assert notice.body.strip() == published
    for topic in ("读卡", "数据目录", "验证器", "数据包公钥", "gaokao client run"):
        assert topic in notice.body, topic
    attached = notice.attachments.get(filename="报名点客户端使用指南.txt")
    assert attached.file.read().decode("utf-8").strip() == published
