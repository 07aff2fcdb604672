"""The Hunan 2020 preset's cut-offs per level (issue 19): the seed's dates (R2.3, R2.4) are
the defaults of the point, county and city; the province has none."""

import datetime as dt

import pytest
from django.utils import timezone

from gaokao.presets.services import load_preset
from gaokao.seasons.models import PhaseKind, Season

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "day"),
    [(PhaseKind.CITY_ART, dt.date(2019, 11, 20)), (PhaseKind.CITY_ALL, dt.date(2019, 12, 10))],
)
def test_r2_3_r2_4_hunan_preset_sets_each_levels_cutoff_to_the_plans_day(kind, day):
    load_preset("hunan-2020")
    phase = Season.objects.get().phase(kind)
    for level in ("point", "county", "city"):
        at = timezone.localtime(getattr(phase, f"{level}_cutoff"))
        assert (at.date(), at.time()) == (day, dt.time.max), level
    assert phase.province_cutoff is None
