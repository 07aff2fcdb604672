"""The phase's cut-offs per level (issue 19, R2.4): in the order the record travels, after
the phase opens; empty ones default to the phase's close (the province: none)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gaokao.seasons.models import PhaseKind
from gaokao.testing.factories import SeasonFactory, add_phase, aware

pytestmark = pytest.mark.django_db


@pytest.fixture
def phase(db):
    season = SeasonFactory()
    return add_phase(
        season, PhaseKind.CITY_ALL, opens=dt.date(2019, 10, 28), closes=dt.date(2019, 12, 10)
    )


def test_r2_4_a_county_cutoff_before_the_points_is_refused(phase):
    phase.point_cutoff = aware(2019, 11, 25, 18, 0)
    phase.county_cutoff = aware(2019, 11, 20, 18, 0)
    with pytest.raises(ValidationError):
        phase.full_clean()
    phase.county_cutoff = aware(2019, 11, 30, 18, 0)
    phase.full_clean()


def test_r2_4_a_cutoff_before_the_phase_opens_is_refused(phase):
    phase.point_cutoff = aware(2019, 10, 27, 18, 0)
    with pytest.raises(ValidationError):
        phase.full_clean()


def test_r2_4_a_points_cutoff_after_the_phases_close_is_refused_by_the_citys_default(phase):
    phase.point_cutoff = aware(2019, 12, 11, 18, 0)
    with pytest.raises(ValidationError):
        phase.full_clean()
