"""The dashboard shows each unit's cut-off (issue 19, R2.3/R2.4; an extension for its
county included) and whether the unit has submitted."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from gaokao.seasons.models import Extension, PhaseKind
from gaokao.submission.services import submit
from gaokao.testing.factories import PointFactory, aware

pytestmark = pytest.mark.django_db


def test_r2_4_the_county_sees_each_points_cutoff_and_whether_it_submitted(
    client, complete, season, county, point, point_user, county_user
):
    phase = season.phase(PhaseKind.CITY_ALL)
    phase.point_cutoff = aware(2019, 11, 25, 18, 0)
    phase.save()
    Extension.objects.create(
        phase=phase, region=county, ends_at=phase.ends_at + dt.timedelta(days=2), reason="停电"
    )
    idle = PointFactory(county=county)
    with time_machine.travel(aware(2019, 11, 5, 10), tick=False):
        submit(point_user, [complete().pk])
    client.force_login(county_user)
    page = client.get(reverse("progress:dashboard"), HTTP_HX_REQUEST="true")
    rows = {r["code"]: r for r in page.context["units"]}
    assert rows[point.code]["submitted"] and not rows[idle.code]["submitted"]
    moved = dict(rows[point.code]["cutoffs"])[PhaseKind.CITY_ALL.label]
    assert moved == aware(2019, 11, 27, 18, 0)  # the county's extension moves it too
    assert "11-27 18:00" in page.text and 'data-testid="submitted"' in page.text
