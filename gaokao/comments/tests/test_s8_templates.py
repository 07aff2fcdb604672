"""S8: a unit's reusable comment templates — created, listed, deleted behind a confirmation,
audited; each unit manages only its own and reads those of the levels above."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.comments import services
from gaokao.comments.models import COMMENT_LIMIT, TEMPLATE_TITLE_LIMIT, CommentTemplate
from gaokao.comments.services import CommentRefused
from gaokao.testing.factories import PointFactory, staff_for

pytestmark = pytest.mark.django_db

URL = reverse("comments:templates")


def delete_url(template):
    return reverse("comments:template_delete", args=[template.pk])


def test_s8_point_creates_a_template_and_it_is_audited(client, point_user, point):
    client.force_login(point_user)
    response = client.post(URL, {"title": " 表现良好 ", "text": "该生\u202e表现良好。"})
    assert response.status_code == 302
    template = CommentTemplate.objects.get()
    assert (template.point, template.region) == (point, None)
    assert (template.title, template.text) == ("表现良好", "该生表现良好。")  # RTL override gone
    event = AuditEvent.objects.get(action=Action.COMMENT_TEMPLATE_SAVED)
    assert event.point == point and event.actor == point_user
    assert event.detail["change"] == "created" and event.detail["text"] == "该生表现良好。"
    page = client.get(URL)
    assert list(page.context["own"]) == [template]
    assert delete_url(template) in page.text


def test_s8_county_templates_belong_to_the_county_and_points_read_them(
    client, county_user, point_user, county
):
    template = services.create_template(title="县模板", text="遵纪守法。", by=county_user)
    assert (template.region, template.point) == (county, None)
    client.force_login(point_user)
    page = client.get(URL)
    assert list(page.context["own"]) == []
    assert list(page.context["above"]) == [template]
    assert delete_url(template) not in page.text
    # A point cannot delete its county's template.
    assert client.get(delete_url(template)).status_code == 404
    assert client.post(delete_url(template)).status_code == 404
    with pytest.raises(PermissionDenied):
        services.delete_template(template, by=point_user)
    assert CommentTemplate.objects.filter(pk=template.pk).exists()


def test_s8_delete_asks_first_then_deletes_and_audits(client, point_user, point):
    template = services.create_template(title="删除我", text="文本", by=point_user)
    client.force_login(point_user)
    confirm = client.get(delete_url(template))
    assert confirm.status_code == 200 and "删除我" in confirm.text
    assert CommentTemplate.objects.filter(pk=template.pk).exists()  # GET changes nothing
    response = client.post(delete_url(template))
    assert response.status_code == 302 and response.url == URL
    assert not CommentTemplate.objects.exists()
    event = AuditEvent.objects.get(action=Action.COMMENT_TEMPLATE_DELETED)
    assert event.detail["title"] == "删除我"
    assert event.point == point


@pytest.mark.parametrize(
    ("title", "text", "code"),
    [
        ("", "文本", "title"),
        ("\u200b\u202e", "文本", "title"),
        ("长" * (TEMPLATE_TITLE_LIMIT + 1), "文本", "title"),
        ("标题", "好" * (COMMENT_LIMIT + 1), "too_long"),
        ("标题", "\x00\x1b", "text"),
    ],
)
def test_s8_bad_templates_are_refused(point_user, title, text, code):
    with pytest.raises(CommentRefused) as refused:
        services.create_template(title=title, text=text, by=point_user)
    assert refused.value.code == code
    assert not CommentTemplate.objects.exists()
    assert not AuditEvent.objects.exists()


def test_s8_bad_template_form_keeps_the_input(client, point_user):
    client.force_login(point_user)
    long_text = "好" * (COMMENT_LIMIT + 1)
    response = client.post(URL, {"title": "标题", "text": long_text})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert long_text in response.text
    assert not CommentTemplate.objects.exists()


def test_s8_titles_are_unique_in_a_unit_and_the_number_is_limited(point_user, county, monkeypatch):
    services.create_template(title="同名", text="一", by=point_user)
    with pytest.raises(CommentRefused) as refused:
        services.create_template(title="同名", text="二", by=point_user)
    assert refused.value.code == "duplicate"
    # Another point may use the same title.
    services.create_template(title="同名", text="三", by=staff_for(PointFactory(county=county)))
    monkeypatch.setattr(services, "MAX_TEMPLATES", 2)
    services.create_template(title="第二个", text="二", by=point_user)
    with pytest.raises(CommentRefused) as refused:
        services.create_template(title="第三个", text="三", by=point_user)
    assert refused.value.code == "too_many"


def test_s8_hostile_template_text_is_escaped(client, point_user, candidate):
    services.create_template(title="<b>x</b>", text="<script>alert(1)</script>", by=point_user)
    client.force_login(point_user)
    for url in (URL, reverse("comments:batch")):
        html = client.get(url).text
        assert "<script>alert(1)</script>" not in html
        assert "<b>x</b>" not in html


def test_s8_other_county_user_is_refused_every_template(
    client, point_user, county_user, other_county_user
):
    mine = services.create_template(title="点模板", text="文本一", by=point_user)
    ours = services.create_template(title="县模板", text="文本二", by=county_user)
    client.force_login(other_county_user)
    page = client.get(URL)
    assert list(page.context["own"]) == [] and list(page.context["above"]) == []
    assert "文本一" not in page.text and "文本二" not in page.text
    for template in (mine, ours):
        assert client.get(delete_url(template)).status_code == 404
        assert client.post(delete_url(template)).status_code == 404
    assert CommentTemplate.objects.count() == 2
    assert AuditEvent.objects.filter(actor=other_county_user).count() == 0


def test_s8_county_does_not_delete_its_points_templates(client, point_user, county_user):
    template = services.create_template(title="点模板", text="文本", by=point_user)
    client.force_login(county_user)
    assert client.post(delete_url(template)).status_code == 404
    assert CommentTemplate.objects.filter(pk=template.pk).exists()


def test_s8_only_points_and_counties_keep_templates(client, county):
    client.force_login(staff_for(county.parent))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"title": "市", "text": "市模板"}).status_code == 403
    assert not CommentTemplate.objects.exists()
