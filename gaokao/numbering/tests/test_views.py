"""S2 pages: the county plans, adds and deletes its number ranges; nobody else may.

Every test uses the county user, a point user of that county, and a user of another county
who must neither see nor change anything of the first county's ranges."""

import pytest
from django.test import Client
from django.urls import reverse

from gaokao.audit.models import Action, AuditEvent
from gaokao.numbering.models import NumberRange
from gaokao.numbering.tests.helpers import issue, make_range
from gaokao.testing.factories import staff_for

pytestmark = pytest.mark.django_db

PLAN = reverse("numbering:plan")
RANGES = reverse("numbering:ranges")
ADD = reverse("numbering:add")


def edit_url(r):
    return reverse("numbering:edit", args=[r.pk])


def delete_url(r):
    return reverse("numbering:delete", args=[r.pk])


def formset_data(rows, prefix="ranges"):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(len(rows)),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        "action": "save",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


def row(point, track, first, last, expected=0):
    return {
        "point": point.pk,
        "track": track.pk,
        "first": first,
        "last": last,
        "expected_count": expected,
    }


# The county --------------------------------------------------------------------------------


def test_s2_county_sees_its_ranges_as_eight_digit_numbers(
    client, county_user, county, point, season, arts, science
):
    r = issue(make_range(season, point, arts, 1, 110, expected=100), 3)
    client.force_login(county_user)
    response = client.get(RANGES)
    assert response.status_code == 200
    page = response.text
    code = county.registration_code
    assert f"{code}0001–{code}0110" in page
    assert point.code in page and "文史" in page and "理工" in page
    assert "107" in page  # free
    assert edit_url(r) in page
    assert delete_url(r) not in page  # a used range offers no delete


def test_s2_the_ranges_page_says_when_no_season_is_current(client, county_user):
    client.force_login(county_user)
    for url in (RANGES, PLAN, ADD):
        response = client.get(url)
        assert response.status_code == 200
        assert "alert-warning" in response.text


def test_s2_navigation_offers_ranges_to_the_county_only(client, county_user, point_user):
    client.force_login(county_user)
    assert f'href="{RANGES}"' in client.get(reverse("office:home")).text
    client.force_login(point_user)
    assert f'href="{RANGES}"' not in client.get(reverse("office:home")).text


def test_s2_county_plans_proposes_and_saves_through_the_form(
    client, county_user, county, point, point2, season, arts, science
):
    client.force_login(county_user)
    page = client.get(PLAN)
    assert page.status_code == 200
    assert f'name="expected_{point.pk}_{arts.pk}"' in page.text
    assert 'name="csrfmiddlewaretoken"' in page.text

    grid = {
        f"expected_{point.pk}_{arts.pk}": "100",
        f"expected_{point2.pk}_{arts.pk}": "20",
        f"expected_{point.pk}_{science.pk}": "",
        "action": "propose",
    }
    proposed = client.post(PLAN, grid)
    assert proposed.status_code == 200
    assert proposed.context["formset"].initial == [
        {"point": point.pk, "track": arts.pk, "first": 1, "last": 110, "expected_count": 100},
        {"point": point2.pk, "track": arts.pk, "first": 111, "last": 132, "expected_count": 20},
    ]
    assert 'name="ranges-0-last" value="0110"' in proposed.text  # serials shown as 4 digits
    assert not NumberRange.objects.exists()

    # The county adjusts the second range and saves.
    data = {
        **grid,
        **formset_data([row(point, arts, 1, 110, 100), row(point2, arts, 111, 140, 20)]),
    }
    response = client.post(PLAN, data)
    assert response.status_code == 302 and response.url == RANGES
    assert list(NumberRange.objects.values_list("point", "first", "last", "expected_count")) == [
        (point.pk, 1, 110, 100),
        (point2.pk, 111, 140, 20),
    ]
    assert AuditEvent.objects.filter(action=Action.RANGE_SAVED).count() == 2
    assert AuditEvent.objects.filter(action=Action.RANGE_SAVED, actor=county_user).count() == 2


def test_s2_a_proposed_row_can_be_left_out(client, county_user, point, point2, season, arts):
    client.force_login(county_user)
    data = formset_data([row(point, arts, 1, 10), row(point2, arts, 11, 20)])
    data["ranges-1-DELETE"] = "on"
    assert client.post(PLAN, data).status_code == 302
    assert list(NumberRange.objects.values_list("point", flat=True)) == [point.pk]


def test_s2_an_overlapping_plan_is_refused_and_the_input_kept(
    client, county_user, county, point, point2, season, arts, science
):
    make_range(season, point, arts, 1, 100)
    client.force_login(county_user)
    data = {
        f"expected_{point2.pk}_{science.pk}": "37",
        **formset_data([row(point2, science, 90, 4321, 37)]),
    }
    response = client.post(PLAN, data)
    assert response.status_code == 200
    assert 'data-testid="refusal"' in response.text
    assert f"{county.registration_code}0090" in response.text  # names the ranges in conflict
    assert point.code in response.text
    assert 'value="4321"' in response.text and 'value="37"' in response.text  # input kept
    assert NumberRange.objects.count() == 1


def test_s2_an_overflowing_proposal_is_refused_clearly(client, county_user, point, season, arts):
    client.force_login(county_user)
    response = client.post(PLAN, {f"expected_{point.pk}_{arts.pk}": "9500", "action": "propose"})
    assert response.status_code == 200
    assert 'data-testid="refusal"' in response.text
    assert 'value="9500"' in response.text
    assert response.context["formset"] is None


def test_s2_proposing_nothing_asks_for_expected_counts(client, county_user, point, season, arts):
    client.force_login(county_user)
    response = client.post(PLAN, {"action": "propose"})
    assert response.status_code == 200
    assert response.context["expected_form"].errors
    assert response.context["formset"] is None


def test_s2_county_adds_a_second_range_after_its_last_serial(
    client, county_user, point, point2, season, arts, science
):
    issue(make_range(season, point, arts, 1, 50), 50)
    make_range(season, point2, science, 51, 80)
    client.force_login(county_user)
    assert client.get(ADD, {"point": point.pk, "track": arts.pk}).status_code == 200
    response = client.post(ADD, {"point": point.pk, "track": arts.pk, "size": "30"})
    assert response.status_code == 302
    added = NumberRange.objects.get(point=point, first__gt=50)
    assert (added.first, added.last, added.subject_track) == (81, 110, arts)


def test_s2_a_further_range_that_does_not_fit_is_refused_on_the_page(
    client, county_user, point, season, arts
):
    make_range(season, point, arts, 1, 9990)
    client.force_login(county_user)
    response = client.post(ADD, {"point": point.pk, "track": arts.pk, "size": "20"})
    assert response.status_code == 200
    assert 'data-testid="refusal"' in response.text
    assert NumberRange.objects.count() == 1


def test_s2_county_edits_a_range_but_not_below_what_was_issued(
    client, county_user, county, point, season, arts
):
    r = issue(make_range(season, point, arts, 1, 100), 40)
    client.force_login(county_user)
    assert client.get(edit_url(r)).status_code == 200
    response = client.post(edit_url(r), row(point, arts, 1, 30))
    assert response.status_code == 200
    assert f"{county.registration_code}0040" in response.text  # the last number issued
    r.refresh_from_db()
    assert r.last == 100
    assert client.post(edit_url(r), row(point, arts, 1, 150)).status_code == 302
    r.refresh_from_db()
    assert r.last == 150


def test_s2_county_deletes_an_unused_range_after_confirming(
    client, county_user, point, season, arts
):
    r = make_range(season, point, arts, 1, 100)
    client.force_login(county_user)
    confirm = client.get(delete_url(r))
    assert confirm.status_code == 200 and 'method="post"' in confirm.text
    assert NumberRange.objects.filter(pk=r.pk).exists()  # a GET deletes nothing
    assert client.post(delete_url(r)).status_code == 302
    assert not NumberRange.objects.filter(pk=r.pk).exists()
    assert AuditEvent.objects.filter(action=Action.RANGE_DELETED, actor=county_user).exists()


def test_s2_a_used_range_is_not_deleted_from_the_page(client, county_user, point, season, arts):
    r = issue(make_range(season, point, arts, 1, 100), 1)
    client.force_login(county_user)
    response = client.post(delete_url(r))
    assert response.status_code == 200
    assert 'data-testid="refusal"' in response.text
    assert NumberRange.objects.filter(pk=r.pk).exists()


# Everyone else -----------------------------------------------------------------------------


def test_s2_another_countys_user_cannot_read_this_countys_ranges(
    client, other_county_user, county, point, season, arts
):
    r = make_range(season, point, arts, 1, 100)
    client.force_login(other_county_user)
    page = client.get(RANGES)
    assert page.status_code == 200  # their own county's page
    assert county.registration_code + "0001" not in page.text
    assert point.code not in page.text
    assert point.code not in client.get(PLAN).text
    assert client.get(edit_url(r)).status_code == 404
    assert client.get(delete_url(r)).status_code == 404


def test_s2_another_countys_user_cannot_change_this_countys_ranges(
    client, other_county_user, point, season, arts
):
    r = make_range(season, point, arts, 1, 100)
    client.force_login(other_county_user)
    assert client.post(delete_url(r)).status_code == 404
    assert client.post(edit_url(r), row(point, arts, 1, 5)).status_code == 404
    # Plans and further ranges naming this county's point are refused as invalid choices.
    response = client.post(PLAN, formset_data([row(point, arts, 200, 300)]))
    assert response.status_code == 200
    assert response.context["formset"].errors[0]["point"]
    response = client.post(ADD, {"point": point.pk, "track": arts.pk, "size": "10"})
    assert response.status_code == 200
    assert response.context["form"].errors["point"]
    r.refresh_from_db()
    assert (r.first, r.last) == (1, 100)
    assert list(NumberRange.objects.values_list("pk", flat=True)) == [r.pk]
    assert not AuditEvent.objects.filter(action__startswith="numbering.").exists()


def test_s2_point_and_city_users_are_refused(client, county, point_user, point, season, arts):
    r = make_range(season, point, arts, 1, 100)
    for user in (point_user, staff_for(county.parent), staff_for(county.parent.parent)):
        client.force_login(user)
        for url in (RANGES, PLAN, ADD, edit_url(r), delete_url(r)):
            assert client.get(url).status_code == 403, (user.role, url)
            assert client.post(url, {"action": "save"}).status_code == 403, (user.role, url)
    r.refresh_from_db()
    assert NumberRange.objects.count() == 1


def test_s2_anonymous_visitors_are_sent_to_sign_in(client, point, season, arts):
    r = make_range(season, point, arts, 1, 100)
    for url in (RANGES, PLAN, ADD, edit_url(r), delete_url(r)):
        response = client.post(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("office:login"))
    assert NumberRange.objects.filter(pk=r.pk).exists()


def test_s2_saving_needs_the_csrf_token(county_user, point, season, arts):
    client = Client(enforce_csrf_checks=True)
    client.force_login(county_user)
    assert client.post(PLAN, formset_data([row(point, arts, 1, 10)])).status_code == 403
    assert not NumberRange.objects.exists()
