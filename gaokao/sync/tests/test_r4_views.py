"""R4, E5: the office pages of the point clients and of the sync conflicts — point and
county staff only, each seeing their own unit; another county's staff get 404 and change
nothing."""

import pytest
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.candidates.models import Stage
from gaokao.sync import push
from gaokao.sync.models import Conflict
from gaokao.testing.factories import PointFactory, staff_for
from gaokao.testing.sync import make_device, update_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate(make, point):
    candidate = make(point, mobile="13700137000")
    candidate.version = 2
    candidate.save()
    return candidate


@pytest.fixture
def conflict(device, candidate):
    change = update_change(
        candidate, base_version=1, mobile="13800138000", fee_fen=4000, fee_receipt="P-1"
    )
    [result] = push.apply_changes(device, [change])
    return Conflict.objects.get(pk=result["conflict"])


def test_r4_the_device_list_shows_the_units_clients_only(
    client, county, point, point_user, county_user, device, other_device
):
    neighbour = make_device(
        PointFactory(county=county), staff_for(point), token="n" * 40, name="邻校"
    )
    client.force_login(county_user)
    page = client.get(reverse("sync:devices")).content.decode()
    assert device.name in page and neighbour.name in page and str(other_device.pk) not in page

    client.force_login(point_user)
    page = client.get(reverse("sync:devices")).content.decode()
    assert str(device.pk) in page and str(neighbour.pk) not in page


def test_r4_revoking_asks_first_then_revokes(client, point_user, device):
    client.force_login(point_user)
    url = reverse("sync:device_revoke", args=[device.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and device.name in confirm.content.decode()
    device.refresh_from_db()
    assert device.revoked_at is None

    assert client.post(url).status_code == 302
    device.refresh_from_db()
    assert device.revoked_at is not None
    event = AuditEvent.objects.get(action=Action.DEVICE_REVOKED)
    assert event.actor == point_user
    again = client.post(url, follow=True)
    assert again.status_code == 200
    assert AuditEvent.objects.filter(action=Action.DEVICE_REVOKED).count() == 1


def test_r4_another_countys_staff_cannot_see_or_revoke(client, other_county_user, device):
    client.force_login(other_county_user)
    url = reverse("sync:device_revoke", args=[device.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    device.refresh_from_db()
    assert device.revoked_at is None


def test_r4_other_levels_are_refused_the_pages(client, city_user, province_user, device):
    for user in (city_user, province_user):
        client.force_login(user)
        for name in ("sync:devices", "sync:conflicts"):
            assert client.get(reverse(name)).status_code == 403
        assert client.post(reverse("sync:device_revoke", args=[device.pk])).status_code == 403
    device.refresh_from_db()
    assert device.revoked_at is None


def test_r4_anonymous_visitors_are_sent_to_sign_in(client, device):
    answer = client.get(reverse("sync:devices"))
    assert answer.status_code == 302 and "login" in answer["Location"]


def test_e5_the_conflicts_page_shows_both_sides(client, point_user, county_user, conflict):
    for user in (point_user, county_user):
        client.force_login(user)
        page = client.get(reverse("sync:conflicts"))
        html = page.content.decode()
        assert page.status_code == 200
        assert "13800138000" in html and "13700137000" in html
        assert "40.00" in html  # the fee in yuan
        assert reverse("sync:conflict", args=[conflict.pk]) in html


def test_e5_the_point_resolves_field_by_field_on_the_page(client, point_user, conflict, candidate):
    client.force_login(point_user)
    url = reverse("sync:conflict", args=[conflict.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'value="fields"' in page.content.decode()

    answer = client.post(
        url,
        {
            "version": 2,
            "choice": "fields",
            "keep_mobile": "point",
            "keep_fee_fen": "server",
            "keep_fee_receipt": "server",
        },
    )
    assert answer.status_code == 302
    candidate.refresh_from_db()
    assert (candidate.mobile, candidate.fee_fen, candidate.version) == ("13800138000", None, 3)
    conflict.refresh_from_db()
    assert (conflict.resolution, conflict.resolved_by) == ("fields", point_user)
    assert "13800138000" in client.get(url).content.decode()  # shown as resolved


def test_e5_radios_all_on_one_side_count_as_that_side(client, point_user, conflict, candidate):
    client.force_login(point_user)
    keep = {f"keep_{n}": "server" for n in conflict.point_values}
    client.post(
        reverse("sync:conflict", args=[conflict.pk]), {"version": 2, "choice": "fields"} | keep
    )
    conflict.refresh_from_db()
    assert conflict.resolution == "server"
    candidate.refresh_from_db()
    assert candidate.version == 2


def test_e5_a_stale_page_is_refused_and_shows_the_current_values(
    client, point_user, conflict, candidate
):
    client.force_login(point_user)
    url = reverse("sync:conflict", args=[conflict.pk])
    answer = client.post(url, {"version": 1, "choice": "point"}, follow=True)
    assert answer.status_code == 200
    candidate.refresh_from_db()
    assert candidate.version == 2
    conflict.refresh_from_db()
    assert conflict.resolution == ""


def test_e5_the_county_cannot_apply_values_to_a_record_the_point_holds(
    client, county_user, conflict, candidate
):
    client.force_login(county_user)
    url = reverse("sync:conflict", args=[conflict.pk])
    page = client.get(url).content.decode()
    assert 'value="point"' not in page and 'data-testid="held-elsewhere"' in page
    answer = client.post(url, {"version": 2, "choice": "point"})
    assert answer.status_code == 200 and "alert-danger" in answer.content.decode()
    candidate.refresh_from_db()
    assert candidate.version == 2
    candidate.stage = Stage.COUNTY
    candidate.save()
    # Issue 19: the point's fields are the point's, whoever holds the record.
    client.post(url, {"version": 2, "choice": "point"})
    candidate.refresh_from_db()
    assert candidate.mobile == "13700137000"


def test_e5_another_countys_staff_get_404_and_change_nothing(
    client, other_county_user, other_point, conflict, candidate
):
    for user in (other_county_user, staff_for(other_point)):
        client.force_login(user)
        assert str(candidate.pk) not in client.get(reverse("sync:conflicts")).content.decode()
        url = reverse("sync:conflict", args=[conflict.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"version": 2, "choice": "point"}).status_code == 404
    candidate.refresh_from_db()
    assert candidate.version == 2
    conflict.refresh_from_db()
    assert conflict.resolution == ""


def test_e5_a_bad_button_is_refused(client, point_user, conflict, candidate):
    client.force_login(point_user)
    answer = client.post(
        reverse("sync:conflict", args=[conflict.pk]), {"version": 2, "choice": "all"}
    )
    assert answer.status_code == 200 and "alert-danger" in answer.content.decode()
    candidate.refresh_from_db()
    assert candidate.version == 2
