"""Cut-offs per level (issue 19, docs/requirements.md R2.3/R2.4): after the cut-off of the
level that holds a record its staff cannot change it nor submit it, unless the level above
returned it after that cut-off; an extension for a county moves its cut-offs (E3)."""

import pytest

from gaokao.candidates.errors import Locked
from gaokao.candidates.models import Candidate, Stage
from gaokao.candidates.stage import check_editable, is_editable_by, refusal
from gaokao.seasons.models import Extension, PhaseKind
from gaokao.submission import services
from gaokao.submission.tests.conftest import comment
from gaokao.testing.factories import CandidateFactory, aware

pytestmark = pytest.mark.django_db

SUBMITTED = aware(2019, 11, 5, 10, 0)
POINT_CUTOFF = aware(2019, 11, 20, 18, 0)
COUNTY_CUTOFF = aware(2019, 11, 30, 18, 0)
BEFORE = aware(2019, 11, 20, 17, 59)
AFTER = aware(2019, 11, 21, 9, 0)


@pytest.fixture
def now():
    return SUBMITTED


@pytest.fixture
def ticking():
    return False


@pytest.fixture
def cutoffs(season):
    """R2.4's phase with the point's cut-off on 20 Nov 18:00, the county's on 30 Nov."""
    phase = season.phase(PhaseKind.CITY_ALL)
    phase.point_cutoff, phase.county_cutoff = POINT_CUTOFF, COUNTY_CUTOFF
    phase.full_clean()
    phase.save()
    return phase


def fresh(candidate) -> Candidate:
    return Candidate.objects.select_related("season", "point__county").get(pk=candidate.pk)


def test_r2_4_point_staff_change_a_record_until_the_points_cutoff(complete, cutoffs, clock):
    candidate = fresh(complete())
    check_editable(candidate, "point", at=BEFORE)
    with pytest.raises(Locked) as refused:
        check_editable(candidate, "point", at=AFTER)
    assert refused.value.code == "past_cutoff"
    assert "18:00" in refused.value.messages[0]
    assert refusal(candidate, "point", at=AFTER).code == "past_cutoff"
    assert is_editable_by(candidate, "point")  # the stage alone: the point holds it
    # The candidate is held by the registration window, not by the point's cut-off.
    assert refusal(candidate, None, at=AFTER) is None


def test_r2_4_the_point_cannot_submit_after_its_cutoff(complete, cutoffs, point_user, clock):
    candidate = complete()
    outcome = services.submit(point_user, [candidate.pk], at=AFTER)
    assert outcome.moved == [] and fresh(candidate).stage == Stage.POINT
    assert any("18:00" in why for why in outcome.refused[candidate.registration_number])
    assert services.submit(point_user, [candidate.pk], at=BEFORE).moved == [candidate]


def test_r2_4_a_return_after_the_points_cutoff_reopens_the_record_until_resubmitted(
    complete, cutoffs, point_user, county_user, clock
):
    candidate = complete()
    assert services.submit(point_user, [candidate.pk], at=SUBMITTED).moved
    services.return_down(county_user, [candidate.pk], reason="照片不合格", at=AFTER)
    reopened = fresh(candidate)
    assert reopened.stage == Stage.POINT
    assert reopened.reopened_after_cutoff_at == Stage.POINT
    check_editable(reopened, "point", at=AFTER)  # the point may make the change
    assert services.submit(point_user, [candidate.pk], at=AFTER).moved == [candidate]
    submitted = fresh(candidate)
    assert submitted.stage == Stage.COUNTY and submitted.reopened_after_cutoff_at == ""


def test_r2_4_a_return_before_the_points_cutoff_does_not_reopen_after_it(
    complete, cutoffs, point_user, county_user, clock
):
    candidate = complete()
    services.submit(point_user, [candidate.pk], at=SUBMITTED)
    services.return_down(county_user, [candidate.pk], reason="照片不合格", at=BEFORE)
    returned = fresh(candidate)
    assert returned.reopened_after_cutoff_at == ""
    with pytest.raises(Locked):
        check_editable(returned, "point", at=AFTER)


def test_e3_an_extension_for_the_county_moves_its_points_cutoff(
    complete, cutoffs, season, county, other_point, clock
):
    candidate = fresh(complete())
    elsewhere = fresh(CandidateFactory(season=season, point=other_point, subject_track="5"))
    Extension.objects.create(
        phase=cutoffs,
        region=county,
        ends_at=cutoffs.ends_at + (AFTER - POINT_CUTOFF) * 2,
        reason="停电",
    )
    assert cutoffs.cutoff_for("point", county) == POINT_CUTOFF + (AFTER - POINT_CUTOFF) * 2
    check_editable(candidate, "point", at=AFTER)
    with pytest.raises(Locked):
        check_editable(elsewhere, "point", at=AFTER)


def test_r2_4_the_countys_own_cutoff_holds_the_records_it_holds(
    complete, cutoffs, point_user, county_user, city_user, clock
):
    candidate = complete()
    services.submit(point_user, [candidate.pk], at=SUBMITTED)
    comment(candidate, county_user)
    after_county = aware(2019, 12, 1, 9, 0)
    held = fresh(candidate)
    check_editable(held, "county", at=AFTER)  # past the point's cut-off, not the county's
    with pytest.raises(Locked) as refused:
        check_editable(held, "county", at=after_county)
    assert "30" in refused.value.messages[0]
    outcome = services.submit(county_user, [candidate.pk], at=after_county)
    assert outcome.moved == [] and fresh(candidate).stage == Stage.COUNTY
    # Submitted in time, then returned by the city after the county's cut-off: reopened.
    assert services.submit(county_user, [candidate.pk], at=AFTER).moved
    services.return_down(city_user, [candidate.pk], reason="缺少评语", at=after_county)
    check_editable(fresh(candidate), "county", at=after_county)


def test_r2_4_cutoffs_default_to_the_phases_close_and_the_province_has_none(season, county):
    phase = season.phase(PhaseKind.CITY_ALL)
    for level in ("point", "county", "city"):
        assert phase.cutoff_for(level, county) == phase.ends_at
    assert phase.cutoff_for("province", county) is None
