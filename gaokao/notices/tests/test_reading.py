"""R4: unread marks, reading, pages, and withdrawal (the notice disappears for readers and
stays on record)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.notices import services
from gaokao.notices.models import Notice, NoticeRead
from gaokao.notices.services import unread_count
from gaokao.testing.factories import staff_for

pytestmark = pytest.mark.django_db

UNREAD = 'data-testid="unread"'


def test_r4_unread_marks_and_reading_a_notice_marks_it_read(client, post, county, point_user):
    first = post(county, title="first")
    post(county.parent, title="second")
    client.force_login(point_user)
    assert client.get(reverse("notices:list")).text.count(UNREAD) == 2
    assert unread_count(point_user) == 2

    response = client.get(reverse("notices:detail", args=[first.pk]))
    assert response.status_code == 200
    assert "first" in response.text
    assert unread_count(point_user) == 1
    page = client.get(reverse("notices:list"))
    assert page.text.count(UNREAD) == 1
    assert {n.title: n.is_read for n in page.context["page"]} == {"first": True, "second": False}

    client.get(reverse("notices:detail", args=[first.pk]))  # again: still one mark
    assert NoticeRead.objects.filter(notice=first, user=point_user).count() == 1
    assert unread_count(point_user) == 1


def test_r4_read_marks_are_per_user(client, post, county, point_user, county_user):
    notice = post(county)
    client.force_login(point_user)
    client.get(reverse("notices:detail", args=[notice.pk]))
    assert unread_count(point_user) == 0
    assert unread_count(county_user) == 1


def test_r4_the_author_has_read_their_own_notice(county_user, point_user):
    services.post_notice(author_unit=county_user.region, title="通知", body="", by=county_user)
    assert unread_count(county_user) == 0
    assert unread_count(point_user) == 1


def test_r4_the_list_is_paginated_by_25(client, post, county, point_user):
    for i in range(30):
        post(county, title=f"notice {i}")
    client.force_login(point_user)
    first = client.get(reverse("notices:list")).context["page"]
    assert len(first) == 25
    assert first[0].title == "notice 29"
    second = client.get(reverse("notices:list"), {"page": 2}).context["page"]
    assert [n.title for n in second] == [f"notice {i}" for i in range(4, -1, -1)]


def test_r4_withdrawn_notices_are_hidden_from_readers_but_kept(
    client, post, county_user, point_user, media
):
    notice = post(county_user.region, attachments=[("a.pdf", b"%PDF")])
    attachment = notice.attachments.get()
    client.force_login(county_user)
    confirm = client.get(reverse("notices:withdraw", args=[notice.pk]))
    assert confirm.status_code == 200
    assert 'method="post"' in confirm.text
    notice.refresh_from_db()
    assert notice.withdrawn_at is None  # GET only asks

    response = client.post(reverse("notices:withdraw", args=[notice.pk]), REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 302
    assert response.url == reverse("notices:list")

    for user in (point_user, county_user):
        client.force_login(user)
        assert notice not in client.get(reverse("notices:list")).context["page"]
        assert client.get(reverse("notices:detail", args=[notice.pk])).status_code == 404
        assert client.get(reverse("notices:attachment", args=[attachment.pk])).status_code == 404
        assert unread_count(user) == 0

    notice.refresh_from_db()
    assert notice.withdrawn_at is not None
    assert notice.withdrawn_by == county_user
    assert notice.attachments.get() == attachment
    assert (media / attachment.file.name).read_bytes() == b"%PDF"

    event = AuditEvent.objects.get(action=Action.NOTICE_WITHDRAWN)
    assert event.actor == county_user
    assert event.region == county_user.region
    assert event.ip == "10.0.0.9"
    assert event.detail == {"notice": notice.pk}


def test_r4_withdrawing_twice_changes_nothing(post, county_user):
    notice = post(county_user.region)
    assert services.withdraw_notice(notice, by=county_user) is True
    assert services.withdraw_notice(Notice.objects.get(), by=county_user) is False
    assert AuditEvent.objects.filter(action=Action.NOTICE_WITHDRAWN).count() == 1


def test_r4_only_the_posting_unit_may_withdraw(client, post, county, county_user, point_user):
    from_city = post(county.parent)
    from_county = post(county)
    client.force_login(county_user)  # reads the city's notice, may not withdraw it
    assert client.get(reverse("notices:withdraw", args=[from_city.pk])).status_code == 403
    assert client.post(reverse("notices:withdraw", args=[from_city.pk])).status_code == 403
    assert (
        reverse("notices:withdraw", args=[from_city.pk])
        not in client.get(reverse("notices:detail", args=[from_city.pk])).text
    )
    assert (
        reverse("notices:withdraw", args=[from_county.pk])
        in client.get(reverse("notices:detail", args=[from_county.pk])).text
    )
    client.force_login(point_user)
    assert client.post(reverse("notices:withdraw", args=[from_county.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        services.withdraw_notice(from_county, by=point_user)
    assert not Notice.objects.filter(withdrawn_at__isnull=False).exists()
    assert not AuditEvent.objects.filter(action=Action.NOTICE_WITHDRAWN).exists()


def test_r4_the_province_sees_every_notice_in_the_admin_but_cannot_change_or_delete(
    client, post, county, province_user
):
    notice = post(county, title="withdrawn notice 7", attachments=[("a.pdf", b"%PDF")])
    services.withdraw_notice(notice, by=staff_for(county))
    province_user.is_staff = province_user.is_superuser = True
    province_user.save()
    client.force_login(province_user)
    page = client.get(reverse("admin:notices_notice_changelist"))
    assert page.status_code == 200
    assert notice.title in page.text  # withdrawn notices too
    assert client.get(reverse("admin:notices_notice_change", args=[notice.pk])).status_code == 200
    assert client.get(reverse("admin:notices_notice_add")).status_code == 403
    assert client.get(reverse("admin:notices_notice_delete", args=[notice.pk])).status_code == 403
