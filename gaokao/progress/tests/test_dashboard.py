"""S6: every level sees its jurisdiction's progress, by unit below and by track, with the
candidates behind each number, refreshed in place."""

import pytest
import time_machine
from django.urls import reverse

from gaokao.progress import services
from gaokao.submission.services import submit
from gaokao.testing.factories import CandidateFactory, PointFactory, aware

pytestmark = pytest.mark.django_db


def column(state: str) -> int:
    return [s.key for s in services.STATES].index(state)


@pytest.fixture
def progress(complete, season, point, county, point_user):
    """Three candidates at `point`: one submitted, one complete, one just taken in; and
    one at another point of the county."""
    with time_machine.travel(aware(2019, 11, 5, 10), tick=False):
        submitted, ready = complete(), complete("3")
        submit(point_user, [submitted.pk])
    CandidateFactory(season=season, point=point)
    CandidateFactory(season=season, point=PointFactory(county=county))
    return submitted, ready


def test_s6_the_county_sees_its_points_with_counts_per_state(county_user, point, progress):
    rows = {r["code"]: r["counts"] for r in services.by_unit(county_user)}
    here = rows[point.code]
    assert here[column("total")] == 3
    assert here[column("photo")] == 2 and here[column("proofread")] == 2
    assert here[column("by_point")] == 1 and here[column("by_county")] == 0
    assert sum(r[column("total")] for r in rows.values()) == 4


def test_s6_the_province_and_city_see_one_row_per_unit_below(
    province_user, city_user, county, progress
):
    [city_row] = [r for r in services.by_unit(province_user) if r["counts"][0]]
    assert city_row["code"] == county.parent.code and city_row["counts"][0] == 4
    [county_row] = [r for r in services.by_unit(city_user) if r["counts"][0]]
    assert county_row["code"] == county.code


def test_s6_by_track_and_drill_down_agree_with_the_counts(county_user, point, progress):
    tracks = {r["track"]: r["counts"] for r in services.by_track(county_user)}
    assert tracks["3"][column("total")] == 1
    behind = services.drill_down(county_user, "by_point", unit=point.code)
    assert [c.pk for c in behind] == [progress[0].pk]
    assert services.drill_down(county_user, "proofread", track="3").get() == progress[1]
    assert not services.drill_down(county_user, "no-such-state").exists()


def test_s6_another_county_sees_none_of_it(other_county_user, point, progress):
    assert all(r["counts"][0] == 0 for r in services.by_unit(other_county_user))
    assert not services.drill_down(other_county_user, "total", unit=point.code).exists()


def test_s6_the_page_refreshes_in_place_and_links_every_number(client, county_user, progress):
    client.force_login(county_user)
    page = client.get(reverse("progress:dashboard"))
    assert 'hx-trigger="every 15s"' in page.text and "<svg" in page.text
    assert reverse("progress:list") + "?unit=" in page.text
    partial = client.get(reverse("progress:dashboard"), HTTP_HX_REQUEST="true")
    assert "<html" not in partial.text and 'data-testid="by-unit"' in partial.text
    listing = client.get(reverse("progress:list"), {"state": "by_point"})
    assert listing.context["page"].paginator.count == 1


def test_s6_the_point_sees_only_itself(client, point_user, point, progress):
    client.force_login(point_user)
    rows = client.get(reverse("progress:dashboard")).context["units"]
    assert [r["code"] for r in rows] == [point.code]
