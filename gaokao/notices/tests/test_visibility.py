"""R4: the notice board. Each user reads the notices of their own unit's chain (their
region, or their point's county, and every region above), never a sibling county's or
another city's, and only through pages that answer 404 outside that chain."""

import pytest
from django.urls import reverse

from gaokao.notices.models import Attachment, Notice
from gaokao.notices.services import unread_count
from gaokao.testing.factories import staff_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(post, province, city, county, sibling_county, other_city, other_county):
    """One notice from every region of the province, titled after its poster."""
    names = {
        "province": province,
        "city": city,
        "county": county,
        "sibling": sibling_county,
        "other_city": other_city,
        "other_county": other_county,
    }
    return {
        name: post(unit, title=name, attachments=[(f"{name}.pdf", b"%PDF")])
        for name, unit in names.items()
    }


def titles(user):
    return set(Notice.objects.for_reader(user).values_list("title", flat=True))


@pytest.mark.parametrize(
    ("reader", "expected"),
    [
        ("province_user", {"province"}),
        ("city_user", {"province", "city"}),
        ("county_user", {"province", "city", "county"}),
        ("point_user", {"province", "city", "county"}),
        ("sibling_county_user", {"province", "city", "sibling"}),
        ("other_county_user", {"province", "other_city", "other_county"}),
        ("other_city_user", {"province", "other_city"}),
    ],
)
def test_r4_each_role_reads_the_notices_of_its_chain(request, board, reader, expected):
    user = request.getfixturevalue(reader)
    assert titles(user) == expected
    assert (
        set(Attachment.objects.visible_to(user).values_list("notice__title", flat=True)) == expected
    )
    assert unread_count(user) == len(expected)


def test_r4_list_page_shows_the_chain_only(client, board, point_user):
    client.force_login(point_user)
    response = client.get(reverse("notices:list"))
    assert response.status_code == 200
    shown = {n.title for n in response.context["page"]}
    assert shown == {"province", "city", "county"}


@pytest.mark.parametrize(
    "outsider", ["other_county_user", "other_city_user", "sibling_county_user"]
)
def test_r4_other_countys_and_other_citys_users_get_404(request, client, board, outsider):
    client.force_login(request.getfixturevalue(outsider))
    notice = board["county"]
    attachment = notice.attachments.get()
    assert client.get(reverse("notices:detail", args=[notice.pk])).status_code == 404
    assert client.get(reverse("notices:attachment", args=[attachment.pk])).status_code == 404
    assert client.get(reverse("notices:withdraw", args=[notice.pk])).status_code == 404
    assert client.post(reverse("notices:withdraw", args=[notice.pk])).status_code == 404
    assert notice not in client.get(reverse("notices:list")).context["page"]
    # Exactly the answer for a notice or attachment that does not exist.
    assert client.get(reverse("notices:detail", args=[999999])).status_code == 404
    assert client.get(reverse("notices:attachment", args=[999999])).status_code == 404
    notice.refresh_from_db()
    assert notice.withdrawn_at is None


def test_r4_newest_first_and_pinned_on_top(post, county, city, point_user):
    older = post(city, title="older")
    pinned = post(city, title="pinned", pinned=True)
    newer = post(county, title="newer")
    assert list(Notice.objects.for_reader(point_user)) == [pinned, newer, older]


def test_r4_anonymous_and_inactive_users_read_nothing(client, post, county, point_user):
    notice = post(county)
    response = client.get(reverse("notices:detail", args=[notice.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("office:login"))
    point_user.is_active = False
    point_user.save()
    assert not Notice.objects.for_reader(point_user).exists()
    assert unread_count(point_user) == 0


def test_r4_every_role_has_the_notice_board_in_its_navigation(client, county, point_user):
    for user in (point_user, staff_for(county), staff_for(county.parent.parent)):
        client.force_login(user)
        page = client.get(reverse("office:home")).text
        assert f'href="{reverse("notices:list")}"' in page
