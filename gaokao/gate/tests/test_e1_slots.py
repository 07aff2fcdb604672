"""E1: the province assigns cities or counties to portal time slots (长沙 mornings, 株洲
afternoons); a candidate outside their slot is told when the next one opens; sessions
already open are not cut off."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from gaokao.audit.models import Action, AuditEvent
from gaokao.gate import services
from gaokao.gate.models import TimeSlot
from gaokao.gate.tests.conftest import sign_in
from gaokao.regions.models import Region
from gaokao.testing.factories import CountyFactory, PointFactory, ProvinceFactory, aware

pytestmark = pytest.mark.django_db

NOV = dt.date(2024, 11, 1)


def slot(regions, first=NOV, last=NOV + dt.timedelta(days=2), starts="08:00", ends="12:00"):
    s = TimeSlot.objects.create(
        name="测试时段",
        first_day=first,
        last_day=last,
        starts=dt.time.fromisoformat(starts),
        ends=dt.time.fromisoformat(ends),
    )
    s.regions.set(regions)
    return s


def refusal(candidate, *at):
    with translation.override("en"):
        return services.slot_refusal(candidate, aware(*at))


@pytest.fixture
def mornings(county):
    """The candidate's city signs in on mornings, Nov 1–3."""
    return slot([county.parent])


def test_e1_slot_inside_the_slot_signs_in(mornings, candidate):
    assert refusal(candidate, 2024, 11, 1, 8, 0) is None
    assert refusal(candidate, 2024, 11, 2, 11, 59) is None


def test_e1_slot_outside_names_the_next_opening(mornings, candidate):
    assert refusal(candidate, 2024, 11, 1, 12, 0).endswith(
        "The next portal time slot for your area: 11/2 08:00–12:00."
    )
    # Before today's slot opens: today's.
    assert "11/1 08:00–12:00" in refusal(candidate, 2024, 11, 1, 7, 30)


def test_e1_slot_after_the_last_one_says_when_the_area_is_free_again(mornings, candidate):
    message = refusal(candidate, 2024, 11, 3, 15, 0)
    assert "today's are over" in message and "From 11/4 on" in message


def test_e1_slot_days_without_a_slot_are_unrestricted(mornings, candidate):
    assert refusal(candidate, 2024, 10, 31, 22, 0) is None
    assert refusal(candidate, 2024, 11, 4, 22, 0) is None


def test_e1_slot_other_regions_are_unrestricted(mornings, make, other_point):
    elsewhere = make(at=other_point)
    assert refusal(elsewhere, 2024, 11, 1, 15, 0) is None


def test_e1_slot_a_county_follows_its_own_slots_and_its_citys(mornings, county, candidate, make):
    slot([county], starts="14:00", ends="17:00")
    assert refusal(candidate, 2024, 11, 1, 15, 0) is None  # the county's afternoon
    assert refusal(candidate, 2024, 11, 1, 9, 0) is None  # the city's morning
    assert "11/1 14:00–17:00" in refusal(candidate, 2024, 11, 1, 12, 30)
    # A neighbour county of the same city has only the city's mornings.
    neighbour = PointFactory(county=CountyFactory(parent=county.parent))
    assert refusal(make(at=neighbour), 2024, 11, 1, 15, 0)


def test_e1_slot_a_gap_day_between_periods_opens_the_area(county, candidate):
    slot([county], first=NOV, last=NOV)
    slot([county], first=NOV + dt.timedelta(days=2), last=NOV + dt.timedelta(days=2))
    assert "From 11/2 on" in refusal(candidate, 2024, 11, 1, 13, 0)


def test_e1_slot_sign_in_outside_the_slot_is_refused_with_the_next_opening(
    client, mornings, candidate
):
    with time_machine.travel(aware(2024, 11, 1, 13), tick=False):
        response = sign_in(client, candidate)
        assert response.status_code == 200
        assert "08:00–12:00" in response.content.decode()
        assert client.get(reverse("portal:status")).url == reverse("portal:login")
        assert not AuditEvent.objects.filter(action=Action.LOGIN).exists()  # not signed in
    with time_machine.travel(aware(2024, 11, 2, 8, 30), tick=False):
        assert sign_in(client, candidate).url == reverse("portal:status")
    assert AuditEvent.objects.filter(action=Action.LOGIN, target=str(candidate)).count() == 1


def test_e1_slot_an_open_session_is_not_cut_off_when_the_slot_ends(client, mornings, candidate):
    with time_machine.travel(aware(2024, 11, 1, 11, 50)) as clock:
        assert sign_in(client, candidate).url == reverse("portal:status")
        clock.move_to(aware(2024, 11, 1, 12, 10))
        assert client.get(reverse("portal:status")).status_code == 200
        assert client.get(reverse("portal:data")).status_code == 200


# ── the province's slot pages ──────────────────────────────────────────────────────────


def form(chosen, **overrides):
    data = {
        "name": "长沙上午",
        "first_day": "2024-11-01",
        "last_day": "2024-11-03",
        "starts": "08:00",
        "ends": "12:00",
        "regions": [r.pk for r in chosen],
    }
    return data | overrides


def test_e1_slot_the_province_adds_one(client, province_user, county):
    client.force_login(province_user)
    page = client.get(reverse("gate:slot-new"))
    assert page.status_code == 200 and county.name in page.content.decode()
    response = client.post(reverse("gate:slot-new"), form([county.parent, county]))
    assert response.url == reverse("gate:index")
    saved = TimeSlot.objects.get()
    assert (saved.starts, saved.ends) == (dt.time(8), dt.time(12))
    assert set(saved.regions.all()) == {county, county.parent}
    event = AuditEvent.objects.get(action=Action.SLOTS_SAVED)
    assert event.actor == province_user and event.detail["created"] is True
    assert "长沙上午" in client.get(reverse("gate:index")).content.decode()


def test_e1_slot_the_province_edits_one(client, province_user, county, mornings):
    client.force_login(province_user)
    page = client.get(reverse("gate:slot-edit", args=[mornings.pk]))
    assert page.context["form"].initial["regions"] == [county.parent.pk]
    response = client.post(
        reverse("gate:slot-edit", args=[mornings.pk]), form([county], starts="13:00", ends="17:00")
    )
    assert response.url == reverse("gate:index")
    mornings.refresh_from_db()
    assert mornings.starts == dt.time(13) and list(mornings.regions.all()) == [county]
    assert TimeSlot.objects.count() == 1
    assert AuditEvent.objects.get(action=Action.SLOTS_SAVED).detail["created"] is False


def test_e1_slot_the_province_deletes_one_with_a_post(client, province_user, mornings):
    client.force_login(province_user)
    index = client.get(reverse("gate:index")).content.decode()
    assert "data-confirm" in index
    assert client.get(reverse("gate:slot-delete", args=[mornings.pk])).status_code == 405
    response = client.post(reverse("gate:slot-delete", args=[mornings.pk]))
    assert response.url == reverse("gate:index")
    assert not TimeSlot.objects.exists()
    assert AuditEvent.objects.get(action=Action.SLOTS_DELETED).target == "测试时段"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"starts": "12:00", "ends": "08:00"}, "ends"),
        ({"starts": "08:00", "ends": "08:00"}, "ends"),
        ({"first_day": "2024-11-03", "last_day": "2024-11-01"}, "last_day"),
        ({"regions": []}, "regions"),
        ({"name": "  "}, "name"),
    ],
)
def test_e1_slot_incoherent_input_is_refused_and_kept(
    client, province_user, county, overrides, field
):
    client.force_login(province_user)
    response = client.post(reverse("gate:slot-new"), form([county], **overrides))
    assert response.status_code == 200 and field in response.context["form"].errors
    assert response.context["form"].data["first_day"] == (
        overrides.get("first_day", "2024-11-01")
    )  # the input stays
    assert not TimeSlot.objects.exists()


def test_e1_slot_regions_must_be_cities_or_counties_of_the_province(client, province_user, county):
    province = county.parent.parent
    elsewhere = CountyFactory(parent__parent=ProvinceFactory(code="440000", name="广东省"))
    client.force_login(province_user)
    for region in (province, elsewhere):
        response = client.post(reverse("gate:slot-new"), form([region]))
        assert "regions" in response.context["form"].errors
    with pytest.raises(services.ValidationError) as refused:
        services.save_slot(
            None,
            name="x",
            first_day=NOV,
            last_day=NOV,
            starts=dt.time(8),
            ends=dt.time(9),
            region_ids=[elsewhere.pk, county.pk],
            province=province,
            request=None,
        )
    assert "regions" in refused.value.message_dict
    assert not TimeSlot.objects.exists()
    assert Region.objects.filter(pk=elsewhere.pk).exists()


@pytest.mark.parametrize("user", ["city_user", "county_user", "point_user"])
def test_e1_slot_pages_are_the_provinces_only(client, request, user, mornings, county):
    client.force_login(request.getfixturevalue(user))
    assert client.get(reverse("gate:slot-new")).status_code == 403
    assert client.post(reverse("gate:slot-new"), form([county])).status_code == 403
    assert client.get(reverse("gate:slot-edit", args=[mornings.pk])).status_code == 403
    assert client.post(reverse("gate:slot-delete", args=[mornings.pk])).status_code == 403
    assert TimeSlot.objects.count() == 1


def test_e1_slot_a_missing_slot_is_404(client, province_user):
    client.force_login(province_user)
    assert client.get(reverse("gate:slot-edit", args=[999])).status_code == 404
    assert client.post(reverse("gate:slot-delete", args=[999])).status_code == 404
