"""S2: the county splits registration-number ranges among its points per subject track by
each point's expected count; a number is the 4-digit city-county code and a 4-digit serial."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from gaokao.audit.models import Action, AuditEvent
from gaokao.numbering.models import NumberRange, registration_number
from gaokao.numbering.services import (
    RangeRefused,
    RangeRow,
    add_range,
    delete_range,
    propose,
    save_ranges,
)
from gaokao.numbering.tests.helpers import issue, make_range
from gaokao.testing.factories import CountyFactory, PointFactory, ProvinceFactory, SeasonFactory

pytestmark = pytest.mark.django_db


def codes_of(excinfo) -> set[str]:
    return {e.code for e in excinfo.value.error_list}


def english(excinfo) -> str:
    with translation.override("en"):
        return " ".join(excinfo.value.messages)


def spans(county, season):
    return list(
        NumberRange.objects.filter(point__county=county, season=season)
        .order_by("first")
        .values_list("first", "last")
    )


# Proposals ---------------------------------------------------------------------------------


def test_s2_proposal_sizes_carry_the_headroom(county, point, point2, season, arts, science):
    rows = propose(
        county,
        season,
        {(point, arts): 100, (point, science): 7, (point2, arts): 0},
        headroom_percent=10,
    )
    assert [(r.point, r.track, r.expected_count, r.size) for r in rows] == [
        (point, arts, 100, 110),  # 100 × 1.1, exactly
        (point, science, 7, 8),  # ceil(7.7); a point expecting none gets no range
    ]


def test_s2_headroom_default_comes_from_the_setting(settings, county, point, season, arts):
    assert propose(county, season, {(point, arts): 100})[0].size == 110  # the default 10 %
    settings.GAOKAO_RANGE_HEADROOM_PERCENT = 25
    assert propose(county, season, {(point, arts): 100})[0].size == 125
    assert propose(county, season, {(point, arts): 100}, headroom_percent=0)[0].size == 100


def test_s2_proposals_are_contiguous_by_track_then_point_code(
    county, point, point2, season, arts, science
):
    expected = {(point2, science): 10, (point, science): 20, (point2, arts): 30, (point, arts): 40}
    rows = propose(county, season, expected, headroom_percent=0)
    assert [(r.track, r.point) for r in rows] == [
        (arts, point),
        (arts, point2),
        (science, point),
        (science, point2),
    ]
    assert [(r.first, r.last) for r in rows] == [(1, 40), (41, 70), (71, 90), (91, 100)]
    assert not NumberRange.objects.exists()  # proposing saves nothing


def test_s2_proposals_come_after_the_countys_existing_ranges(
    county, point, point2, other_point, season, arts, science
):
    make_range(season, point, science, 1, 50)
    make_range(season, point2, arts, 51, 80)
    make_range(season, other_point, arts, 1, 500)  # another county's space is its own
    make_range(SeasonFactory(province=season.province, is_current=False), point, arts, 1, 900)
    rows = propose(county, season, {(point, arts): 10}, headroom_percent=0)
    assert (rows[0].first, rows[0].last) == (81, 90)


def test_s2_proposal_refused_when_the_countys_space_would_overflow(county, point, season, arts):
    assert propose(county, season, {(point, arts): 9000})[0].last == 9900
    with pytest.raises(RangeRefused) as excinfo:
        propose(county, season, {(point, arts): 9100})  # 10 010 serials
    assert codes_of(excinfo) == {"overflow"}
    assert "10010" in english(excinfo)

    make_range(season, point, arts, 1, 9000)
    assert propose(county, season, {(point, arts): 999}, headroom_percent=0)[0].last == 9999
    with pytest.raises(RangeRefused) as excinfo:
        propose(county, season, {(point, arts): 1000}, headroom_percent=0)
    assert "999 left" in english(excinfo)


def test_s2_proposal_refuses_another_countys_point(county, point, other_point, season, arts):
    with pytest.raises(RangeRefused) as excinfo:
        propose(county, season, {(point, arts): 10, (other_point, arts): 10})
    assert codes_of(excinfo) == {"foreign_point"}
    assert other_point.code in english(excinfo)


# Saving ------------------------------------------------------------------------------------


def test_s2_saving_proposals_creates_ranges_ready_to_issue(
    county, county_user, point, point2, season, arts
):
    rows = propose(county, season, {(point, arts): 40, (point2, arts): 20})
    saved = save_ranges(county, season, rows, by=county_user)
    assert [(r.first, r.last, r.next_serial, r.expected_count) for r in saved] == [
        (1, 44, 1, 40),
        (45, 66, 45, 20),
    ]
    assert all(r.issued == 0 and r.free == r.size for r in saved)
    assert spans(county, season) == [(1, 44), (45, 66)]


def test_s2_numbers_are_the_city_county_code_and_a_four_digit_serial(county, point, season, arts):
    r = make_range(season, point, arts, 7, 9999)
    code = county.registration_code
    assert len(code) == 4
    assert r.first_number == f"{code}0007"
    assert r.last_number == f"{code}9999"
    assert len(r.first_number) == len(r.last_number) == 8
    assert str(r) == f"{code}0007–{code}9999"
    assert registration_number("4301", 42) == "43010042"


def test_s2_overlap_with_the_same_track_is_refused_naming_the_other_range(
    county, county_user, point, point2, season, arts
):
    make_range(season, point, arts, 1, 100)
    with pytest.raises(RangeRefused) as excinfo:
        save_ranges(county, season, [RangeRow(point2, arts, 100, 150)], by=county_user)
    assert codes_of(excinfo) == {"overlap"}
    message = english(excinfo)
    code = county.registration_code
    assert point.code in message and point2.code in message
    assert f"{code}0001–{code}0100" in message and f"{code}0100–{code}0150" in message
    assert spans(county, season) == [(1, 100)]


def test_s2_overlap_across_tracks_and_points_is_refused(
    county, county_user, point, point2, season, arts, science
):
    """The serial space is the county's: another track does not make a serial free."""
    make_range(season, point, arts, 1, 100)
    with pytest.raises(RangeRefused) as excinfo:
        save_ranges(county, season, [RangeRow(point2, science, 50, 60)], by=county_user)
    assert codes_of(excinfo) == {"overlap"}
    assert "文史" in english(excinfo) and "理工" in english(excinfo)
    # A range inside another one, and overlaps between the rows of one save, too.
    with pytest.raises(RangeRefused):
        save_ranges(county, season, [RangeRow(point, science, 20, 30)], by=county_user)
    with pytest.raises(RangeRefused) as excinfo:
        rows = [RangeRow(point, science, 200, 300), RangeRow(point2, arts, 300, 310)]
        save_ranges(county, season, rows, by=county_user)
    assert codes_of(excinfo) == {"overlap"}
    assert spans(county, season) == [(1, 100)]


def test_s2_adjacent_ranges_and_other_counties_and_seasons_do_not_conflict(
    county, county_user, point, other_point, season, arts, science
):
    make_range(season, other_point, arts, 1, 9999)
    make_range(SeasonFactory(province=season.province, is_current=False), point, arts, 1, 9999)
    make_range(season, point, arts, 1, 100)
    saved = save_ranges(county, season, [RangeRow(point, science, 101, 200)], by=county_user)
    assert saved[0].first_number.endswith("0101")


def test_s2_a_point_may_hold_a_second_range_for_a_track(county, county_user, point, season, arts):
    make_range(season, point, arts, 1, 10, issued=10)
    save_ranges(county, season, [RangeRow(point, arts, 11, 30)], by=county_user)
    assert NumberRange.objects.filter(point=point, subject_track=arts).count() == 2


def test_s2_saving_is_all_or_nothing(county, county_user, point, other_point, season, arts):
    rows = [RangeRow(point, arts, 1, 10), RangeRow(other_point, arts, 11, 20)]
    with pytest.raises(RangeRefused) as excinfo:
        save_ranges(county, season, rows, by=county_user)
    assert codes_of(excinfo) == {"foreign_point"}
    assert not NumberRange.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.RANGE_SAVED).exists()


@pytest.mark.parametrize("first,last", [(0, 10), (9990, 10000), (20, 10)])
def test_s2_serials_outside_the_space_or_reversed_are_refused(
    county, county_user, point, season, arts, first, last
):
    with pytest.raises(RangeRefused) as excinfo:
        save_ranges(county, season, [RangeRow(point, arts, first, last)], by=county_user)
    assert codes_of(excinfo) == {"bad_serials"}


def test_s2_a_county_without_a_city_county_code_cannot_plan(county_user, season, arts):
    county = CountyFactory(parent=county_user.region.parent, registration_code=None)
    p = PointFactory(county=county, code="9999001")
    with pytest.raises(RangeRefused) as excinfo:
        propose(county, season, {(p, arts): 10})
    assert codes_of(excinfo) == {"no_registration_code"}


def test_s2_a_season_of_another_province_is_refused(county, county_user, point, arts):
    other_province = ProvinceFactory(code="440000", name="广东省")
    foreign_season = SeasonFactory(province=other_province, is_current=False)
    with pytest.raises(RangeRefused) as excinfo:
        save_ranges(county, foreign_season, [RangeRow(point, arts, 1, 2)], by=county_user)
    assert codes_of(excinfo) == {"wrong_season"}


# Changing ranges that have issued numbers --------------------------------------------------


def test_s2_a_range_cannot_shrink_below_a_number_already_issued(
    county, county_user, point, season, arts
):
    r = issue(make_range(season, point, arts, 1, 100), 30)  # 0001–0030 issued
    with pytest.raises(RangeRefused) as excinfo:
        save_ranges(county, season, [RangeRow(point, arts, 1, 29, pk=r.pk)], by=county_user)
    assert codes_of(excinfo) == {"issued_shrink"}
    assert f"{county.registration_code}0030" in english(excinfo)
    r.refresh_from_db()
    assert (r.first, r.last) == (1, 100)
    # Down to the last issued number is fine: the range is then used up.
    save_ranges(county, season, [RangeRow(point, arts, 1, 30, pk=r.pk)], by=county_user)
    r.refresh_from_db()
    assert (r.last, r.issued, r.free) == (30, 30, 0)


def test_s2_the_first_number_is_fixed_once_a_number_was_issued(
    county, county_user, point, point2, season, arts, science
):
    r = issue(make_range(season, point, arts, 1, 100), 1)
    with pytest.raises(RangeRefused) as excinfo:  # would orphan 0001
        save_ranges(county, season, [RangeRow(point, arts, 2, 100, pk=r.pk)], by=county_user)
    assert codes_of(excinfo) == {"issued_first_change"}
    with pytest.raises(RangeRefused) as excinfo:  # nor may it move to another point or track
        save_ranges(county, season, [RangeRow(point2, science, 1, 100, pk=r.pk)], by=county_user)
    assert codes_of(excinfo) == {"issued_owner_change"}
    r.refresh_from_db()
    assert (r.point, r.subject_track, r.first) == (point, arts, 1)


def test_s2_an_unused_range_may_move_and_grow(county, county_user, point, season, arts):
    r = make_range(season, point, arts, 1, 100)
    save_ranges(county, season, [RangeRow(point, arts, 11, 250, pk=r.pk)], by=county_user)
    r.refresh_from_db()
    assert (r.first, r.last, r.next_serial) == (11, 250, 11)


def test_s2_a_used_range_may_grow(county, county_user, point, season, arts):
    r = issue(make_range(season, point, arts, 1, 100), 100)
    save_ranges(county, season, [RangeRow(point, arts, 1, 120, pk=r.pk)], by=county_user)
    r.refresh_from_db()
    assert (r.next_serial, r.free) == (101, 20)


def test_s2_another_countys_range_cannot_be_changed_through_this_county(
    county, county_user, other_point, season, arts
):
    theirs = make_range(season, other_point, arts, 1, 100)
    with pytest.raises(RangeRefused) as excinfo:
        rows = [RangeRow(other_point, arts, 1, 5, pk=theirs.pk)]
        save_ranges(county, season, rows, by=county_user)
    assert codes_of(excinfo) == {"foreign_point", "range_missing"}
    theirs.refresh_from_db()
    assert theirs.last == 100


# Deleting ----------------------------------------------------------------------------------


def test_s2_an_unused_range_can_be_deleted(county, county_user, point, season, arts):
    r = make_range(season, point, arts, 1, 100)
    delete_range(r, by=county_user)
    assert not NumberRange.objects.exists()
    event = AuditEvent.objects.get(action=Action.RANGE_DELETED)
    assert event.region == county and event.actor == county_user
    assert event.detail["before"]["first"] == f"{county.registration_code}0001"


def test_s2_a_range_with_issued_numbers_cannot_be_deleted(county, county_user, point, season, arts):
    r = issue(make_range(season, point, arts, 1, 100), 1)
    with pytest.raises(RangeRefused) as excinfo:
        delete_range(r, by=county_user)
    assert codes_of(excinfo) == {"range_in_use"}
    assert NumberRange.objects.filter(pk=r.pk).exists()
    assert not AuditEvent.objects.filter(action=Action.RANGE_DELETED).exists()


def test_s2_delete_sees_numbers_issued_since_the_range_was_read(
    county, county_user, point, season, arts
):
    r = make_range(season, point, arts, 1, 100)
    issue(NumberRange.objects.get(pk=r.pk), 1)  # the intake, meanwhile
    with pytest.raises(RangeRefused):
        delete_range(r, by=county_user)  # `r` itself still says nothing was issued


# A further range ---------------------------------------------------------------------------


def test_s2_a_second_range_is_added_after_the_countys_last_serial(
    county, county_user, point, point2, season, arts, science
):
    first = issue(make_range(season, point, arts, 1, 50), 50)
    make_range(season, point2, science, 51, 300)
    make_range(season, point2, arts, 400, 420)  # a gap before it stays a gap
    added = add_range(county, season, point, arts, 25, by=county_user)
    assert (added.first, added.last, added.next_serial) == (421, 445, 421)
    assert list(NumberRange.objects.filter(point=point, subject_track=arts)) == [first, added]


def test_s2_a_further_range_that_does_not_fit_is_refused(county, county_user, point, season, arts):
    make_range(season, point, arts, 1, 9990)
    with pytest.raises(RangeRefused) as excinfo:
        add_range(county, season, point, arts, 10, by=county_user)
    assert codes_of(excinfo) == {"overflow"}
    assert add_range(county, season, point, arts, 9, by=county_user).last == 9999


# Audit -------------------------------------------------------------------------------------


def test_s2_every_created_or_changed_range_is_audited_with_before_and_after(
    county, county_user, point, season, arts
):
    created = save_ranges(county, season, [RangeRow(point, arts, 1, 10, 9)], by=county_user)[0]
    event = AuditEvent.objects.get(action=Action.RANGE_SAVED)
    assert event.region == county and event.actor == county_user
    assert event.detail["before"] is None
    assert event.detail["after"]["first"] == f"{county.registration_code}0001"
    assert event.detail["after"]["expected_count"] == 9
    assert point.code in event.target

    save_ranges(county, season, [RangeRow(point, arts, 1, 20, 9, pk=created.pk)], by=county_user)
    change = AuditEvent.objects.filter(action=Action.RANGE_SAVED).first()  # newest first
    assert change.detail["before"]["last"].endswith("0010")
    assert change.detail["after"]["last"].endswith("0020")

    # Saving a range unchanged writes nothing and records nothing.
    save_ranges(county, season, [RangeRow(point, arts, 1, 20, 9, pk=created.pk)], by=county_user)
    assert AuditEvent.objects.filter(action=Action.RANGE_SAVED).count() == 2


# The database's own guard ------------------------------------------------------------------


@pytest.mark.parametrize(
    "first,last,next_serial",
    [(0, 10, 0), (10, 9, 10), (1, 10000, 1), (5, 10, 4), (5, 10, 12)],
)
def test_s2_the_database_refuses_impossible_ranges(point, season, arts, first, last, next_serial):
    with pytest.raises(IntegrityError), transaction.atomic():
        NumberRange.objects.create(
            season=season,
            point=point,
            subject_track=arts,
            first=first,
            last=last,
            next_serial=next_serial,
        )


def test_s2_a_used_up_range_is_valid(point, season, arts):
    r = make_range(season, point, arts, 5, 10, issued=6)
    assert (r.next_serial, r.issued, r.free) == (11, 6, 0)
